import CSQLite
import KhataCore

/// Copies a journal's write-ahead log into its database file from a connection
/// of its own, so that the journal's writer (the sequencer) rarely has to.
///
/// SQLite's writer checkpoints by itself once the WAL holds
/// `SQLiteJournal.writerCheckpointPages` pages, inside a commit, and at the
/// rates the node sustains that is a pause of many milliseconds every second or
/// two. Run every fraction of a second from another thread, a passive
/// checkpoint copies what has been committed without blocking the writer; the
/// writer's own checkpoint then has only the last few pages left to copy.
///
/// The connection is synced (`synchronous = FULL`): a checkpoint syncs the WAL
/// before copying from it and the database file before the WAL may be reused,
/// so a crash at any point loses no acknowledged commit.
public final class SQLiteWALCheckpointer: @unchecked Sendable {
    /// What one pass did.
    public struct Pass: Sendable, Equatable {
        /// Frames in the WAL when the pass ran.
        public let framesInLog: Int
        /// Frames of those now copied into the database file (all of them unless
        /// a reader still needed older ones).
        public let framesCopied: Int
    }

    private let db: SQLiteConnection

    /// Opens a connection to the journal at `path` (which must exist).
    public init(path: String, vfs: String? = nil) throws(StorageError) {
        db = try SQLiteConnection(path: path, create: false, vfs: vfs)
        try db.execute("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;")
    }

    /// One passive checkpoint: copies every frame no reader still needs, waiting
    /// for nobody.
    public func checkpoint() throws(StorageError) -> Pass {
        var log: Int32 = 0
        var copied: Int32 = 0
        let status = sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        // BUSY: another checkpoint (the writer's own) is running; this pass simply skips.
        guard status == SQLITE_OK || status == SQLITE_BUSY else {
            throw StorageError(SQLiteConnection.code(status), "SQLite checkpoint: \(db.lastError)")
        }
        return Pass(framesInLog: Int(max(0, log)), framesCopied: Int(max(0, copied)))
    }
}
