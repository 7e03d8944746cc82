#if canImport(Glibc)
    import Glibc
#endif

/// Replaces small files (a checkpoint, a key, a configuration) so that a crash,
/// a full disk or a failing fsync at any moment leaves the old file or the new
/// one whole, never an empty or partial one: write a temporary file beside it,
/// check every result, fsync it, rename it over the old one, fsync the directory.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically with `mode`; throws, leaving the old
    /// file untouched, if any step fails.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(FileError) {
        let temporary = try writeTemporary(bytes, beside: path, mode: mode)
        guard rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw failure("cannot put \(path) in place", error)
        }
        try syncDirectory(of: path)
    }

    /// Creates `path` with `bytes` and exactly `mode`, whole or not at all, and
    /// fails if `path` already exists (a key is never silently replaced): the
    /// synced temporary file is hard-linked into place, which fails with `EEXIST`
    /// atomically, then the directory is synced.
    public static func create(_ bytes: [UInt8], at path: String, mode: mode_t = 0o600) throws(FileError) {
        let temporary = try writeTemporary(bytes, beside: path, mode: mode)
        defer { unlink(temporary) }
        guard link(temporary, path) == 0 else {
            let error = errno
            throw error == EEXIST ? FileError(.exists, "\(path) already exists") : failure("cannot put \(path) in place", error)
        }
        try syncDirectory(of: path)
    }

    /// A temporary file beside `path` holding `bytes` with exactly `mode`
    /// (whatever the umask), synced to disk.
    private static func writeTemporary(_ bytes: [UInt8], beside path: String, mode: mode_t) throws(FileError) -> String {
        let temporary = "\(path).tmp-\(getpid())"
        unlink(temporary)  // left by a crashed writer of this process id
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)", errno) }
        guard fchmod(descriptor, mode) == 0 else { try abandon(descriptor, temporary, "cannot set the mode of \(temporary)", errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { try abandon(descriptor, temporary, "cannot write \(temporary)", count < 0 ? errno : ENOSPC) }
            written += count
        }
        guard fsync(descriptor) == 0 else { try abandon(descriptor, temporary, "cannot sync \(temporary)", errno) }
        guard close(descriptor) == 0 else {
            let error = errno
            unlink(temporary)
            throw failure("cannot close \(temporary)", error)
        }
        return temporary
    }

    /// Syncs the directory holding `path`, so that a rename or link in it survives a power loss.
    private static func syncDirectory(of path: String) throws(FileError) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let directoryDescriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw failure("cannot open \(directory) to sync it", errno) }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw failure("cannot sync \(directory)", errno) }
    }

    private static func abandon(_ descriptor: Int32, _ temporary: String, _ what: String, _ error: Int32) throws(FileError) -> Never {
        close(descriptor)
        unlink(temporary)
        throw failure(what, error)
    }

    private static func failure(_ what: String, _ error: Int32) -> FileError {
        FileError(.io, "\(what): \(String(cString: strerror(error)))")
    }
}

/// Why a file could not be written: it exists already (`AtomicFile.create`), or
/// the file system refused a step (the message names the step and the errno).
public struct FileError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable { case exists, io }
    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
