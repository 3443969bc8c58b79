@testable import Asyncio
import PropertyBased
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The reader against ``ReaderModel`` on random scripts: random bytes rich in separators, cut into
/// random chunks sent through a real TCP connection on 127.0.0.1 (each once the reader waits for data,
/// after a random number of loop iterations), read by random calls of every kind with small random
/// limits, so that overruns, partial separators, compaction while waiting and the end of the stream
/// all happen. `ASYNCIO_PROPERTY_CASES` sets the number of scripts (default ``defaultCases``).
@Suite("StreamReader properties")
struct StreamReaderPropertyTests {
    static let defaultCases = 3000

    static var cases: Int {
        getenv("ASYNCIO_PROPERTY_CASES").flatMap { Int(String(cString: $0)) } ?? defaultCases
    }

    @Test func everyReadCallAgreesWithTheModel() async throws {
        try await ReaderHost.with { host in
            await propertyCheck(count: Self.cases, input: ReaderScript.random) { script in
                let steps = try await script.run(on: host)
                let expected = script.modelRun()
                #expect(steps == expected, "\(script)")
            }
        }
    }
}

extension ReaderScript {
    /// Bytes a script is made of: mostly separators and their parts.
    private static let alphabet: [UInt8] = Array("\n\n\n\r\naabbx".utf8) + [0, 0xFF]
    /// The separators of `readUntil`: one byte, two, and ones that overlap themselves.
    private static let separators: [[UInt8]] = ["\n", "\r\n", "ab", "aab", "aba", "\n\n", "x"].map { Array($0.utf8) }

    static var random: Generator<ReaderScript, [ReaderScript]> {
        Generator(
            run: { rng in
                let limit = [Int.random(in: 1...8, using: &rng), Int.random(in: 1...32, using: &rng), 64 * 1024]
                    .randomElement(using: &rng)!
                let data = (0..<Int.random(in: 0...120, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
                var chunks: [[UInt8]] = []
                var rest = data[...]
                while !rest.isEmpty {
                    let size = Bool.random(using: &rng) ? Int.random(in: 1...4, using: &rng) : Int.random(in: 1...40, using: &rng)
                    chunks.append(Array(rest.prefix(size)))
                    rest = rest.dropFirst(size)
                }
                let pauses = (0...chunks.count).map { _ in Int.random(in: 0...3, using: &rng) }
                let ops = (0..<Int.random(in: 1...12, using: &rng)).map { _ -> ReaderOp in
                    switch Int.random(in: 0..<20, using: &rng) {
                    case 0: .read(-1)
                    case 1..<4: .read(Int.random(in: 0...12, using: &rng))
                    case 4..<7: .readExactly(Int.random(in: 0...12, using: &rng))
                    case 7..<12: .readUntil(separators.randomElement(using: &rng)!)
                    case 12..<17: .readLine
                    default: .nextLine
                    }
                }
                return ReaderScript(limit: limit, chunks: chunks, pauses: pauses, ops: ops)
            },
            shrink: { $0.smaller }
        )
    }

    /// Simpler scripts, for the shrinker: one call fewer, one chunk fewer, two chunks merged, a chunk
    /// one byte shorter, no pauses.
    var smaller: [ReaderScript] {
        var candidates: [ReaderScript] = []
        for index in ops.indices where ops.count > 1 {
            var script = self
            script.ops.remove(at: index)
            candidates.append(script)
        }
        for index in chunks.indices {
            var script = self
            script.chunks.remove(at: index)
            script.pauses.remove(at: index)
            candidates.append(script)
            if index + 1 < chunks.count {
                var merged = self
                merged.chunks[index] += merged.chunks.remove(at: index + 1)
                merged.pauses.remove(at: index + 1)
                candidates.append(merged)
            }
            if chunks[index].count > 1 {
                var shorter = self
                shorter.chunks[index].removeLast()
                candidates.append(shorter)
            }
        }
        if pauses.contains(where: { $0 > 0 }) {
            var script = self
            script.pauses = pauses.map { _ in 0 }
            candidates.append(script)
        }
        return candidates
    }
}
