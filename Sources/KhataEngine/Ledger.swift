import KhataCore
import KhataStorage

#if canImport(Glibc)
    import Glibc
#endif

/// A ledger: the state machine, its journal, and the sequencer between them.
///
/// The write path: `SignatureVerifier` (stateless, parallel) → `submit` (one
/// sequencer: stamps index and time, applies to `LedgerState`, encodes entries) →
/// `JournalStore.append` (one group commit, durable) → receipts. Receipts are
/// returned only after the batch is on stable storage.
///
/// Not thread-safe: one sequencer owns a `Ledger`. Reads of `state` from other
/// threads must go through whoever owns it.
public final class Ledger {
    public private(set) var state: LedgerState
    public let journal: any JournalStore
    /// Where the sequencer's time comes from; tests pass a fixed or stepping clock.
    public let clock: @Sendable () -> Timestamp
    /// Entries between automatic snapshots.
    public var snapshotInterval: UInt64
    private var lastSnapshotSize: UInt64
    private var halted: String?

    /// The default clock: the system's real-time clock, in milliseconds.
    public static let systemClock: @Sendable () -> Timestamp = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp(milliseconds: UInt64(now.tv_sec) * 1_000 + UInt64(now.tv_nsec) / 1_000_000)
    }

    /// Starts a new ledger in `journal` (which must be empty) from `genesis`.
    public static func create(
        journal: any JournalStore, genesis: Genesis, clock: @escaping @Sendable () -> Timestamp = Ledger.systemClock,
        snapshotInterval: UInt64 = 100_000
    ) throws(EngineError) -> Ledger {
        guard journal.entryCount == 0 else { throw EngineError(.invalidGenesis, "the journal already holds entries") }
        guard journal.origin == genesis.origin else {
            throw EngineError(.invalidGenesis, "the journal is for \(journal.origin), the genesis for \(genesis.origin)")
        }
        let time = clock()
        let (state, outcome) = LedgerState.genesis(genesis, time: time)
        guard outcome == .committed else {
            throw EngineError(.invalidGenesis, "genesis operation \(describe(outcome)) failed; fix the genesis file")
        }
        let bytes = Entry(index: LeafIndex(0), time: time, payload: .genesis(genesis), outcome: outcome).encoded
        let history = state.accountsTouched(by: genesis.operations).map { HistoryRow(account: $0, index: LeafIndex(0)) }
        do {
            try journal.append([StoredEntry(index: LeafIndex(0), bytes: bytes, leafHash: Entry.leafHash(bytes))], history: history)
        } catch {
            throw EngineError(error)
        }
        return Ledger(state: state, journal: journal, clock: clock, snapshotInterval: snapshotInterval, lastSnapshotSize: 0)
    }

    /// Opens a ledger from its journal: loads the latest snapshot and replays the
    /// entries after it, checking every leaf hash, signature and logged outcome.
    /// Refuses (with `.corrupt`) a journal that does not replay consistently.
    public static func open(
        journal: any JournalStore, clock: @escaping @Sendable () -> Timestamp = Ledger.systemClock,
        snapshotInterval: UInt64 = 100_000, progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws(EngineError) -> Ledger {
        let recovered = try Recovery(journal: journal, progress: progress).run()
        return Ledger(
            state: recovered.state, journal: journal, clock: clock, snapshotInterval: snapshotInterval,
            lastSnapshotSize: recovered.snapshotSize)
    }

    private init(
        state: LedgerState, journal: any JournalStore, clock: @escaping @Sendable () -> Timestamp,
        snapshotInterval: UInt64, lastSnapshotSize: UInt64
    ) {
        self.state = state
        self.journal = journal
        self.clock = clock
        self.snapshotInterval = snapshotInterval
        self.lastSnapshotSize = lastSnapshotSize
    }

    public var origin: String { state.origin }

    /// Entries applied since the last snapshot (what the next open would replay).
    public var entriesSinceSnapshot: UInt64 { state.size - lastSnapshotSize }

    /// Sequences a batch of verified transactions as one group commit and returns
    /// a receipt for each, in order, once the batch is durable.
    ///
    /// A retry of a transaction already in the log (same id, same content) is not
    /// sequenced again: its receipt is the original one, marked as a retry.
    /// Throws only for storage failures; after one, the ledger halts (memory may be
    /// ahead of disk) and must be reopened.
    public func submit(_ batch: [VerifiedTransaction]) throws(EngineError) -> [Receipt] {
        if let halted { throw EngineError(.halted, "the ledger halted after a storage failure (\(halted)); reopen it") }
        guard batch.count <= Limits.maxBatchTransactions else {
            throw EngineError(.batchTooLarge, "a batch has at most \(Limits.maxBatchTransactions) transactions, got \(batch.count)")
        }
        let time = stamp()
        var entries: [StoredEntry] = []
        var history: [HistoryRow] = []
        var receipts: [Receipt] = []
        entries.reserveCapacity(batch.count)
        receipts.reserveCapacity(batch.count)
        for verified in batch {
            let transaction = verified.transaction
            if let record = state.record(of: transaction.id), record.contentDigest == verified.contentDigest {
                receipts.append(try retryReceipt(transaction.id, record, pending: entries))
                continue
            }
            let index = LeafIndex(state.size)
            let outcome = state.apply(transaction, contentDigest: verified.contentDigest, index: index, time: time)
            let bytes = Entry.encode(index: index, time: time, kind: 1, payload: verified.encoded, outcome: outcome)
            let leafHash = Entry.leafHash(bytes)
            entries.append(StoredEntry(index: index, bytes: bytes, leafHash: leafHash))
            if outcome == .committed {
                for account in state.accountsTouched(by: transaction.operations) {
                    history.append(HistoryRow(account: account, index: index))
                }
            }
            receipts.append(
                Receipt(
                    transaction: transaction.id, index: index, time: time, outcome: outcome, leafHash: leafHash, isRetry: false))
        }
        do {
            try journal.append(entries, history: history)
        } catch {
            halted = error.message
            throw EngineError(.halted, "the journal write failed (\(error.message)); the ledger halted, reopen it to recover")
        }
        if state.size - lastSnapshotSize >= snapshotInterval { try snapshot() }
        return receipts
    }

    /// Stores a snapshot of the current state, so that the next open replays only
    /// what comes after it. Costs an encoding and a hash of the whole state.
    public func snapshot() throws(EngineError) {
        guard state.size > lastSnapshotSize else { return }
        let bytes = state.encodedSnapshot()
        do {
            try journal.saveSnapshot(StoredSnapshot(size: state.size, digest: Digest32.sha256(bytes), bytes: bytes))
        } catch {
            throw EngineError(error)
        }
        lastSnapshotSize = state.size
    }

    /// The time stamped on the next batch: the clock, but never before the last
    /// entry's time, so that time in the log never goes back.
    private func stamp() -> Timestamp {
        let now = min(clock().milliseconds, Limits.maxTimestampMilliseconds)
        return Timestamp(milliseconds: max(now, state.time.milliseconds))
    }

    private func retryReceipt(_ id: TransactionID, _ record: TransactionRecord, pending: [StoredEntry]) throws(EngineError) -> Receipt {
        let stored: StoredEntry
        if record.index.value >= journal.entryCount {
            stored = pending[Int(record.index.value - journal.entryCount)]
        } else {
            do { stored = try journal.entry(at: record.index) } catch { throw EngineError(error) }
        }
        let time: Timestamp
        do { time = try Entry(decoding: stored.bytes).time } catch {
            throw EngineError(.corrupt, "entry \(record.index) does not decode: \(error)")
        }
        return Receipt(transaction: id, index: record.index, time: time, outcome: record.outcome, leafHash: stored.leafHash, isRetry: true)
    }
}

func describe(_ outcome: Outcome) -> String {
    switch outcome {
    case .committed: "committed"
    case .rejected(let code, let operation): "\(operation.map { String($0) } ?? "-") (\(code.name))"
    }
}
