// runtime-floor: what this Swift runtime itself costs, with no asyncio semantics (issue 16's floors).
//   runtime-floor tasks N           N tasks created on a minimal executor, each yields once; a counter
//                                   and one continuation instead of gather; awaits each Task's value
//   runtime-floor tasks-nohandle N  the same without reading the Task handles
//   runtime-floor yield N           one task yielding N times
//   runtime-floor memory N          N tasks suspended on a continuation each: RSS growth per task
//   runtime-floor callsoon N        a ring buffer of N closures, appended then called (no libuv)
// The executor is `Task(executorPreference:)` on an object that keeps its jobs in an array and runs them
// in rounds, as the loop does. Measure with callgrind at two sizes (see the README, "Benchmarks").
#if canImport(Glibc)
import Glibc
#endif

final class MiniLoop: SerialExecutor, TaskExecutor, @unchecked Sendable {
    @exclusivity(unchecked) var ready: [UnownedJob] = []
    @exclusivity(unchecked) var next: [UnownedJob] = []
    @exclusivity(unchecked) var yielded: [UnsafeContinuation<Void, Never>] = []
    @exclusivity(unchecked) var resuming: [UnsafeContinuation<Void, Never>] = []
    @exclusivity(unchecked) var finished = 0
    @exclusivity(unchecked) var joinWaiter: UnsafeContinuation<Void, Never>?
    @exclusivity(unchecked) var done = false

    func enqueue(_ job: consuming ExecutorJob) { ready.append(UnownedJob(job)) }
    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
    func asUnownedTaskExecutor() -> UnownedTaskExecutor { UnownedTaskExecutor(ordinary: self) }

    func run() {
        while !done {
            swap(&ready, &next)
            for job in next { job.runSynchronously(on: asUnownedTaskExecutor()) }
            next.removeAll(keepingCapacity: true)
            if !yielded.isEmpty {
                swap(&yielded, &resuming)
                for continuation in resuming { continuation.resume() }
                resuming.removeAll(keepingCapacity: true)
            }
        }
    }

    /// sleep(0): resume on the next round.
    @inline(__always)
    nonisolated(nonsending) func yieldOnce() async {
        await _unsafeInheritExecutor_withUnsafeContinuation { yielded.append($0) }
    }

    func taskFinished(total: Int) {
        finished += 1
        if finished == total, let waiter = joinWaiter { joinWaiter = nil; waiter.resume() }
    }

    nonisolated(nonsending) func waitForAll(_ total: Int) async {
        if finished < total { await _unsafeInheritExecutor_withUnsafeContinuation { joinWaiter = $0 } }
    }
}

/// A closure in a struct: stored at its own abstraction (a bare function type in generic storage is
/// reabstracted through a thunk, one allocation per closure).
struct Callback { let body: () -> Void }

struct Ring: ~Copyable {
    var buffer = UnsafeMutablePointer<Callback>.allocate(capacity: 1024)
    var capacity = 1024, head = 0, count = 0
    deinit { buffer.deallocate() }
    @inline(__always) mutating func push(_ body: @escaping () -> Void) {
        if count == capacity {
            let grown = UnsafeMutablePointer<Callback>.allocate(capacity: capacity * 2)
            let first = min(count, capacity - head)
            grown.moveInitialize(from: buffer + head, count: first)
            (grown + first).moveInitialize(from: buffer, count: count - first)
            buffer.deallocate()
            buffer = grown
            capacity *= 2
            head = 0
        }
        (buffer + ((head + count) & (capacity - 1))).initialize(to: Callback(body: body))
        count += 1
    }
    @inline(__always) mutating func pop() -> () -> Void {
        let callback = (buffer + head).move()
        head = (head + 1) & (capacity - 1)
        count -= 1
        return callback.body
    }
}

@exclusivity(unchecked) nonisolated(unsafe) var callbackCounter = 0
@inline(never) func schedule(_ ring: inout Ring, _ body: @escaping () -> Void) { ring.push(body) }

@inline(never) func runCallbacks(_ n: Int) {
    var ring = Ring()
    for _ in 0..<n { schedule(&ring, { callbackCounter += 1 }) }
    while ring.count > 0 { ring.pop()() }
    precondition(callbackCounter == n)
}

func residentKiB() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, 128, file) != nil else { return 0 }
    let fields = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
    return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * 4
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let n = Int(arguments[2]), n > 0 else {
    print("usage: runtime-floor tasks|tasks-nohandle|yield|memory|callsoon N")
    exit(2)
}
let mode = arguments[1]
/// The loop and the size, as statics: closures use them without capturing anything (a capture would
/// add a closure context per task, which the floor should not count).
enum Floor {
    static let loop = MiniLoop()
    nonisolated(unsafe) static var n = 0
}
Floor.n = n
let start = monotonicSeconds()

switch mode {
case "tasks":
    Task(executorPreference: Floor.loop) {
        var handles: [Task<Int, Never>] = []
        handles.reserveCapacity(Floor.n)
        for i in 0..<Floor.n {
            handles.append(Task(executorPreference: Floor.loop) {
                await Floor.loop.yieldOnce()
                Floor.loop.taskFinished(total: Floor.n)
                return i
            })
        }
        await Floor.loop.waitForAll(Floor.n)
        var sum = 0
        for handle in handles { sum &+= await handle.value }
        precondition(sum == Floor.n * (Floor.n - 1) / 2)
        Floor.loop.done = true
    }
    Floor.loop.run()
case "tasks-nohandle":
    Task(executorPreference: Floor.loop) {
        for _ in 0..<Floor.n {
            Task(executorPreference: Floor.loop) {
                await Floor.loop.yieldOnce()
                Floor.loop.taskFinished(total: Floor.n)
            }
        }
        await Floor.loop.waitForAll(Floor.n)
        Floor.loop.done = true
    }
    Floor.loop.run()
case "yield":
    Task(executorPreference: Floor.loop) {
        for _ in 0..<Floor.n { await Floor.loop.yieldOnce() }
        Floor.loop.done = true
    }
    Floor.loop.run()
case "memory":
    Task(executorPreference: Floor.loop) {
        let before = residentKiB()
        for _ in 0..<Floor.n {
            Task(executorPreference: Floor.loop) {
                await _unsafeInheritExecutor_withUnsafeContinuation { Floor.loop.resuming.append($0) }
                Floor.loop.taskFinished(total: Floor.n)
            }
        }
        await Floor.loop.yieldOnce()
        await Floor.loop.yieldOnce()
        let growth = residentKiB() - before
        print("{\"impl\":\"runtime-floor\",\"workload\":\"memory\",\"n\":\(Floor.n),\"kib_per_task\":\(Double(growth) / Double(Floor.n))}")
        let parked = Floor.loop.resuming
        Floor.loop.resuming = []
        for continuation in parked { continuation.resume() }
        await Floor.loop.waitForAll(Floor.n)
        Floor.loop.done = true
    }
    Floor.loop.run()
case "callsoon":
    runCallbacks(Floor.n)
default:
    print("unknown mode \(mode)")
    exit(2)
}
if mode != "memory" {
    print("{\"impl\":\"runtime-floor\",\"workload\":\"\(mode)\",\"n\":\(n),\"ns_per_op\":\((monotonicSeconds() - start) * 1e9 / Double(n))}")
}
