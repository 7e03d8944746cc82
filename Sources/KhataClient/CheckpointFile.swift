import Foundation
import KhataCore
import KhataLog

#if canImport(Glibc)
    import Glibc
#endif

/// The file in which a client keeps the last checkpoint it accepted: the
/// signed note, as the node served it (so that it is also evidence, should the
/// node ever sign an inconsistent one). Written atomically (a temporary file,
/// fsync, rename, fsync of the directory), and replaced only under an exclusive
/// `flock` of `FILE.lock` after checking that it still holds what the caller
/// proved the new checkpoint consistent with.
enum CheckpointFile {
    /// The checkpoint in `path`, verified with `logKey`; nil if there is no file.
    /// A file that does not verify is an error, never silently replaced: it may
    /// be the only evidence that the node lied.
    static func read(_ path: String, logKey: NoteVerifierKey) throws -> SignedCheckpoint? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClientError(
                code: "bad_checkpoint_file", "\(path) exists but cannot be read; fix its permissions (it keeps what this client trusts)")
        }
        do {
            let signed = try SignedCheckpoint(note: String(decoding: data, as: UTF8.self), logKey: logKey)
            guard signed.checkpoint.origin == logKey.name else { throw NoteError.malformed("a checkpoint of \(signed.checkpoint.origin)") }
            return signed
        } catch {
            throw ClientError(
                code: "bad_checkpoint_file",
                "\(path) does not hold a checkpoint of \(logKey.name) signed by its key (\(error)); move it aside only if you mean to trust the node afresh"
            )
        }
    }

    enum Replacement {
        case written
        /// Another client moved the file on to this checkpoint; nothing was written.
        case moved(SignedCheckpoint)
    }

    /// Writes `signed` to `path` if the file still holds `expected` (or holds
    /// nothing: a file removed while this client runs does not undo what it has
    /// proved); else reports what the file holds now and writes nothing.
    static func replace(_ path: String, expected: Checkpoint?, with signed: SignedCheckpoint, logKey: NoteVerifierKey) throws -> Replacement {
        let lockDescriptor = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockDescriptor >= 0 else { throw failure("cannot open \(path).lock", errno) }
        defer { close(lockDescriptor) }
        guard flock(lockDescriptor, LOCK_EX) == 0 else { throw failure("cannot lock \(path).lock", errno) }
        if let current = try read(path, logKey: logKey), current.checkpoint != expected { return .moved(current) }
        try writeAtomically(Array(signed.note.formatted.utf8), to: path)
        return .written
    }

    private static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)", errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                let error = errno
                close(descriptor)
                unlink(temporary)
                throw failure("cannot write \(temporary)", error)
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            let error = errno
            close(descriptor)
            unlink(temporary)
            throw failure("cannot sync \(temporary)", error)
        }
        guard close(descriptor) == 0, rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw failure("cannot put \(path) in place", error)
        }
        let directory = open(
            (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    private static func failure(_ what: String, _ error: Int32) -> ClientError {
        ClientError(code: "checkpoint_file", "\(what): \(String(cString: strerror(error)))")
    }
}
