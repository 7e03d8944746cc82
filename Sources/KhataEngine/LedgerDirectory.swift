import KhataCore
import KhataFiles
import KhataLog
import KhataStorage
import KhataVerify

#if canImport(Glibc)
    import Glibc
#endif

/// Where a ledger lives on disk: one directory holding `ledger.sqlite` (the
/// journal, its snapshots and read indexes, with SQLite's `-wal` and `-shm`
/// files beside it while open) and `checkpoint`, the latest signed checkpoint
/// kept outside the journal file, so that a journal file rolled back behind it
/// (restored from an old copy, say) is refused at start.
public struct LedgerDirectory: Sendable {
    public static let journalFileName = "ledger.sqlite"
    public let path: String

    public init(_ path: String) { self.path = path }

    public var journalPath: String { "\(path)/\(LedgerDirectory.journalFileName)" }
    public var checkpointPath: String { "\(path)/checkpoint" }

    /// The signed checkpoint kept beside the journal, if any.
    public func checkpointFile() -> String? {
        guard let file = fopen(checkpointPath, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[..<count]
            if bytes.count > NoteLimits.maxNoteBytes { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Signs a checkpoint of the ledger as it stands and writes it beside the
    /// journal (atomically: a temporary file renamed over the old one).
    @discardableResult
    public func publishCheckpoint(_ ledger: Ledger, signer: NoteSigner) throws(EngineError) -> SignedCheckpoint {
        let signed = try ledger.signCheckpoint(with: signer)
        try writeCheckpointFile(signed.note.formatted)
        return signed
    }

    /// Writes a checkpoint note to `checkpoint` atomically (`AtomicFile`): a full
    /// disk or a failed sync leaves the previous checkpoint, never an empty file.
    public func writeCheckpointFile(_ note: String) throws(EngineError) {
        do { try AtomicFile.write(Array(note.utf8), to: checkpointPath) } catch { throw EngineError(.storage, error.message) }
    }

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

    /// Opens the ledger in this directory, recovering its state from the journal
    /// (`Ledger.open`; `check` says how much of it is re-read first).
    public func open(
        clock: @escaping @Sendable () -> Timestamp = Ledger.systemClock, snapshotInterval: UInt64 = 100_000, check: JournalCheck = .whole,
        progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws(EngineError) -> Ledger {
        let journal: SQLiteJournal
        // Deferring the prefix defers the file's page check with it.
        do { journal = try SQLiteJournal.open(path: journalPath, checkingStructure: check == .whole) } catch { throw EngineError(error) }
        do {
            return try Ledger.open(
                journal: journal, externalCheckpoints: checkpointFile().map { [$0] } ?? [], clock: clock, snapshotInterval: snapshotInterval,
                check: check, progress: progress)
        } catch  where error.code == .behindPublished {
            throw EngineError(
                .behindPublished,
                "\(error.message). It will not sequence: that would sign a second history. Recover the missing entries from any copy of the public log (a follower's or mirror's URL, or `khata log export` output): khata restore --data \(path) --from URL-OR-DIRECTORY"
            )
        }
    }

    /// Recovers the entries the journal lacks from a copy of the public log
    /// (`LedgerRestore`), against this directory's published checkpoint, then
    /// writes the copy's checkpoint beside the journal if it is newer.
    public func restore(
        from source: any LogSource, progress: (_ pass: Int, _ done: UInt64, _ total: UInt64) -> Void = { _, _, _ in }
    ) throws(EngineError) -> LedgerRestore.Summary {
        let journal: SQLiteJournal
        do { journal = try SQLiteJournal.open(path: journalPath) } catch { throw EngineError(error) }
        let summary = try LedgerRestore.restore(journal: journal, published: checkpointFile().map { [$0] } ?? [], from: source, progress: progress)
        if summary.to > summary.published {
            let note: String?
            do { note = try journal.latestCheckpoint() } catch { throw EngineError(error) }
            if let note { try writeCheckpointFile(note) }
        }
        return summary
    }
}
