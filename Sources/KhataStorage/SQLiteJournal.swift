import CSQLite
import KhataBytes
import KhataCore
import KhataLog

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The embedded journal: one SQLite file per ledger, in WAL mode with
/// `synchronous=FULL`, so that a committed append survives power loss.
///
/// Layout (docs/OPERATIONS.md, "The ledger file"):
/// - `khata_meta(key, value)`: format name and version, origin, entry count;
/// - `entries(idx, leaf_hash, data)`: the log, one row per entry;
/// - `snapshots(size, digest, data)`: the two latest state snapshots;
/// - `history(account, idx)`: which entries touched which account;
/// - `tree_hashes(level, idx, hash)`: RFC 6962 subtree hashes of tile level ≥ 1
///   (level 0 is `entries.leaf_hash`), written with the entries that complete them;
/// - `checkpoints(size, note)`: the latest signed checkpoint notes.
///
/// The file is marked with SQLite's `application_id` so that a foreign file is
/// recognised before anything else is read. Opening checks the file's integrity
/// (`PRAGMA quick_check`), the format, and that the entry count recorded with
/// every commit matches the entries present.
public final class SQLiteJournal: JournalStore {
    /// `application_id` of every Khata journal: "KHTA".
    public static let applicationID: Int32 = 0x4B48_5441
    public static let formatVersion = 1
    /// The version of the SQLite library in use.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    public let path: String
    /// The SQLite VFS its connections use (nil: the default).
    public let vfs: String?
    public let origin: String
    public private(set) var entryCount: UInt64
    private let db: SQLiteConnection
    private let insertEntry: SQLiteStatement
    private let insertHistory: SQLiteStatement
    private let insertTreeHash: SQLiteStatement
    private let selectLeafHashes: SQLiteStatement
    private let selectTreeHashes: SQLiteStatement
    private let updateCount: SQLiteStatement
    private let selectEntries: SQLiteStatement

    /// Creates a new journal file for a ledger named `origin`. Fails if the file exists.
    public static func create(path: String, origin: String, vfs: String? = nil) throws(StorageError) -> SQLiteJournal {
        if fileExists(path) {
            throw StorageError(.exists, "\(path) already exists; choose another directory or remove it to start over")
        }
        let db = try SQLiteConnection(path: path, create: true, vfs: vfs)
        try db.execute(
            """
            PRAGMA application_id = \(applicationID);
            PRAGMA journal_mode = WAL;
            BEGIN;
            CREATE TABLE khata_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE entries (idx INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, data BLOB NOT NULL);
            CREATE TABLE snapshots (size INTEGER PRIMARY KEY, digest BLOB NOT NULL, data BLOB NOT NULL);
            \(SQLiteJournal.snapshotPartsTable);
            CREATE TABLE history (account BLOB NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (account, idx)) WITHOUT ROWID;
            CREATE TABLE tree_hashes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
            CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);
            INSERT INTO khata_meta VALUES ('format', 'khata-journal'), ('format_version', \(formatVersion)), ('entry_count', 0);
            """)
        let insert = try db.prepare("INSERT INTO khata_meta VALUES ('origin', ?)")
        insert.bind(text: origin, at: 1)
        try insert.run()
        try db.execute("COMMIT")
        return try SQLiteJournal(db: db, path: path, vfs: vfs)
    }

    /// Opens an existing journal, checking that it is a Khata journal of a known
    /// version and undamaged. Cost: reads the whole file once (`quick_check`).
    /// `vfs`: the SQLite VFS (nil: the default; tests pass a power-loss one).
    ///
    /// `checkingStructure: false` leaves `quick_check` for later
    /// (`checkStructure`): a node starting fast runs it in the background with
    /// the rest of its deferred checks, since on a large ledger it takes about
    /// half a second per 500 MB.
    public static func open(path: String, vfs: String? = nil, checkingStructure: Bool = true) throws(StorageError) -> SQLiteJournal {
        guard fileExists(path) else {
            throw StorageError(.notFound, "no ledger at \(path); create one with `khata init`")
        }
        let db = try SQLiteConnection(path: path, create: false, vfs: vfs)
        let appID: Int64
        do throws(StorageError) {
            appID = try db.scalarInt("PRAGMA application_id")
        } catch {
            throw StorageError(.foreign, "\(path) is not a Khata ledger file (\(error.message))")
        }
        guard appID == Int64(applicationID) else {
            throw StorageError(.foreign, "\(path) is an SQLite database of another program (application_id \(appID)), not a Khata ledger")
        }
        if checkingStructure { try SQLiteJournal.quickCheck(db, path: path) }
        try db.execute("PRAGMA journal_mode = WAL")
        // Journals made before snapshots could be saved in parts gain the table.
        try db.execute(snapshotPartsTable)
        return try SQLiteJournal(db: db, path: path, vfs: vfs)
    }

