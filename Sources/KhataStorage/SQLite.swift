import CSQLite
import KhataCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SQLITE_TRANSIENT: SQLite copies bound bytes before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// How a connection waits for a lock another connection of the same file holds
/// (a snapshot part being written, the WAL being restarted beside a background
/// checkpoint): those take well under a millisecond, so it looks again every
/// 50 µs for the first 10 ms, then every millisecond, and gives up (SQLITE_BUSY)
/// after about 5 s. SQLite's own `busy_timeout` sleeps 1, 2, 5, 10… ms between
/// looks, which under load turned a sub-millisecond wait into pauses of 3–30 ms
/// of the sequencer's commits.
private let waitWhileBusy: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Int32 = { _, attempts in
    switch attempts {
    case ..<200: usleep(50)
    case ..<5_200: usleep(1_000)
    default: return 0
    }
    return 1
}

/// One SQLite connection: thin, used by the journal's SQLite driver and by the
/// witness server's store (`KhataWitnessServer`).
///
/// Hand-written over the system SQLite rather than GRDB or sqlite-nio because the
/// journal needs what those hide: synchronous calls on the sequencer's own thread
/// (sqlite-nio runs each on an NIO thread pool and answers with futures), the
/// busy handler below (measured: SQLite's own `busy_timeout` turned sub-millisecond
/// lock waits into 3–30 ms pauses of the sequencer's commits), a VFS chosen per
/// connection (the power-loss tests' `PowerLossVFS`), and persistent prepared
/// statements reused for every group commit.
public final class SQLiteConnection {
    let handle: OpaquePointer

    /// `vfs`: the SQLite VFS to open the file through (nil: the default); the
    /// power-loss tests pass one that loses what was not synced.
    public init(path: String, create: Bool, readOnly: Bool = false, vfs: String? = nil) throws(StorageError) {
        var handle: OpaquePointer?
        let access = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
        let flags = access | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, vfs)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "status \(status)"
            sqlite3_close(handle)
            throw StorageError(.io, "cannot open \(path): \(message)")
        }
        self.handle = handle
        sqlite3_busy_handler(handle, waitWhileBusy, nil)
    }

    deinit { sqlite3_close_v2(handle) }

    public var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    public func execute(_ sql: String) throws(StorageError) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? lastError
            sqlite3_free(message)
            throw StorageError(Self.code(status), "SQLite: \(text)")
        }
    }

    public func prepare(_ sql: String) throws(StorageError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else {
            throw StorageError(Self.code(status), "SQLite: \(lastError)")
        }
        return SQLiteStatement(statement, connection: self)
    }

    public func scalarInt(_ sql: String) throws(StorageError) -> Int64 {
        var value: Int64 = 0
        try prepare(sql).forEachRow { row in value = row.int(0) }
        return value
    }

    public func scalarText(_ sql: String) throws(StorageError) -> String? {
        var value: String?
        try prepare(sql).forEachRow { row in value = row.text(0) }
        return value
    }

    public func metaText(_ key: String) throws(StorageError) -> String? {
        let select = try prepare("SELECT CAST(value AS TEXT) FROM khata_meta WHERE key = ?")
        select.bind(text: key, at: 1)
        var value: String?
        try select.forEachRow { row in value = row.text(0) }
        return value
    }

    static func code(_ status: Int32) -> StorageError.Code {
        switch status & 0xff {
        case SQLITE_CORRUPT: .corrupt
        case SQLITE_NOTADB: .foreign
        default: .io
        }
    }
}

/// A prepared statement, reset after each use so that it can be reused.
public final class SQLiteStatement {
    private let statement: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(_ statement: OpaquePointer, connection: SQLiteConnection) {
        self.statement = statement
        self.connection = connection
    }

    deinit { sqlite3_finalize(statement) }

    public func bind(int value: Int64, at index: Int32) { sqlite3_bind_int64(statement, index, value) }

    public func bind(text value: String, at index: Int32) { sqlite3_bind_text(statement, index, value, -1, transient) }

    public func bind(blob value: [UInt8], at index: Int32) {
        value.withUnsafeBytes { raw in
            _ = sqlite3_bind_blob(statement, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count), transient)
        }
    }

    /// Runs a statement that returns no rows.
    public func run() throws(StorageError) {
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        let status = sqlite3_step(statement)
        guard status == SQLITE_DONE || status == SQLITE_ROW else {
            throw StorageError(SQLiteConnection.code(status), "SQLite: \(connection.lastError)")
        }
    }

    /// Calls `body` for each row.
    public func forEachRow(_ body: (SQLiteRow) throws(StorageError) -> Void) throws(StorageError) {
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else {
                throw StorageError(SQLiteConnection.code(status), "SQLite: \(connection.lastError)")
            }
            try body(SQLiteRow(statement: statement))
        }
    }
}

/// The current row of a statement; valid only inside `forEachRow`.
public struct SQLiteRow {
    let statement: OpaquePointer

    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    public func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(statement, column) else { return nil }
        return String(cString: pointer)
    }

    public func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
