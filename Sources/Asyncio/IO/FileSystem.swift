import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// What ``EventLoop/stat(_:)`` reports about a path.
public struct FileStatus: Sendable, Equatable {
    /// Size in bytes.
    public var size: Int
    /// Whether the path is a directory.
    public var isDirectory: Bool
}

extension EventLoop {
    /// File status, like `os.stat` / `aiofiles.os.stat`.
    /// - Throws: ``IOError`` (`stat`, e.g. `ENOENT`).
    nonisolated(nonsending) public func stat(_ path: String) async throws -> FileStatus {
        try checkUsable("EventLoop.stat")
        let (_, request) = try await fileRequest("stat", path) { request, _ in
            uv_fs_stat(uvLoop, request, path, UVRequest.fileCallback)
        }
        let statbuf = request.pointer.assumingMemoryBound(to: uv_fs_t.self).pointee.statbuf  // inline: valid after cleanup
        return FileStatus(size: Int(statbuf.st_size), isDirectory: (statbuf.st_mode & 0o170000) == 0o040000)  // S_IFMT, S_IFDIR
    }

    /// Whether `path` exists.
    nonisolated(nonsending) public func fileExists(_ path: String) async throws -> Bool {
        try checkUsable("EventLoop.fileExists")
        do {
            _ = try await fileRequest("stat", path) { request, _ in uv_fs_stat(uvLoop, request, path, UVRequest.fileCallback) }
            return true
        } catch let error as IOError where error.code == .ENOENT {
            return false
        }
    }

    /// Creates a directory (`os.mkdir`). - Throws: ``IOError`` (`EEXIST`, `ENOENT`...).
    nonisolated(nonsending) public func makeDirectory(_ path: String) async throws {
        try checkUsable("EventLoop.makeDirectory")
        _ = try await fileRequest("mkdir", path) { request, _ in uv_fs_mkdir(uvLoop, request, path, 0o755, UVRequest.fileCallback) }
    }

    /// Renames or moves a file (`os.rename`).
    nonisolated(nonsending) public func rename(_ path: String, to newPath: String) async throws {
        try checkUsable("EventLoop.rename")
        _ = try await fileRequest("rename", "\(path) -> \(newPath)") { request, _ in
            uv_fs_rename(uvLoop, request, path, newPath, UVRequest.fileCallback)
        }
    }

    /// Removes a file (`os.remove`).
    nonisolated(nonsending) public func removeFile(_ path: String) async throws {
        try checkUsable("EventLoop.removeFile")
        _ = try await fileRequest("unlink", path) { request, _ in uv_fs_unlink(uvLoop, request, path, UVRequest.fileCallback) }
    }

    /// Removes an empty directory (`os.rmdir`). - Throws: ``IOError`` (`ENOTEMPTY`...).
    nonisolated(nonsending) public func removeDirectory(_ path: String) async throws {
        try checkUsable("EventLoop.removeDirectory")
        _ = try await fileRequest("rmdir", path) { request, _ in uv_fs_rmdir(uvLoop, request, path, UVRequest.fileCallback) }
    }

    /// The names in a directory, sorted (`os.listdir`).
    nonisolated(nonsending) public func listDirectory(_ path: String) async throws -> [String] {
        try checkUsable("EventLoop.listDirectory")
        var names: [String] = []
        _ = try await fileRequest("scandir", path, onDone: { request in
            // The entries live until uv_fs_req_cleanup, which the callback runs right after this.
            guard request.result >= 0 else { return }
            let fs = request.pointer.assumingMemoryBound(to: uv_fs_t.self)
            var entry = uv_dirent_t()
            while uv_fs_scandir_next(fs, &entry) != UV_EOF.rawValue {
                names.append(String(decoding: UnsafeRawBufferPointer(start: entry.name, count: strlen(entry.name)), as: UTF8.self))
            }
        }) { request, _ in
            uv_fs_scandir(uvLoop, request, path, 0, UVRequest.fileCallback)
        }
        return names.sorted()
    }

    /// Runs one libuv file-system request (``UVRequest``'s pattern) on the loop and returns its result
    /// (bytes, a descriptor, 0...) and the request (its memory, its bytes, valid while it is held).
    /// Callers have checked the thread. Cancelling the waiting task cancels a request not started yet.
    /// - Parameters:
    ///   - byteCount: bytes allocated with the request (handed to `start`: what a write sends or a
    ///     read fills); they live as long as the request, also past a cancelled wait.
    ///   - onDone: reads outputs in libuv's callback, before `uv_fs_req_cleanup` frees them.
    /// - Throws: ``IOError`` naming `operation`, `path` and the errno name.
    nonisolated(nonsending) func fileRequest(
        _ operation: String, _ path: String, byteCount: Int = 0, onDone: ((UVRequest) -> Void)? = nil,
        start: (UnsafeMutablePointer<uv_fs_t>, UnsafeMutableRawPointer?) -> Int32
    ) async throws -> (result: Int, request: UVRequest) {
        if isClosed { throw EventLoopError.closed }
        let request = UVRequest(UV_FS, byteCount: byteCount)
        request.onDone = onDone
        try request.start(operation, path) { start($0.assumingMemoryBound(to: uv_fs_t.self), request.bytes) }
        let result = try await request.wait(on: self, operation)
        if result < 0 { throw IOError(operation, path, status: Int32(truncatingIfNeeded: result)) }
        return (result, request)
    }
}