    /// Snapshots saved by `SQLiteSnapshotWriter` keep their bytes here, in parts;
    /// their `snapshots` row has empty data.
    static let snapshotPartsTable =
        "CREATE TABLE IF NOT EXISTS snapshot_parts (size INTEGER NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL, UNIQUE (size, part))"

    /// Drops snapshots but the newest two, and parts no snapshot row names (left
    /// by a save that a crash interrupted).
    static let pruneSnapshots = """
        DELETE FROM snapshots WHERE size NOT IN (SELECT size FROM snapshots ORDER BY size DESC LIMIT 2);
        DELETE FROM snapshot_parts WHERE size NOT IN (SELECT size FROM snapshots);
        """

    /// The WAL size (in pages) at which the writer checkpoints by itself, inside a
    /// commit. A `SQLiteWALCheckpointer` running beside it keeps that rare and short.
    public static let writerCheckpointPages = 10_000

    /// A second connection to this journal's file that copies its WAL into the
    /// database file in the background.
    public func makeWALCheckpointer() throws(StorageError) -> SQLiteWALCheckpointer {
        try SQLiteWALCheckpointer(path: path, vfs: vfs)
    }

    /// A second connection to this journal's file that saves snapshots in parts.
    public func makeSnapshotWriter() throws(StorageError) -> (any SnapshotWriter)? {
        try SQLiteSnapshotWriter(path: path, vfs: vfs)
    }

    /// SQLite's `quick_check`: a damaged page (or a file SQLite finds corrupt)
    /// is `corrupt`; any other failure (busy, I/O, memory) keeps its own code,
    /// since it says nothing about the file.
    private static func quickCheck(_ db: SQLiteConnection, path: String) throws(StorageError) {
        let check: String?
        do { check = try db.scalarText("PRAGMA quick_check") } catch  where error.code == .corrupt {
            throw StorageError(.corrupt, "\(path) is damaged (\(error.message)); restore it from a backup")
        }
        guard check == "ok" else {
            throw StorageError(.corrupt, "\(path) is damaged (\(check ?? "no answer from quick_check")); restore it from a backup")
        }
    }

    /// Every page of the file checked (`PRAGMA quick_check`).
    public func checkStructure() throws(StorageError) { try SQLiteJournal.quickCheck(db, path: path) }

    /// Opens a second, read-only connection to a journal that another connection
    /// writes: for serving reads (tiles, entries, proofs, history) beside the
    /// sequencer without ever taking its lock. Makes no checks of the file (the
    /// writer's open made or deferred them). `refresh()` picks up entries
    /// committed since.
    public static func openForReading(path: String, vfs: String? = nil) throws(StorageError) -> SQLiteJournal {
        guard fileExists(path) else { throw StorageError(.notFound, "no ledger at \(path)") }
        return try SQLiteJournal(
            db: try SQLiteConnection(path: path, create: false, readOnly: true, vfs: vfs), path: path, vfs: vfs, readOnly: true)
    }

    /// Re-reads the entry count (for a read-only connection, after the writer committed).
    public func refresh() throws(StorageError) {
        guard let count = UInt64(try db.metaText("entry_count") ?? "") else { throw StorageError(.corrupt, "\(path) has no entry count") }
        entryCount = count
    }

