import KhataCore
import KhataStorage

#if canImport(Glibc)
    import Glibc
#endif

/// Where a ledger lives on disk: one directory holding `ledger.sqlite` (the
/// journal, its snapshots and read indexes, with SQLite's `-wal` and `-shm`
/// files beside it while open).
public struct LedgerDirectory: Sendable {
    public static let journalFileName = "ledger.sqlite"
    public let path: String

    public init(_ path: String) { self.path = path }

    public var journalPath: String { "\(path)/\(LedgerDirectory.journalFileName)" }

    /// Creates the directory if needed and starts a new ledger in it.
    public func create(
        genesis: Genesis, clock: @escaping @Sendable () -> Timestamp = Ledger.systemClock
    ) throws(EngineError) -> Ledger {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw EngineError(.storage, "cannot create directory \(path): \(String(cString: strerror(errno)))")
        }
        let journal: SQLiteJournal
        do { journal = try SQLiteJournal.create(path: journalPath, origin: genesis.origin) } catch { throw EngineError(error) }
        do {
            return try Ledger.create(journal: journal, genesis: genesis, clock: clock)
        } catch {
            // Leave no half-made ledger behind: a second `init` should simply work.
            unlink(journalPath)
            unlink(journalPath + "-wal")
            unlink(journalPath + "-shm")
            throw error
        }
    }

    /// Opens the ledger in this directory, recovering its state from the journal.
    public func open(
        clock: @escaping @Sendable () -> Timestamp = Ledger.systemClock, progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws(EngineError) -> Ledger {
        let journal: SQLiteJournal
        do { journal = try SQLiteJournal.open(path: journalPath) } catch { throw EngineError(error) }
        return try Ledger.open(journal: journal, clock: clock, progress: progress)
    }
}
