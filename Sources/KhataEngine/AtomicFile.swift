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
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(EngineError) {
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)", errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return try abandon(descriptor, temporary, "cannot write \(temporary)", count < 0 ? errno : ENOSPC) }
            written += count
        }
        guard fsync(descriptor) == 0 else { return try abandon(descriptor, temporary, "cannot sync \(temporary)", errno) }
        guard close(descriptor) == 0 else {
            let error = errno
            unlink(temporary)
            throw failure("cannot close \(temporary)", error)
        }
        guard rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw failure("cannot put \(path) in place", error)
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let directoryDescriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw failure("cannot open \(directory) to sync it", errno) }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw failure("cannot sync \(directory)", errno) }
    }

    private static func abandon(_ descriptor: Int32, _ temporary: String, _ what: String, _ error: Int32) throws(EngineError) {
        close(descriptor)
        unlink(temporary)
        throw failure(what, error)
    }

    private static func failure(_ what: String, _ error: Int32) -> EngineError {
        EngineError(.storage, "\(what): \(String(cString: strerror(error)))")
    }
}