    private init(db: SQLiteConnection, path: String, vfs: String?, readOnly: Bool = false) throws(StorageError) {
        self.db = db
        self.vfs = vfs
        self.path = path
        if !readOnly {
            try db.execute(
                "PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = \(SQLiteJournal.writerCheckpointPages);")
        }
        let format = try db.metaText("format")
        guard format == "khata-journal" else {
            throw StorageError(.foreign, "\(path) has format \(format ?? "none"), not khata-journal")
        }
        let version = Int(try db.metaText("format_version") ?? "") ?? 0
        guard version == SQLiteJournal.formatVersion else {
            throw StorageError(.unsupportedVersion, "\(path) has journal format \(version); this build reads \(SQLiteJournal.formatVersion)")
        }
        guard let origin = try db.metaText("origin") else { throw StorageError(.corrupt, "\(path) has no origin") }
        self.origin = origin
        guard let count = UInt64(try db.metaText("entry_count") ?? "") else {
            throw StorageError(.corrupt, "\(path) has no entry count")
        }
        entryCount = count
        if !readOnly {
            let present = try db.scalarInt("SELECT COUNT(*) FROM entries WHERE idx >= \(max(0, Int64(count) - 1))")
            let beyond = try db.scalarInt("SELECT COUNT(*) FROM entries WHERE idx >= \(Int64(count))")
            guard beyond == 0, count == 0 || present == 1 else {
                throw StorageError(.corrupt, "\(path) records \(count) entries but its entries table disagrees: the journal was truncated or altered")
            }
        }
        insertEntry = try db.prepare("INSERT INTO entries (idx, leaf_hash, data) VALUES (?, ?, ?)")
        insertHistory = try db.prepare("INSERT OR IGNORE INTO history (account, idx) VALUES (?, ?)")
        insertTreeHash = try db.prepare("INSERT INTO tree_hashes (level, idx, hash) VALUES (?, ?, ?)")
        selectLeafHashes = try db.prepare("SELECT leaf_hash FROM entries WHERE idx >= ? ORDER BY idx LIMIT ?")
        selectTreeHashes = try db.prepare("SELECT hash FROM tree_hashes WHERE level = ? AND idx >= ? ORDER BY idx LIMIT ?")
        updateCount = try db.prepare("UPDATE khata_meta SET value = ? WHERE key = 'entry_count'")
        selectEntries = try db.prepare("SELECT idx, leaf_hash, data FROM entries WHERE idx >= ? ORDER BY idx LIMIT ?")
    }

