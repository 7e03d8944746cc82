import Foundation
import KhataCore

/// Saves snapshots into a journal file on a connection of its own, in parts,
/// so that the sequencer's commits interleave with the save instead of waiting
/// for it: each part of at most `partBytes` is one short, synced transaction
/// (the WAL lets one writer at a time in, and holds it for a part, not for the
/// whole snapshot); a last transaction adds the `snapshots` row that makes the
/// snapshot visible and prunes old ones. A crash before that row leaves only
/// unreferenced parts, which the next save removes.
///
/// Each part is synced as it is written, and the writer pauses 5 ms between
/// parts. Left unsynced, the parts' megabytes would be flushed by the next sync
/// of the WAL, usually one of the sequencer's commits (a 6 MB snapshot, 20 ms of
/// this machine's disk); written back to back, they would hold the journal's
/// write lock and the disk for most of the save. In parts of 64 KiB with pauses,
/// the sequencer's commits interleave with the save and wait at most for one
/// part. The pause paces the save at under 13 MB/s (a 6 MB snapshot in about
/// half a second): at 10,000 transactions/s, 1 ms pauses left p99.9 at 6.6–13.5
/// ms over the runs with a snapshot, 5 ms pauses 4.9–5.4 ms (A/B, three runs
/// each). A save in flight delays the next snapshot, never a commit.
///
/// Used from one thread at a time (the ledger's snapshot queue).
public final class SQLiteSnapshotWriter: SnapshotWriter, @unchecked Sendable {
    public static let defaultPartBytes = 64 << 10
    /// The pause between two parts.
    static let pauseMicroseconds: UInt32 = 5_000
    private let db: SQLiteConnection
    private let partBytes: Int

    init(path: String, partBytes: Int = SQLiteSnapshotWriter.defaultPartBytes, vfs: String? = nil) throws(StorageError) {
        precondition(partBytes > 0, "SQLiteSnapshotWriter: parts of \(partBytes) bytes")
        self.partBytes = partBytes
        db = try SQLiteConnection(path: path, create: false, vfs: vfs)
        // Checkpoints stay with the journal's own, synced connection: one run from
        // here, unsynced, could copy acknowledged commits into the database file
        // without syncing it before the WAL is reused.
        try db.execute("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0; \(SQLiteJournal.snapshotPartsTable)")
    }

    public func save(_ snapshot: StoredSnapshot) throws(StorageError) {
        let bytes = snapshot.bytes
        var part = 0
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + partBytes)
            try transaction { () throws(StorageError) in
                let insert = try db.prepare("INSERT OR REPLACE INTO snapshot_parts (size, part, data) VALUES (?, ?, ?)")
                insert.bind(int: Int64(snapshot.size), at: 1)
                insert.bind(int: Int64(part), at: 2)
                insert.bind(blob: Array(bytes[offset..<end]), at: 3)
                try insert.run()
            }
            part += 1
            offset = end
            // Leave the journal and the disk to the sequencer between parts.
            if offset < bytes.count { usleep(SQLiteSnapshotWriter.pauseMicroseconds) }
        } while offset < bytes.count
        try transaction { () throws(StorageError) in
            let insert = try db.prepare("INSERT OR REPLACE INTO snapshots (size, digest, data) VALUES (?, ?, ?)")
            insert.bind(int: Int64(snapshot.size), at: 1)
            insert.bind(blob: snapshot.digest.bytes, at: 2)
            insert.bind(blob: [], at: 3)
            try insert.run()
            try db.execute(SQLiteJournal.pruneSnapshots)
        }
    }

    private func transaction(_ body: () throws(StorageError) -> Void) throws(StorageError) {
        try db.execute("BEGIN IMMEDIATE")
        do {
            try body()
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}
