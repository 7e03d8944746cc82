import Foundation
import KhataAPI
import KhataCore
import KhataLog
import KhataStorage
import NIOPosix

/// The read side of the journal: a pool of read-only SQLite connections beside
/// the sequencer's, each reading its own WAL snapshot, so that tiles, entries,
/// proofs and history are served without ever taking the sequencer's lock and
/// without queueing behind one another. Every read runs on a thread of the
/// store's own pool (`NIOThreadPool`), never on an event loop: a slow disk
/// delays the reads that need it, not the server's other work.
public final class ReadStore: @unchecked Sendable {
    private let condition = NSCondition()
    private var idle: [SQLiteJournal]
    private let threads: NIOThreadPool

    /// `connections` read connections and as many threads.
    public init(path: String, connections: Int = max(2, ProcessInfo.processInfo.activeProcessorCount)) throws {
        idle = try (0..<max(1, connections)).map { _ in try SQLiteJournal.openForReading(path: path) }
        threads = NIOThreadPool(numberOfThreads: idle.count)
        threads.start()
    }

    deinit { try? threads.syncShutdownGracefully() }

    /// Runs `body` on a read thread with a connection refreshed to the latest commit.
    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteJournal) throws -> T) async throws -> T {
        try await threads.runIfActive { [self] in try with(body) }
    }

    /// Runs `body` on this thread with a connection of the pool (for callers
    /// already off the event loops).
    public func with<T>(_ body: (SQLiteJournal) throws -> T) throws -> T {
        condition.lock()
        while idle.isEmpty { condition.wait() }
        let journal = idle.removeLast()
        condition.unlock()
        defer {
            condition.lock()
            idle.append(journal)
            condition.signal()
            condition.unlock()
        }
        try journal.refresh()
        return try body(journal)
    }
}
