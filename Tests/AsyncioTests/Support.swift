@testable import Asyncio
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a fresh thread that owns a fresh loop (never on a Swift pool thread, which `uv_run`
/// would block), closes the loop afterwards, and returns what `body` returned.
func onLoopThread<T: Sendable>(
    timeSource: EventLoop.TimeSource = .monotonic,
    inboxCapacity: Int? = nil,
    _ body: @escaping @Sendable (EventLoop) throws -> T
) async throws -> T {
    let fence = HandoffFence()  // for ThreadSanitizer (see HandoffFence)
    let result = try await withCheckedThrowingContinuation { continuation in
        spawnThread(name: "test-loop") {
            let result = Result {
                let loop = try EventLoop(timeSource: timeSource, inboxCapacity: inboxCapacity)
                defer { try? loop.cancelAllTasks(); try? loop.close() }
                return try body(loop)
            }
            fence.publish()
            continuation.resume(with: result)
        }
    }
    fence.receive()
    return result
}

/// A loop-confined recorder of events, for ordering assertions (touched only on the loop thread).
final class Trace: @unchecked Sendable {
    private(set) var events: [String] = []
    func callAsFunction(_ event: String) { events.append(event) }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

func currentThreadID() -> UInt { UInt(pthread_self()) }

struct Boom: Error, Equatable { var code = 1 }

/// A loop-confined mutable value shared by a test's tasks (all on the loop thread).
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A TCP port on 127.0.0.1 that refuses connections and that nothing else can take while this lives:
/// a socket bound to it that never listens. (The port of a server bound and then closed can be taken
/// at once by a test running in parallel, which then accepts the connection meant to be refused.)
final class RefusingPort: Sendable {
    let port: Int
    private let socketDescriptor: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXFailure(call: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { close(fd); throw POSIXFailure(call: "bind") }
        socketDescriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(socketDescriptor) }
}

/// A UDP port on 127.0.0.1 that refuses datagrams (the sender gets ICMP "port unreachable", that is
/// `ECONNREFUSED`) and that nothing else can take while this lives: a socket bound to it and
/// connected to itself, which the kernel matches only for datagrams sent from that very address.
/// (A port bound and then closed can be taken at once by a test running in parallel.)
final class RefusingUDPPort: Sendable {
    let port: Int
    private let socketDescriptor: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXFailure(call: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let held = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 && connect(fd, $0, length) == 0
            }
        }
        guard held else { close(fd); throw POSIXFailure(call: "bind/connect") }
        socketDescriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(socketDescriptor) }
}

struct POSIXFailure: Error { let call: String }

/// Blocks the calling thread for `microseconds` even if a signal (SIGCHLD from an exiting child, which
/// the suite's exit tests make plenty of) interrupts the sleep: it resumes for the time left.
func blockThread(microseconds: Int) {
    var request = timespec(tv_sec: microseconds / 1_000_000, tv_nsec: (microseconds % 1_000_000) * 1_000)
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
