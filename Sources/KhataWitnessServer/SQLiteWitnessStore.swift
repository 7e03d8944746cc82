import KhataBytes
import KhataLog
import KhataStorage

/// A witness's memory in one SQLite file (WAL, `synchronous=FULL`): per log
/// origin, the latest checkpoint it cosigned. `replace` checks the old size and
/// writes in one `BEGIN IMMEDIATE` transaction, so concurrent requests (even from
/// several processes) cannot roll a log back.
public final class SQLiteWitnessStore: WitnessStore {
    public static let applicationID: Int32 = 0x4B48_5457  // "KHTW"
    private let db: SQLiteConnection

    /// Opens the store at `path`, creating it if needed.
    public init(path: String) throws(StorageError) {
        db = try SQLiteConnection(path: path, create: true)
        let appID = try db.scalarInt("PRAGMA application_id")
        if appID == 0 {
            try db.execute(
                """
                PRAGMA application_id = \(SQLiteWitnessStore.applicationID);
                PRAGMA journal_mode = WAL;
                CREATE TABLE IF NOT EXISTS witness_records (
                    origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL);
                """)
        } else if appID != Int64(SQLiteWitnessStore.applicationID) {
            throw StorageError(.foreign, "\(path) is not a Khata witness database")
        }
        try db.execute("PRAGMA synchronous = FULL")
    }

    public func record(for origin: String) throws -> WitnessRecord? {
        let select = try db.prepare("SELECT size, root FROM witness_records WHERE origin = ?")
        select.bind(text: origin, at: 1)
        var found: WitnessRecord?
        try select.forEachRow { row throws(StorageError) in
            guard let root = Digest32(bytes: row.blob(1)) else { throw StorageError(.corrupt, "the witness record of \(origin) is damaged") }
            found = WitnessRecord(size: UInt64(row.int(0)), root: root)
        }
        return found
    }

    public func replace(origin: String, expectedSize: UInt64, with record: WitnessRecord, note: String) throws -> Bool {
        try db.execute("BEGIN IMMEDIATE")
        do {
            let current = try self.record(for: origin)?.size ?? 0
            guard current == expectedSize else {
                try db.execute("ROLLBACK")
                return false
            }
            let upsert = try db.prepare(
                """
                INSERT INTO witness_records (origin, size, root, note) VALUES (?, ?, ?, ?)
                ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note
                """)
            upsert.bind(text: origin, at: 1)
            upsert.bind(int: Int64(record.size), at: 2)
            upsert.bind(blob: record.root.bytes, at: 3)
            upsert.bind(text: note, at: 4)
            try upsert.run()
            try db.execute("COMMIT")
            return true
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}
