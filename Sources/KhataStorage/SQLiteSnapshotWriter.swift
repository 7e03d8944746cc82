import KhataCore

/// Saves snapshots into a journal file on a connection of its own, in parts,
/// so that the sequencer's commits interleave with the save instead of waiting
/// for it: each part of at most `partBytes` is one short transaction (the WAL
/// lets one writer at a time in, and holds it for a part, not for the whole
/// snapshot) that is not synced on its own; a last, synced transaction adds the
/// `snapshots` row that makes the snapshot visible and prunes old ones (its
/// sync makes every earlier frame of the WAL durable too). A crash before that
/// row leaves only unreferenced parts, which the next save removes.
///
/// Used from one thread at a time (the ledger's snapshot queue).
public final class SQLiteSnapshotWriter: SnapshotWriter, @unchecked Sendable {
    public static let defaultPartBytes = 256 << 10
    private let db: SQLiteConnection
    private let partBytes: Int

    init(path: String, partBytes: Int = SQLiteSnapshotWriter.defaultPartBytes) throws(StorageError) {
        precondition(partBytes > 0, "SQLiteSnapshotWriter: parts of \(partBytes) bytes")
        self.partBytes = partBytes
        db = try SQLiteConnection(path: path, create: false)
        // Checkpoints stay with the journal's own, synced connection: one run from
        // here, unsynced, could copy acknowledged commits into the database file
        // without syncing it before the WAL is reused.
        try db.execute("PRAGMA wal_autocheckpoint = 0; \(SQLiteJournal.snapshotPartsTable)")
    }

    public func save(_ snapshot: StoredSnapshot) throws(StorageError) {
        let bytes = snapshot.bytes
        var part = 0
        var offset = 0
        try db.execute("PRAGMA synchronous = OFF")
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
        } while offset < bytes.count
        try db.execute("PRAGMA synchronous = FULL")
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
