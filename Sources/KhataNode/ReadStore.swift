import Foundation
import KhataAPI
import KhataCore
import KhataLog
import KhataStorage

/// The read side of the journal: a read-only SQLite connection beside the
/// sequencer's, so that tiles, entries, proofs and history are served without
/// ever taking the sequencer's lock (WAL lets readers and the writer proceed
/// together). Readers share this connection one at a time.
public final class ReadStore: @unchecked Sendable {
    private let journal: SQLiteJournal
    private let lock = NSLock()

    public init(path: String) throws {
        journal = try SQLiteJournal.openForReading(path: path)
    }

    /// Runs `body` with the read connection, refreshed to the latest commit.
    public func with<T>(_ body: (SQLiteJournal) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        try journal.refresh()
        return try body(journal)
    }
}
