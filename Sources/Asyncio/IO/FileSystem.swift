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
        var status = FileStatus(size: 0, isDirectory: false)
        _ = try await fileRequest("stat", path, start: { request, _ in
            uv_fs_stat(uvLoop, request, path, FileRequest.callback)
        }, onFinish: { request in
            status = FileStatus(size: Int(request.pointee.statbuf.st_size),
                                isDirectory: (request.pointee.statbuf.st_mode & 0o170000) == 0o040000)  // S_IFMT, S_IFDIR
        })
        return status
    }

    /// Whether `path` exists.
    nonisolated(nonsending) public func fileExists(_ path: String) async throws -> Bool {
        do { _ = try await stat(path); return true } catch let error as IOError where error.code == "ENOENT" { return false }
    }

    /// Creates a directory (`os.mkdir`). - Throws: ``IOError`` (`EEXIST`, `ENOENT`...).
    nonisolated(nonsending) public func makeDirectory(_ path: String) async throws {
        _ = try await fileRequest("mkdir", path) { request, _ in uv_fs_mkdir(uvLoop, request, path, 0o755, FileRequest.callback) }
    }

    /// Renames or moves a file (`os.rename`).
    nonisolated(nonsending) public func rename(_ path: String, to newPath: String) async throws {
        _ = try await fileRequest("rename", "\(path) -> \(newPath)") { request, _ in
            uv_fs_rename(uvLoop, request, path, newPath, FileRequest.callback)
        }
    }

    /// Removes a file (`os.remove`).
    nonisolated(nonsending) public func removeFile(_ path: String) async throws {
        _ = try await fileRequest("unlink", path) { request, _ in uv_fs_unlink(uvLoop, request, path, FileRequest.callback) }
    }

    /// Removes an empty directory (`os.rmdir`). - Throws: ``IOError`` (`ENOTEMPTY`...).
    nonisolated(nonsending) public func removeDirectory(_ path: String) async throws {
        _ = try await fileRequest("rmdir", path) { request, _ in uv_fs_rmdir(uvLoop, request, path, FileRequest.callback) }
    }

    /// The names in a directory, sorted (`os.listdir`).
    nonisolated(nonsending) public func listDirectory(_ path: String) async throws -> [String] {
        var names: [String] = []
        _ = try await fileRequest("scandir", path, start: { request, _ in
            uv_fs_scandir(uvLoop, request, path, 0, FileRequest.callback)
        }, onFinish: { request in
            var entry = uv_dirent_t()
            while uv_fs_scandir_next(request, &entry) != UV_EOF.rawValue {
                names.append(String(decoding: UnsafeRawBufferPointer(start: entry.name, count: strlen(entry.name)), as: UTF8.self))
            }
        })
        return names.sorted()
    }
}
