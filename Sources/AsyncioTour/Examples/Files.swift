import Asyncio
#if canImport(Glibc)
import Glibc
#endif

extension Tour {
    /// aiofiles: concurrent writes, then concurrent reads, on libuv's file operations (the loop never
    /// blocks on the disk). `async with aiofiles.open(...) as f:` is `withFile(...) { f in }`.
    static let files = Example(name: "files", title: "aiofiles: asynchronous file operations") { out in
        let loop = try EventLoop.running()
        let directory = "/tmp/asyncio-tour-\(getpid())"
        if try await !loop.fileExists(directory) { try await loop.makeDirectory(directory) }

        @Sendable func writeFile(_ name: String, _ content: String) async throws {
            try await withFile("\(directory)/\(name)", mode: "w") { try await $0.write(content) }
        }
        @Sendable func readFile(_ name: String) async throws -> String {
            try await withFile("\(directory)/\(name)") { try await $0.readText() }
        }

        _ = try await gather(  // concurrent writing
            { try await writeFile("file1.txt", "Content 1") },
            { try await writeFile("file2.txt", "Content 2") },
            { try await writeFile("file3.txt", "Content 3") })
        let contents = try await gather(  // concurrent reading
            { try await readFile("file1.txt") },
            { try await readFile("file2.txt") },
            { try await readFile("file3.txt") })
        out("['\(contents.0)', '\(contents.1)', '\(contents.2)']")

        for name in try await loop.listDirectory(directory) { try await loop.removeFile("\(directory)/\(name)") }
        try await loop.removeDirectory(directory)
    }
}
