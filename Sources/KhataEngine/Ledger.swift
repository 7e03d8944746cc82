import Dispatch
import KhataBytes
import KhataCore
import KhataLog
import KhataStorage
import KhataVerify

#if canImport(Glibc)
    import Glibc
#endif

/// The ledger engine: the state machine and its journal, driven by one
/// sequencer (the thread that owns this `Ledger` and calls `submit`).
///
/// The write path: `SignatureVerifier` (stateless, parallel) → `submit` (on the
/// sequencer: stamps index and time, applies to `LedgerState`, encodes entries) →
/// `JournalStore.append` (one group commit, durable) → receipts. Receipts are
/// returned only after the batch is on stable storage.
///
/// Not thread-safe: one sequencer owns a `Ledger`. Reads of `state` from other
/// threads must go through whoever owns it.
public final class Ledger {
    public private(set) var state: LedgerState
    /// The right edge of the log's Merkle tree: its size and root, maintained as
    /// entries are committed (about one SHA-256 per entry), never recomputed.
    public private(set) var edge: TreeEdge
    /// The latest checkpoint this ledger signed (with any cosignatures stored since).
    public private(set) var latestCheckpoint: SignedCheckpoint?
    public let journal: any JournalStore
    /// Where the sequencer's time comes from; tests pass a fixed or stepping clock.
    public let clock: @Sendable () -> Timestamp
    /// Entries between automatic snapshots.
    public var snapshotInterval: UInt64
    /// The size of the latest snapshot saved.
    private var lastSnapshotSize: UInt64
    /// The size of the latest snapshot started in the background (saved or not yet).
    private var scheduledSnapshotSize: UInt64
    /// How automatic snapshots are saved, decided at the first one.
    private var snapshotMode = SnapshotMode.undecided
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
        var edge = TreeEdge()
        let leafHash = Entry.leafHash(bytes)
        edge.append(leafHash)
        do {
            try journal.append([StoredEntry(index: LeafIndex(0), bytes: bytes, leafHash: leafHash)], history: history, treeHashes: [])
        } catch {
            throw EngineError(error)
        }
        return Ledger(
            state: state, edge: edge, checkpoint: nil, journal: journal, clock: clock, snapshotInterval: snapshotInterval, lastSnapshotSize: 0)
    }

    /// Opens a ledger from its journal, proving it sound first (see `Recovery`):
    /// every leaf hash, tree hash and signed checkpoint is checked, and the entries
    /// after the latest snapshot are replayed to their logged outcomes.
    /// `externalCheckpoints` are signed checkpoint notes kept outside the journal,
    /// so that a journal rolled back behind one of them is refused.
    /// `check: .deferringPrefix` re-reads only the entries after the latest
    /// signed checkpoint or snapshot and leaves the rest as `uncheckedPrefix`,
    /// to be run (`JournalPrefixCheck.run`) and reported (`prefixChecked`)
    /// before any checkpoint is signed.
    public static func open(
        journal: any JournalStore, externalCheckpoints: [String] = [], clock: @escaping @Sendable () -> Timestamp = Ledger.systemClock,
        snapshotInterval: UInt64 = 100_000, check: JournalCheck = .whole, progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws(EngineError) -> Ledger {
        let recovered = try Recovery(journal: journal, externalCheckpoints: externalCheckpoints, check: check, progress: progress).run()
        let ledger = Ledger(
            state: recovered.state, edge: recovered.edge, checkpoint: recovered.checkpoint, journal: journal, clock: clock,
            snapshotInterval: snapshotInterval, lastSnapshotSize: recovered.snapshotSize)
        ledger.uncheckedPrefix = recovered.uncheckedPrefix
        return ledger
    }

    /// The journal's first entries that a fast open took on a signed
    /// checkpoint's proof and has not yet re-read; until `prefixChecked`
    /// reports them sound, the ledger signs no checkpoint.
    public private(set) var uncheckedPrefix: JournalPrefixCheck?

    /// Takes the result of running `uncheckedPrefix`: success lets checkpoints
    /// be signed again; a failure halts the ledger (its log is damaged: it must
    /// not extend it), with the failure as the reason.
    public func prefixChecked(_ result: Result<Void, EngineError>) {
        switch result {
        case .success: uncheckedPrefix = nil
        case .failure(let error): halted = halted ?? "the journal's first entries failed their check: \(error.message)"
        }
    }

    /// Takes a failure of the journal's structure check that a fast open left
    /// for later (`JournalStore.checkStructure`): the ledger halts, as for a
    /// damaged prefix. (Success changes nothing: that check covers pages the
    /// checkpoints do not sign over, such as account history, so they need not
    /// wait for it.)
    public func structureCheckFailed(_ error: EngineError) {
        halted = halted ?? "the journal's pages failed their check: \(error.message)"
    }

    private init(
        state: LedgerState, edge: TreeEdge, checkpoint: SignedCheckpoint?, journal: any JournalStore,
        clock: @escaping @Sendable () -> Timestamp, snapshotInterval: UInt64, lastSnapshotSize: UInt64
    ) {
        self.state = state
        self.edge = edge
        latestCheckpoint = checkpoint
        self.journal = journal
        self.clock = clock
        self.snapshotInterval = snapshotInterval
        self.lastSnapshotSize = lastSnapshotSize
        scheduledSnapshotSize = lastSnapshotSize
    }

    deinit {
        if case .background(let snapshots) = snapshotMode { snapshots.stop() }
    }

    public var origin: String { state.origin }

    /// Why the ledger halted, if a journal write failed (or its deferred prefix
    /// check did): from then on it takes nothing, signs nothing and snapshots
    /// nothing, and its state in memory may be ahead of the journal; reopening
    /// recovers the durable prefix.
    public var haltReason: String? { halted }

    /// Entries applied since the last snapshot (what the next open would replay).
    public var entriesSinceSnapshot: UInt64 { state.size - lastSnapshotSize }

    /// Sequences a batch of verified transactions as one group commit and returns
    /// an answer for each, in order, once the batch is durable.
    ///
    /// A retry of a transaction already in the log (same id, same content) is not
    /// sequenced again: its receipt is the original one, marked as a retry; a
    /// different body under an id already in the log is refused
    /// (`id_reused_with_different_content`, not logged). A
    /// transaction whose signers are not enough for its operations
    /// (`LedgerState.refusal(of:)`, read against the state as the batch's earlier
    /// transactions left it) is refused and not sequenced: its id stays free.
    /// Throws only for storage failures; after one, the ledger halts (memory may be
    /// ahead of disk) and must be reopened.
    public func submit(_ batch: [VerifiedTransaction]) throws(EngineError) -> [SubmissionResult] {
        if let halted { throw EngineError(.halted, "the ledger halted (\(halted)); reopen it") }
        guard batch.count <= Limits.maxBatchTransactions else {
            throw EngineError(.batchTooLarge, "a batch has at most \(Limits.maxBatchTransactions) transactions, got \(batch.count)")
        }
        let time = stamp()
        var entries: [StoredEntry] = []
        var history: [HistoryRow] = []
        var treeHashes: [TreeEdge.Completed] = []
        var receipts: [SubmissionResult] = []
        entries.reserveCapacity(batch.count)
        receipts.reserveCapacity(batch.count)
        for verified in batch {
            let transaction = verified.transaction
            if let record = state.record(of: transaction.id) {
                guard record.contentDigest == verified.contentDigest else {
                    // Another body holds this id: logging this one would change nothing
                    // but the log's size, so it is refused, as a stranger's would be.
                    receipts.append(.refused(Refusal(transaction: transaction.id, code: .idReusedWithDifferentContent, operation: 0)))
                    continue
                }
                receipts.append(.logged(try retryReceipt(transaction.id, record, pending: entries)))
                continue
            }
            if let refusal = state.refusal(of: transaction) {
                receipts.append(.refused(refusal))
                continue
            }
            let index = LeafIndex(state.size)
            let outcome = state.apply(transaction, contentDigest: verified.contentDigest, index: index, time: time)
            let bytes = Entry.encode(index: index, time: time, kind: 1, payload: verified.encoded, outcome: outcome)
            let leafHash = Entry.leafHash(bytes)
            entries.append(StoredEntry(index: index, bytes: bytes, leafHash: leafHash))
            treeHashes += edge.append(leafHash)
            if outcome == .committed {
                for account in state.accountsTouched(by: transaction.operations) {
                    history.append(HistoryRow(account: account, index: index))
                }
            }
            receipts.append(
                .logged(
                    Receipt(
                        transaction: transaction.id, index: index, time: time, outcome: outcome, leafHash: leafHash, isRetry: false)))
        }
        do {
            try journal.append(entries, history: history, treeHashes: treeHashes)
        } catch {
            halted = error.message
            throw EngineError(
                .outcomeUnknown, "the journal write failed (\(error.message)); the ledger halted, reopen it to recover the durable prefix")
        }
        snapshotIfDue()
        return receipts
    }

    /// The checkpoint of the log as it stands: origin, size, root.
    public var checkpoint: Checkpoint { Checkpoint(origin: origin, size: edge.size, root: edge.root) }

    /// Signs a checkpoint of the log as it stands with the ledger's key and stores
    /// it. Before signing, proves the new tree consistent with the last signed
    /// checkpoint (RFC 9162 consistency proof from stored hashes), so the ledger
    /// can never sign two inconsistent checkpoints. Returns the existing note if
    /// nothing changed since it was signed.
    public func signCheckpoint(with signer: NoteSigner) throws(EngineError) -> SignedCheckpoint {
        // Nor a checkpoint: it would sign a tree the journal may not hold.
        if let halted { throw EngineError(.halted, "no checkpoint of a halted ledger (\(halted))") }
        if let uncheckedPrefix {
            throw EngineError(
                .prefixUnchecked, "no checkpoint is signed until the journal's first \(uncheckedPrefix.size) entries have been checked")
        }
        guard signer.verifierKey.name == origin, signer.verifierKey.publicKey == state.ledgerKey, signer.verifierKey.type == .ed25519 else {
            throw EngineError(.wrongKey, "checkpoints of \(origin) must be signed by its ledger key \(state.ledgerKey) named \(origin)")
        }
        let next = checkpoint
        if let last = latestCheckpoint?.checkpoint {
            if last == next { return latestCheckpoint! }
            try proveConsistent(from: last, to: next)
        }
        var note = SignedNote(text: next.text)
        note.signatures = [signer.sign(next.text)]
        let signed = SignedCheckpoint(checkpoint: next, note: note)
        do { try journal.saveCheckpoint(note.formatted, size: next.size) } catch { throw EngineError(error) }
        latestCheckpoint = signed
        return signed
    }

    /// Replaces the latest checkpoint's note with one carrying witness cosignatures.
    /// The note must be the same checkpoint, still signed by the ledger.
    public func storeCosigned(_ note: SignedNote) throws(EngineError) {
        guard let latest = latestCheckpoint, note.text == latest.note.text else {
            throw EngineError(.wrongKey, "the cosigned note is not the latest checkpoint")
        }
        do {
            let key = try NoteVerifierKey(name: origin, type: .ed25519, publicKey: state.ledgerKey)
            let verified = try SignedCheckpoint(note: note.formatted, logKey: key)
            try journal.saveCheckpoint(note.formatted, size: verified.checkpoint.size)
            latestCheckpoint = verified
        } catch let error as NoteError {
            throw EngineError(.wrongKey, "the cosigned note does not verify: \(error)")
        } catch let error as StorageError {
            throw EngineError(error)
        } catch {
            throw EngineError(.storage, "\(error)")
        }
    }

    /// Throws unless the stored tree of `next.size` extends the tree of `last`.
    private func proveConsistent(from last: Checkpoint, to next: Checkpoint) throws(EngineError) {
        guard last.size <= next.size else {
            throw EngineError(.corrupt, "refusing to sign size \(next.size): a checkpoint of \(last.size) entries was already signed")
        }
        do {
            let proof = try MerkleTree.consistencyProof(oldSize: last.size, newSize: next.size, reader: journal.hashReader)
            if last.size == 0 {
                guard last.root == RFC6962.emptyRoot else { throw TreeError.proofMismatch("the empty checkpoint has a non-empty root") }
            } else {
                try MerkleTree.verifyConsistency(oldSize: last.size, newSize: next.size, oldRoot: last.root, newRoot: next.root, proof: proof)
            }
        } catch {
            throw EngineError(.corrupt, "refusing to sign: the log is not consistent with the checkpoint of \(last.size) entries (\(error))")
        }
    }

    /// Starts a snapshot in the background every `snapshotInterval` entries (or
    /// takes it here when the journal cannot write beside its appends).
    /// The batch is durable by then, so a failed snapshot never fails it: like a
    /// failed background one, it is recorded (`lastSnapshotFailure`) and the
    /// next comes an interval later; a disk that really failed halts the ledger
    /// at its next journal write.
    private func snapshotIfDue() {
        collectBackgroundSnapshots()
        guard state.size - max(lastSnapshotSize, scheduledSnapshotSize) >= snapshotInterval else { return }
        if case .undecided = snapshotMode {
            snapshotMode = (try? journal.makeSnapshotWriter()).map { .background(BackgroundSnapshots(writer: $0)) } ?? .inline
        }
        guard case .background(let snapshots) = snapshotMode else {
            do { try snapshot() } catch { lastSnapshotFailure = error.message }
            return
        }
        if snapshots.start(state) { scheduledSnapshotSize = state.size }
    }

    private func collectBackgroundSnapshots() {
        guard case .background(let snapshots) = snapshotMode else { return }
        for result in snapshots.collect() {
            switch result {
            case .success(let timing):
                lastSnapshotSize = max(lastSnapshotSize, timing.size)
                lastSnapshot = timing
            case .failure(let error):
                // The next attempt comes an interval later; until then a restart replays more.
                lastSnapshotFailure = error.message
            }
        }
    }

    /// Waits for a background snapshot in flight and takes in its result.
    func waitForBackgroundSnapshot() {
        guard case .background(let snapshots) = snapshotMode else { return }
        snapshots.waitUntilIdle()
        collectBackgroundSnapshots()
    }

    /// Why the latest background snapshot failed, if it did (the ledger goes on:
    /// a missing snapshot only lengthens the next start).
    public private(set) var lastSnapshotFailure: String?

    /// Stores a snapshot of the current state now, so that the next open replays
    /// only what comes after it, after any background snapshot has finished.
    /// Costs an encoding and a hash of the whole state, on this thread.
    public func snapshot() throws(EngineError) {
        // A halted ledger's memory may be ahead of its journal: a snapshot of it
        // would describe entries the journal never kept.
        if let halted { throw EngineError(.halted, "no snapshot of a halted ledger (\(halted))") }
        waitForBackgroundSnapshot()
        guard state.size > lastSnapshotSize else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        let bytes = state.encodedSnapshot()
        do {
            try journal.saveSnapshot(StoredSnapshot(size: state.size, digest: Digest32.sha256(bytes), bytes: bytes))
        } catch {
            throw EngineError(error)
        }
        lastSnapshotSize = state.size
        lastSnapshot = SnapshotTiming(
            size: state.size, bytes: bytes.count, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, background: false)
    }

    /// The latest snapshot this ledger saved: how big, how long it took
    /// (encoding, hashing, the synced write), and whether in the background.
    public private(set) var lastSnapshot: SnapshotTiming?

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
    case .rejected(let code, let operation, let law):
        "\(operation.map { String($0) } ?? "-") (\(code.name)\(law.map { ", law \($0.hex.prefix(16))" } ?? ""))"
    }
}

/// What one snapshot cost.
public struct SnapshotTiming: Sendable, Equatable {
    public let size: UInt64
    public let bytes: Int
    public let seconds: Double
    /// Taken off the sequencer's thread (`BackgroundSnapshots`).
    public let background: Bool
}

/// How a ledger saves its automatic snapshots.
private enum SnapshotMode {
    /// No automatic snapshot yet.
    case undecided
    /// Beside the sequencer, through the journal's snapshot writer.
    case background(BackgroundSnapshots)
    /// On the sequencer's thread: the journal has no snapshot writer.
    case inline
}
