@testable import Asyncio
import PropertyBased
import Testing

/// ``ReadBuffer`` against the simplest model — an array that bytes are appended to and removed from
/// the front of — on random scripts of appends (small and large) and removals, checking the bytes, the
/// stream position, and the memory rule: a drained buffer keeps at most
/// ``ReadBuffer/retainedCapacity`` bytes of storage, whatever it held before.
@Suite("ReadBuffer properties")
struct ReadBufferPropertyTests {
    enum Op: Equatable, CustomStringConvertible {
        case append(Int)
        case removeFirst(Int)
        case discardFirst(Int)
        case discardAll

        var description: String {
            switch self {
            case .append(let n): "append(\(n))"
            case .removeFirst(let n): "removeFirst(\(n))"
            case .discardFirst(let n): "discardFirst(\(n))"
            case .discardAll: "discardAll"
            }
        }
    }

    static var scripts: Generator<[Op], [[Op]]> {
        Generator(
            run: { rng in
                (0..<Int.random(in: 1...30, using: &rng)).map { _ -> Op in
                    switch Int.random(in: 0..<10, using: &rng) {
                    case 0..<3: .append(Int.random(in: 1...64, using: &rng))
                    case 3: .append(Int.random(in: 1_000...12_000, using: &rng))
                    case 4..<7: .removeFirst(Int.random(in: 0...12_000, using: &rng))
                    case 7..<9: .discardFirst(Int.random(in: 0...100, using: &rng))
                    default: .discardAll
                    }
                }
            },
            shrink: { ops in ops.indices.map { index in var fewer = ops; fewer.remove(at: index); return fewer } }
        )
    }

    @Test func agreesWithAnArrayAndKeepsLittleOnceDrained() async {
        await propertyCheck(count: 300, input: Self.scripts) { ops in
            var buffer = ReadBuffer()
            var model: [UInt8] = []
            var consumed = 0
            var next: UInt8 = 0
            for op in ops {
                switch op {
                case .append(let n):
                    let bytes = (0..<n).map { _ in next &+= 1; return next }
                    buffer.append(bytes)
                    model += bytes
                case .removeFirst(let n):
                    let n = min(n, model.count)
                    #expect(buffer.removeFirst(n) == Array(model.prefix(n)), "\(ops)")
                    model.removeFirst(n)
                    consumed += n
                case .discardFirst(let n):
                    let n = min(n, model.count)
                    buffer.discardFirst(n)
                    model.removeFirst(n)
                    consumed += n
                case .discardAll:
                    buffer.discardAll()
                    consumed += model.count
                    model = []
                }
                #expect(buffer.bytes == model, "\(ops)")
                #expect(buffer.count == model.count && buffer.isEmpty == model.isEmpty, "\(ops)")
                #expect(buffer.consumedCount == consumed, "\(ops)")
                if model.isEmpty {
                    #expect(buffer.capacity <= ReadBuffer.retainedCapacity, "drained, kept \(buffer.capacity): \(ops)")
                }
            }
        }
    }
}

/// The loop's shared read buffer: one buffer lent at a time, a private one for a read that overlaps
/// (never the bytes of another read), every loan given back.
@Suite("Shared read buffer")
struct SharedReadBufferTests {
    @Test func aSecondLoanWhileTheFirstIsOutGetsAPrivateBuffer() {
        let shared = SharedReadBuffer()
        let first = shared.lend()
        #expect(shared.isLent && first.len == UInt(SharedReadBuffer.size))
        let second = shared.lend()
        #expect(second.base != first.base && shared.privateLoans == 1)
        shared.giveBack(second.base)
        #expect(shared.privateLoans == 0 && shared.isLent)
        shared.giveBack(first.base)
        #expect(!shared.isLent)
        let again = shared.lend()
        #expect(again.base == first.base)  // the shared buffer is reused, not reallocated
        shared.giveBack(again.base)
        shared.giveBack(nil)  // libuv had no buffer: nothing to take back
        #expect(!shared.isLent && shared.privateLoans == 0)
    }
}
