@testable import Asyncio
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A fresh temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("/tmp/asyncio-files-XXXXXX".utf8CString)
    guard let raw = mkdtemp(&template) else { throw IOError("mkdtemp", "/tmp", status: -errno) }
    let path = String(decoding: UnsafeRawBufferPointer(start: raw, count: strlen(raw)), as: UTF8.self)
    defer { _ = system("rm -rf '\(path)'") }
    return try body(path)
}

@Suite("Files")
struct FileTests {
    @Test func concurrentWritesThenReads() async throws {
        let contents = try await onLoopThread { loop -> [String] in
            try withTemporaryDirectory { dir in
                try loop.runUntilComplete { () async throws -> [String] in
                    let names = (1...3).map { "\(dir)/file\($0).txt" }
                    _ = try await loop.gather(names.enumerated().map { i, name in
                        { try await withFile(name, mode: "w") { try await $0.write("Content \(i + 1)") } }
                    })
                    return try await loop.gather(names.map { name in { try await withFile(name) { try await $0.readText() } } })
                }
            }
        }
        #expect(contents == ["Content 1", "Content 2", "Content 3"])
    }

    @Test func readInChunksSeekAndAppend() async throws {
        let (first, afterSeek, appended) = try await onLoopThread { loop -> (String, String, String) in
            try withTemporaryDirectory { dir in
                try loop.runUntilComplete { () async throws -> (String, String, String) in
                    let path = "\(dir)/data.txt"
                    try await withFile(path, mode: "w") { try await $0.write("0123456789") }
                    let (first, afterSeek) = try await withFile(path) { file -> (String, String) in
                        let first = String(decoding: try await file.read(4), as: UTF8.self)
                        file.seek(to: 8)
                        return (first, try await file.readText())
                    }
                    try await withFile(path, mode: "a") { try await $0.write("AB") }
                    return (first, afterSeek, try await withFile(path) { try await $0.readText() })
                }
            }
        }
        #expect(first == "0123")
        #expect(afterSeek == "89")
        #expect(appended == "0123456789AB")
    }

    @Test func directoriesRenameRemoveAndStat() async throws {
        let (listing, size, exists) = try await onLoopThread { loop -> ([String], Int, [Bool]) in
            try withTemporaryDirectory { dir in
                try loop.runUntilComplete { () async throws -> ([String], Int, [Bool]) in
                    try await loop.makeDirectory("\(dir)/sub")
                    try await withFile("\(dir)/sub/a.txt", mode: "w") { try await $0.write("hello") }
                    try await loop.rename("\(dir)/sub/a.txt", to: "\(dir)/sub/b.txt")
                    let listing = try await loop.listDirectory("\(dir)/sub")
                    let size = try await loop.stat("\(dir)/sub/b.txt").size
                    #expect(try await loop.stat("\(dir)/sub").isDirectory)
                    try await loop.removeFile("\(dir)/sub/b.txt")
                    try await loop.removeDirectory("\(dir)/sub")
                    return (listing, size, [try await loop.fileExists("\(dir)/sub"), try await loop.fileExists(dir)])
                }
            }
        }
        #expect(listing == ["b.txt"])
        #expect(size == 5)
        #expect(exists == [false, true])
    }

    @Test func errorsCarryThePathAndTheErrnoName() async throws {
        let (missing, notEmpty, closed) = try await onLoopThread { loop -> (IOError?, IOError.Code?, IOError.Code?) in
            try withTemporaryDirectory { dir in
                try loop.runUntilComplete { () async throws -> (IOError?, IOError.Code?, IOError.Code?) in
                    var missing: IOError?
                    do { _ = try await AsyncFile.open("\(dir)/missing.txt") } catch let error as IOError { missing = error }
                    try await loop.makeDirectory("\(dir)/full")
                    try await withFile("\(dir)/full/x", mode: "w") { _ in }
                    var notEmpty: IOError.Code?
                    do { try await loop.removeDirectory("\(dir)/full") } catch let error as IOError { notEmpty = error.code }
                    let file = try await AsyncFile.open("\(dir)/full/x")
                    try await file.close()
                    try await file.close()  // harmless
                    var closed: IOError.Code?
                    do { _ = try await file.read(1) } catch let error as IOError { closed = error.code }
                    return (missing, notEmpty, closed)
                }
            }
        }
        #expect(missing?.code == .ENOENT)
        #expect(missing?.operation == "open")
        #expect(missing?.target.hasSuffix("/missing.txt") == true)
        #expect(notEmpty == .ENOTEMPTY)
        #expect(closed == .EBADF)
    }
}
