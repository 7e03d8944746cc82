import Foundation
import KhataCore
import KhataFiles
import KhataLog

#if canImport(Glibc)
    import Glibc
#endif

/// The file in which a client keeps the last checkpoint it accepted: the
/// signed note, as the node served it (so that it is also evidence, should the
/// node ever sign an inconsistent one). Written atomically (`AtomicFile`), and
/// replaced only under an exclusive
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
        do { try AtomicFile.write(Array(signed.note.formatted.utf8), to: path, mode: 0o600) } catch {
            throw ClientError(code: "checkpoint_file", error.message)
        }
        return .written
    }

    private static func failure(_ what: String, _ error: Int32) -> ClientError {
        ClientError(code: "checkpoint_file", "\(what): \(String(cString: strerror(error)))")
    }
}
