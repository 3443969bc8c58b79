@testable import AsyncioRedis
import Testing

/// The command encoder against a plain reference encoding: every length boundary of the decimal
/// headers, binary and non-ASCII arguments, the stack-buffer path and the piece-by-piece path for long
/// commands, appends after existing bytes and to an array that shares its storage.
@Suite("RESP encoding")
struct RESPEncodingTests {
    /// RESP's array of bulk strings, written the obvious way.
    func reference(_ arguments: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            out += Array("$\(argument.count)\r\n".utf8) + argument + [13, 10]
        }
        return out
    }

    func encoded(_ arguments: [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendRESPCommand(arguments)
        return out
    }

    func encoded(_ arguments: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendRESPCommand(arguments)
        return out
    }

    @Test func commonCommandsEncodeAsRESPArraysOfBulkStrings() {
        #expect(encoded(["GET", "k"]) == Array("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".utf8))
        #expect(encoded(["SET", "key:12", "xxx"]) == Array("*3\r\n$3\r\nSET\r\n$6\r\nkey:12\r\n$3\r\nxxx\r\n".utf8))
        #expect(encoded(["ECHO", ""]) == Array("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n".utf8))
        #expect(encoded(["SET", "k", "héllo"]) == reference([Array("SET".utf8), Array("k".utf8), Array("héllo".utf8)]))
    }

    @Test func everyDecimalLengthBoundaryOfCountsAndSizes() {
        for size in [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 1010, 9999, 10000, 100_000] {
            let value = [UInt8](repeating: UInt8(ascii: "v"), count: size)
            #expect(encoded([Array("SET".utf8), Array("k".utf8), value]) == reference([Array("SET".utf8), Array("k".utf8), value]),
                    "value of \(size) bytes")
            #expect(encoded(["SET", "k", String(decoding: value, as: UTF8.self)]) == reference([Array("SET".utf8), Array("k".utf8), value]))
        }
        for count in [1, 9, 10, 11, 99, 100, 101, 500] {
            let arguments = (0..<count).map { Array("a\($0)".utf8) }
            #expect(encoded(arguments) == reference(arguments), "\(count) arguments")
        }
    }

    @Test func binaryArgumentsAreCopiedAsTheyAre() {
        let binary: [UInt8] = [0, 13, 10, 255, 36, 42, 13]
        #expect(encoded([Array("SET".utf8), binary, binary]) == reference([Array("SET".utf8), binary, binary]))
    }

    /// Seeded pseudo-random commands on both sides of the stack-buffer limit.
    @Test func randomCommandsMatchTheReference() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var out: [UInt8] = [7]
        var expected: [UInt8] = [7]
        for _ in 0..<500 {
            let arguments = (0..<(1 + next(6))).map { _ in (0..<next([4, 40, 400, 1100][next(4)])).map { _ in UInt8(next(256)) } }
            out.appendRESPCommand(arguments)
            expected += reference(arguments)
        }
        #expect(out == expected)
    }

    @Test func appendingKeepsWhatIsThereAndLeavesCopiesAlone() {
        var out = Array("*1\r\n$4\r\nPING\r\n".utf8)
        let copy = out
        out.appendRESPCommand(["GET", "k"])
        #expect(out == Array("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".utf8))
        #expect(copy == Array("*1\r\n$4\r\nPING\r\n".utf8))
        let long = String(repeating: "x", count: 2000)
        let before = out
        out.appendRESPCommand(["SET", "k", long])
        #expect(out == before + reference([Array("SET".utf8), Array("k".utf8), Array(long.utf8)]))
    }
}
