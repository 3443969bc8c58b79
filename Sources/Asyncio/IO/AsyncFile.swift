import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A file opened for asynchronous reads and writes on libuv's thread pool, like `aiofiles`.
/// The loop never blocks on the disk. Loop-confined, hence `@unchecked Sendable`.
public final class AsyncFile: @unchecked Sendable {
    let loop: EventLoop
    private let filePath: String
    private var descriptor: Int32?
    private var offset: Int64 = 0
    private let append: Bool

    /// The file's path.
    public var path: String {
        loop.preconditionOnLoopThread("AsyncFile.path")
        return filePath
    }

    /// The current position (asyncio/aiofiles `tell()`).
    public var position: Int64 {
        loop.preconditionOnLoopThread("AsyncFile.position")
        return offset
    }

    private init(path: String, loop: EventLoop, descriptor: Int32, append: Bool) {
        self.filePath = path
        self.loop = loop
        self.descriptor = descriptor
        self.append = append
    }

    /// Opens `path` with a Python mode: "r", "w", "a", "x", each optionally with "+" (read and write),
    /// on the loop running on the calling thread.
    /// - Throws: ``IOError`` (`open`, with the path and errno name, e.g. `ENOENT`);
    ///   ``EventLoopError/noRunningLoop`` when no loop runs on the calling thread.
    nonisolated(nonsending) public static func open(_ path: String, mode: String = "r") async throws -> AsyncFile {
        let loop = try EventLoop.running()
        try loop.checkUsable("AsyncFile.open")
        let plus = mode.contains("+")
        var flags: Int32
        switch mode.first {
        case "r": flags = plus ? O_RDWR : O_RDONLY
        case "w": flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC
        case "a": flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND
        case "x": flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_EXCL
        default: throw IOError("open", "\(path) (mode \(mode))", status: UV_EINVAL.rawValue)
        }
        let (fd, _) = try await loop.fileRequest("open", path) { request, _ in
            uv_fs_open(loop.uvLoop, request, path, flags, 0o644, UVRequest.fileCallback)
        }
        return AsyncFile(path: path, loop: loop, descriptor: Int32(fd), append: mode.first == "a")
    }

    private func openDescriptor(_ operation: String) throws -> Int32 {
        guard let descriptor else { throw IOError(operation, filePath, status: UV_EBADF.rawValue) }
        return descriptor
    }

    /// Reads up to `count` bytes from the current position, or everything to the end when nil (the
    /// default) or negative (Python's `f.read(-1)`), as ``StreamReader/read(_:)`` does; an empty
    /// array means the end of the file.
    nonisolated(nonsending) public func read(_ count: Int? = nil) async throws -> [UInt8] {
        loop.preconditionOnLoopThread("AsyncFile.read")
        guard let count, count >= 0 else {
            var all: [UInt8] = []
            while true {
                let chunk = try await read(64 * 1024)
                if chunk.isEmpty { return all }
                all += chunk
            }
        }
        let fd = try openDescriptor("read")
        guard count > 0 else { return [] }
        let offset = self.offset
        let loop = self.loop
        let (read, request) = try await loop.fileRequest("read", filePath, byteCount: count) { request, buffer in
            var buf = uv_buf_init(buffer!.assumingMemoryBound(to: CChar.self), UInt32(count))
            return uv_fs_read(loop.uvLoop, request, fd, &buf, 1, offset, UVRequest.fileCallback)
        }
        self.offset += Int64(read)
        return Array(UnsafeRawBufferPointer(start: request.bytes, count: read))
    }

    /// Reads the rest of the file as UTF-8 text.
    nonisolated(nonsending) public func readText() async throws -> String {
        loop.preconditionOnLoopThread("AsyncFile.readText")
        return String(decoding: try await read(), as: UTF8.self)
    }

    /// Writes `bytes` at the current position (at the end in append mode); returns the count written.
    @discardableResult
    nonisolated(nonsending) public func write(_ bytes: [UInt8]) async throws -> Int {
        loop.preconditionOnLoopThread("AsyncFile.write")
        let fd = try openDescriptor("write")
        guard !bytes.isEmpty else { return 0 }
        let offset: Int64 = append ? -1 : self.offset
        let loop = self.loop
        let (written, _) = try await loop.fileRequest("write", filePath, byteCount: bytes.count) { request, buffer in
            bytes.withUnsafeBytes { buffer!.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            var buf = uv_buf_init(buffer!.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
            return uv_fs_write(loop.uvLoop, request, fd, &buf, 1, offset, UVRequest.fileCallback)
        }
        if !append { self.offset += Int64(written) }
        return written
    }

    /// Writes the UTF-8 bytes of `text`.
    @discardableResult
    nonisolated(nonsending) public func write(_ text: String) async throws -> Int {
        loop.preconditionOnLoopThread("AsyncFile.write")
        return try await write(Array(text.utf8))
    }

    /// Moves the position (aiofiles' `seek(offset)` from the start).
    public func seek(to offset: Int64) {
        loop.preconditionOnLoopThread("AsyncFile.seek")
        self.offset = max(0, offset)
    }

    /// Closes the file; later reads and writes throw ``IOError`` (`EBADF`). Closing twice is harmless.
    nonisolated(nonsending) public func close() async throws {
        loop.preconditionOnLoopThread("AsyncFile.close")
        guard let fd = descriptor else { return }
        descriptor = nil
        let loop = self.loop
        _ = try await loop.fileRequest("close", filePath) { request, _ in
            uv_fs_close(loop.uvLoop, request, fd, UVRequest.fileCallback)
        }
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool {
        loop.preconditionOnLoopThread("AsyncFile.isClosed")
        return descriptor == nil
    }
}

/// Opens `path`, runs `body` with the file, and closes it afterwards, also when `body` throws
/// (aiofiles' `async with aiofiles.open(path, mode) as f:`).
@discardableResult
nonisolated(nonsending) public func withFile<T>(
    _ path: String, mode: String = "r", _ body: (AsyncFile) async throws -> T
) async throws -> T {
    let file = try await AsyncFile.open(path, mode: mode)
    do {
        let result = try await body(file)
        try await file.close()
        return result
    } catch {
        try? await file.close()
        throw error
    }
}