    public func append(_ entries: [StoredEntry], history: [HistoryRow], treeHashes: [TreeEdge.Completed]) throws(StorageError) {
        guard !entries.isEmpty else { return }
        for (offset, entry) in entries.enumerated() where entry.index.value != entryCount + UInt64(offset) {
            throw StorageError(.outOfOrder, "entry \(entry.index) does not continue a log of \(entryCount + UInt64(offset))")
        }
        try db.execute("BEGIN IMMEDIATE")
        do {
            for entry in entries {
                insertEntry.bind(int: Int64(entry.index.value), at: 1)
                insertEntry.bind(blob: entry.leafHash.bytes, at: 2)
                insertEntry.bind(blob: entry.bytes, at: 3)
                try insertEntry.run()
            }
            for row in history {
                insertHistory.bind(blob: accountKey(row.account), at: 1)
                insertHistory.bind(int: Int64(row.index.value), at: 2)
                try insertHistory.run()
            }
            for hash in treeHashes {
                insertTreeHash.bind(int: Int64(hash.level), at: 1)
                insertTreeHash.bind(int: Int64(hash.index), at: 2)
                insertTreeHash.bind(blob: hash.hash.bytes, at: 3)
                try insertTreeHash.run()
            }
            let newCount = entryCount + UInt64(entries.count)
            updateCount.bind(text: String(newCount), at: 1)
            try updateCount.run()
            try db.execute("COMMIT")
            entryCount = newCount
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    public func entries(from start: LeafIndex, limit: Int) throws(StorageError) -> [StoredEntry] {
        selectEntries.bind(int: Int64(clamping: start.value), at: 1)
        selectEntries.bind(int: Int64(limit), at: 2)
        var result: [StoredEntry] = []
        try selectEntries.forEachRow { row throws(StorageError) in
            let index = LeafIndex(UInt64(row.int(0)))
            guard let hash = Digest32(bytes: row.blob(1)) else {
                throw StorageError(.corrupt, "entry \(index) has a malformed leaf hash")
            }
            result.append(try StoredEntry(index: index, bytes: row.blob(2), leafHash: hash).verified())
        }
        for (offset, entry) in result.enumerated() where entry.index.value != start.value + UInt64(offset) {
            throw StorageError(.corrupt, "entry \(start.value + UInt64(offset)) is missing from \(path)")
        }
        return result
    }

    public func leafHashes(start: UInt64, count: Int) throws(StorageError) -> [Digest32] {
        try readHashes(selectLeafHashes, [Int64(clamping: start), Int64(count)], "leaf hash")
    }

    public func treeHashes(level: Int, start: UInt64, count: Int) throws(StorageError) -> [Digest32] {
        try readHashes(selectTreeHashes, [Int64(level), Int64(clamping: start), Int64(count)], "tree hash")
    }

    private func readHashes(_ statement: SQLiteStatement, _ parameters: [Int64], _ what: String) throws(StorageError) -> [Digest32] {
        for (position, value) in parameters.enumerated() { statement.bind(int: value, at: Int32(position + 1)) }
        var result: [Digest32] = []
        try statement.forEachRow { row throws(StorageError) in
            guard let hash = Digest32(bytes: row.blob(0)) else { throw StorageError(.corrupt, "a stored \(what) is not 32 bytes") }
            result.append(hash)
        }
        return result
    }

    public func allTreeHashes() throws(StorageError) -> [TreeEdge.Completed] {
        var result: [TreeEdge.Completed] = []
        try db.prepare("SELECT level, idx, hash FROM tree_hashes ORDER BY level, idx").forEachRow { row throws(StorageError) in
            guard let hash = Digest32(bytes: row.blob(2)) else { throw StorageError(.corrupt, "a stored tree hash is not 32 bytes") }
            result.append(TreeEdge.Completed(level: Int(row.int(0)), index: UInt64(row.int(1)), hash: hash))
        }
        return result
    }

    public func saveCheckpoint(_ note: String, size: UInt64) throws(StorageError) {
        try db.execute("BEGIN IMMEDIATE")
        do {
            let insert = try db.prepare("INSERT OR REPLACE INTO checkpoints (size, note) VALUES (?, ?)")
            insert.bind(int: Int64(size), at: 1)
            insert.bind(text: note, at: 2)
            try insert.run()
            try db.execute("DELETE FROM checkpoints WHERE size NOT IN (SELECT size FROM checkpoints ORDER BY size DESC LIMIT 2)")
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    public func latestCheckpoint() throws(StorageError) -> String? {
        try db.scalarText("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1")
    }

    public func saveSnapshot(_ snapshot: StoredSnapshot) throws(StorageError) {
        try db.execute("BEGIN IMMEDIATE")
        do {
            let insert = try db.prepare("INSERT OR REPLACE INTO snapshots (size, digest, data) VALUES (?, ?, ?)")
            insert.bind(int: Int64(snapshot.size), at: 1)
            insert.bind(blob: snapshot.digest.bytes, at: 2)
            insert.bind(blob: snapshot.bytes, at: 3)
            try insert.run()
            // Keep the previous snapshot too, so that one damaged snapshot is not fatal.
            try db.execute(SQLiteJournal.pruneSnapshots)
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    public func latestSnapshot() throws(StorageError) -> StoredSnapshot? {
        let select = try db.prepare("SELECT size, digest, data FROM snapshots ORDER BY size DESC LIMIT 1")
        var found: StoredSnapshot?
        var rows: [(size: UInt64, digest: [UInt8], data: [UInt8])] = []
        try select.forEachRow { row throws(StorageError) in rows.append((UInt64(row.int(0)), row.blob(1), row.blob(2))) }
        for (size, digestBytes, stored) in rows {
            var data = stored
            if data.isEmpty {
                let parts = try db.prepare("SELECT data FROM snapshot_parts WHERE size = ? ORDER BY part")
                parts.bind(int: Int64(size), at: 1)
                try parts.forEachRow { row throws(StorageError) in data += row.blob(0) }
            }
            guard let digest = Digest32(bytes: digestBytes), Digest32.sha256(data) == digest else {
                throw StorageError(.corrupt, "the snapshot after \(size) entries does not match its digest")
            }
            found = StoredSnapshot(size: size, digest: digest, bytes: data)
        }
        return found
    }

    public func history(of account: AccountID, before: LeafIndex?, limit: Int) throws(StorageError) -> [LeafIndex] {
        let select = try db.prepare("SELECT idx FROM history WHERE account = ? AND idx < ? ORDER BY idx DESC LIMIT ?")
        select.bind(blob: accountKey(account), at: 1)
        select.bind(int: Int64(clamping: before?.value ?? UInt64(Int64.max)), at: 2)
        select.bind(int: Int64(limit), at: 3)
        var result: [LeafIndex] = []
        try select.forEachRow { row throws(StorageError) in result.append(LeafIndex(UInt64(row.int(0)))) }
        return result
    }

    private func accountKey(_ id: AccountID) -> [UInt8] {
        var writer = ByteWriter(capacity: 16)
        writer.write(id: id)
        return writer.bytes
    }

    private static func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}
