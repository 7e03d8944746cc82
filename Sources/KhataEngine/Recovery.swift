import Foundation
import KhataBytes
import KhataCore
import KhataEd25519
import KhataLog
import KhataStorage
import KhataVerify

/// Rebuilds a ledger at start and proves its journal sound, or refuses it.
///
/// Every entry is read and its leaf hash recomputed; the Merkle tree is rebuilt
/// from the leaves and every stored tree hash compared with it; every signed
/// checkpoint (from the journal and from outside it) must be signed by the
/// ledger's key, must not be ahead of the journal (a rollback), and must match
/// the rebuilt tree's root at its size. The state is the latest snapshot plus the
/// entries after it, each decoded, signature-checked and replayed to its logged
/// outcome. Any failure is an `EngineError.corrupt` that names the problem and
/// the first bad entry. Cost: one pass over the journal (a SHA-256 per entry,
/// one Ed25519 check per signature after the snapshot).
///
/// With `JournalCheck.deferringPrefix`, the pass starts at the latest signed
/// checkpoint or the snapshot, whichever is earlier: the tree before that
/// point is read from its stored hashes (the right edge, a few hundred
/// hashes) and proven by the checkpoint's signature (the checkpoint's root is
/// computed from that edge and the leaves after it). What is not re-read then
/// (the earlier entries' bytes and the stored tree hashes inside that prefix)
/// is returned as a `JournalPrefixCheck` to run later; the ledger signs no
/// checkpoint until it has passed. (`LedgerDirectory.open` leaves the file's
/// page check to be run later with it.) Entries the latest signed
/// checkpoint covers are replayed without re-checking their signatures (their
/// bytes are proven by it); those after it are checked. The snapshot decodes on
/// another thread while the entries are read. Cost: one pass over the entries
/// after that point, so a restart takes time in proportion to the snapshot
/// interval, not to the log.
struct Recovery {
    let journal: any JournalStore
    /// Signed checkpoint notes to check besides the journal's own (the copy kept
    /// outside the journal file, which a rolled-back file cannot roll back).
    let externalCheckpoints: [String]
    var check: JournalCheck = .whole
    let progress: ((UInt64, UInt64) -> Void)?

    struct Result {
        let state: LedgerState
        let edge: TreeEdge
        let snapshotSize: UInt64
        let checkpoint: SignedCheckpoint?
        /// The entries this open took on the proof of a signed checkpoint, to be
        /// re-read later (`JournalCheck.deferringPrefix`); nil when none.
        let uncheckedPrefix: JournalPrefixCheck?
    }

    func run() throws(EngineError) -> Result {
        let count = journal.entryCount
        guard count > 0 else { throw EngineError(.corrupt, "the journal has no genesis entry") }
        let start = try startingPoint()
        let load: SnapshotLoad?
        let state: LedgerState?  // nil while the snapshot still decodes
        switch start.state {
        case .genesis(let genesis): (state, load) = (genesis, nil)
        case .snapshot(let stored): (state, load) = (nil, SnapshotLoad(stored))
        }
        defer { load?.abandon() }
        do { return try run(from: start, load: load, state: state, count: count) } catch {
            // A snapshot that failed to decode is the first thing wrong: report it, not what followed.
            if let failure = load?.abandon() { throw failure }
            throw error
        }
    }

    private func run(from start: StartingPoint, load: SnapshotLoad?, state initial: LedgerState?, count: UInt64) throws(EngineError) -> Result {
        var state = initial
        guard start.origin == journal.origin else {
            throw EngineError(.corrupt, "the journal is for \(journal.origin) but its state is for \(start.origin)")
        }
        guard start.size <= count else {
            throw EngineError(
                .corrupt,
                "a snapshot covers \(start.size) entries but the journal holds only \(count): the journal was truncated or rolled back")
        }
        let snapshotSize = start.snapshotSize
        let checkpoints = try signedCheckpoints(ledgerKey: start.ledgerKey)
        if let ahead = checkpoints.max(by: { $0.checkpoint.size < $1.checkpoint.size }), ahead.checkpoint.size > count {
            // Sequencing now would sign a second history at the same indices.
            throw EngineError(
                .behindPublished,
                "the ledger published a checkpoint of \(ahead.checkpoint.size) entries but the journal holds only \(count) (restored from an older backup?)"
            )
        }
        let latest = checkpoints.max { $0.checkpoint.size < $1.checkpoint.size }
        // Where the tree is rebuilt from the leaves: 0, or, deferring the prefix,
        // the earlier of the snapshot and the latest signed checkpoint.
        let from = check == .deferringPrefix ? min(snapshotSize, latest?.checkpoint.size ?? 0) : 0
        var edge = TreeEdge()
        var rootsAt: [UInt64: Digest32] = [:]
        if from > 0 {
            do { edge = try TreeEdge(size: from, reader: journal.hashReader) } catch {
                throw EngineError(.corrupt, "the stored tree hashes of the first \(from) entries cannot be read: \(error)")
            }
            // Checkpoints inside the prefix are checked against stored hashes too.
            for signed in checkpoints where signed.checkpoint.size < from {
                do { rootsAt[signed.checkpoint.size] = try TreeEdge(size: signed.checkpoint.size, reader: journal.hashReader).root } catch {
                    throw EngineError(.corrupt, "the stored tree hashes of the first \(signed.checkpoint.size) entries cannot be read: \(error)")
                }
            }
        }
        // Deferring the prefix, entries the latest signed checkpoint covers are
        // replayed without checking their transactions' signatures again: their
        // bytes are proven by that signature (each leaf hash is recomputed and
        // the tree's root compared with the signed one below, before the state
        // is used), and the ledger signed them only after checking. Signatures
        // after the checkpoint are checked. `khata audit` checks every one.
        let signedSize = check == .deferringPrefix ? (latest?.checkpoint.size ?? 0) : 0
        let prefixRoot = edge.root
        var completed: [TreeEdge.Completed] = []
        let wanted = Set(checkpoints.map(\.checkpoint.size))
        if wanted.contains(from) { rootsAt[from] = edge.root }
        // Decoded entries wait to be replayed until the snapshot has loaded and
        // (those taken without their signatures checked) until the signed root
        // that proves them has been compared; past `maxWaitingEntries` the
        // reading waits for the snapshot, and replays unproven entries (a
        // forgery among them still fails the root comparison below).
        var waiting: [Entry] = []
        var signedRootChecked = signedSize == 0
        while edge.size < count {
            let page = try read(from: LeafIndex(edge.size), limit: Limits.maxPageEntries)
            let replayFrom = page.firstIndex { $0.index.value >= start.size } ?? page.count
            for stored in page {
                completed += edge.append(stored.leafHash)
                if wanted.contains(edge.size) { rootsAt[edge.size] = edge.root }
            }
            if !signedRootChecked, edge.size >= signedSize, let latest {
                try Recovery.compare(latest, rootsAt[signedSize])
                signedRootChecked = true
            }
            let replayed = page[replayFrom...]
            let proven = replayed.prefix { $0.index.value < signedSize }
            waiting += try decode(Array(proven), checkingSignatures: false)
            waiting += try decode(Array(replayed.dropFirst(proven.count)))
            let full = waiting.count >= Recovery.maxWaitingEntries
            if state == nil, full, let load { state = try load.take() }
            if state != nil, signedRootChecked || full {
                try Recovery.replay(waiting, onto: &state!)
                waiting.removeAll(keepingCapacity: true)
            }
            progress?(edge.size, count)
        }
        if state == nil, let load { state = try load.take() }
        guard var recovered = state else { preconditionFailure("Recovery.run: no starting state") }
        state = nil  // one owner, so the replay below mutates in place
        try Recovery.replay(waiting, onto: &recovered)
        try compareTreeHashes(completed, after: from)
        for signed in checkpoints { try Recovery.compare(signed, rootsAt[signed.checkpoint.size]) }
        return Result(
            state: recovered, edge: edge, snapshotSize: snapshotSize, checkpoint: latest,
            uncheckedPrefix: from > 0 ? JournalPrefixCheck(size: from, root: prefixRoot) : nil)
    }

    /// The journal's and the external checkpoints, each verified with the ledger key.
    private func signedCheckpoints(ledgerKey: PublicKey) throws(EngineError) -> [SignedCheckpoint] {
        var notes = externalCheckpoints
        do {
            if let stored = try journal.latestCheckpoint() { notes.append(stored) }
        } catch {
            throw EngineError(error)
        }
        let key: NoteVerifierKey
        do { key = try NoteVerifierKey(name: journal.origin, type: .ed25519, publicKey: ledgerKey) } catch {
            throw EngineError(.corrupt, "the ledger's origin cannot name a note key: \(error)")
        }
        var result: [SignedCheckpoint] = []
        for note in notes {
            do { result.append(try SignedCheckpoint(note: note, logKey: key)) } catch {
                throw EngineError(.corrupt, "a stored checkpoint is not validly signed by the ledger key: \(error)")
            }
        }
        return result
    }

    /// Every stored tree hash completed after the first `after` leaves must be
    /// exactly the one rebuilt from the leaves.
    private func compareTreeHashes(_ rebuilt: [TreeEdge.Completed], after: UInt64) throws(EngineError) {
        try TreeHashComparison.compare(journal: journal, rebuilt: rebuilt) { $0.isCompleted(within: after) == false }
    }

    /// Entries a start decodes ahead of a snapshot still loading (about 1 KiB
    /// each); past this the reading waits for the snapshot.
    static let maxWaitingEntries = 100_000

    /// Where the state starts: the latest snapshot (its header read now, its
    /// state decoded on another thread while the entries are read), or the
    /// genesis entry replayed.
    private struct StartingPoint {
        enum State {
            case genesis(LedgerState)
            case snapshot(StoredSnapshot)
        }
        let state: State
        let origin: String
        let ledgerKey: PublicKey
        /// The entries the starting state covers (replay begins at this index).
        let size: UInt64
        /// The snapshot's size, or 0 when starting from genesis.
        var snapshotSize: UInt64 {
            if case .snapshot(let stored) = state { return stored.size }
            return 0
        }
    }

    private func startingPoint() throws(EngineError) -> StartingPoint {
        let stored: StoredSnapshot?
        do { stored = try journal.latestSnapshot() } catch { throw EngineError(error) }
        if let stored {
            let header: (origin: String, ledgerKey: PublicKey)
            do { header = try LedgerState.snapshotHeader(stored.bytes) } catch {
                throw EngineError(.corrupt, "the snapshot after \(stored.size) entries does not decode: \(error)")
            }
            return StartingPoint(state: .snapshot(stored), origin: header.origin, ledgerKey: header.ledgerKey, size: stored.size)
        }
        let first = try read(from: LeafIndex(0), limit: 1)
        guard let genesisEntry = try decode(first).first else { throw EngineError(.corrupt, "entry 0 is missing") }
        let genesis: LedgerState
        do { genesis = try LedgerState(replayingGenesis: genesisEntry) } catch { throw EngineError(.corrupt, "\(error)") }
        return StartingPoint(state: .genesis(genesis), origin: genesis.origin, ledgerKey: genesis.ledgerKey, size: genesis.size)
    }

    /// A signed checkpoint's root must be the rebuilt tree's at its size.
    private static func compare(_ signed: SignedCheckpoint, _ rebuilt: Digest32?) throws(EngineError) {
        guard rebuilt == signed.checkpoint.root else {
            throw EngineError(
                .corrupt,
                "the signed checkpoint of \(signed.checkpoint.size) entries does not match the journal's tree: entries were altered after it was signed"
            )
        }
    }

    private static func replay(_ entries: [Entry], onto state: inout LedgerState) throws(EngineError) {
        for entry in entries {
            do { try state.replay(entry) } catch { throw EngineError(.corrupt, "\(error)") }
        }
    }

    private func read(from start: LeafIndex, limit: Int) throws(EngineError) -> [StoredEntry] {
        let entries: [StoredEntry]
        do { entries = try journal.entries(from: start, limit: limit) } catch { throw EngineError(error) }
        guard !entries.isEmpty else { throw EngineError(.corrupt, "entry \(start) is missing") }
        return entries
    }

    /// Decodes entries and (unless told not to) checks their transactions' signatures, in parallel.
    private func decode(_ stored: [StoredEntry], checkingSignatures: Bool = true) throws(EngineError) -> [Entry] {
        guard !stored.isEmpty else { return [] }
        do {
            return try EntryDecoder.decode(
                stored.map { ($0.index, $0.bytes) }, origin: journal.origin, checkingSignatures: checkingSignatures)
        } catch {
            throw EngineError(.corrupt, "\(error)")
        }
    }
}

/// How much of a journal opening re-reads before the ledger takes work.
public enum JournalCheck: Sendable, Equatable {
    /// Every entry, leaf hash and stored tree hash (`khata audit`'s local checks).
    case whole
    /// The entries after the latest signed checkpoint or snapshot only, with
    /// signatures checked only after the checkpoint; the prefix before them is
    /// returned as a `JournalPrefixCheck` to run in the background (the node),
    /// and no checkpoint is signed until it passes. `LedgerDirectory.open`
    /// then also leaves the file's page check (`JournalStore.checkStructure`)
    /// to its caller.
    case deferringPrefix
}

/// The part of a journal that an open deferring its prefix took on the proof
/// of a signed checkpoint: its first `size` entries, whose tree has `root`.
/// `run` re-reads them, recomputing every leaf hash, rebuilds their tree, and
/// compares its root and every stored tree hash inside it.
public struct JournalPrefixCheck: Sendable, Equatable {
    public let size: UInt64
    public let root: Digest32

    /// Runs the check over `journal` (for a node, a second, read-only
    /// connection to the same file). Returns false if `shouldStop` said so
    /// before the end (nothing was concluded); throws `corrupt` naming what
    /// differs.
    public func run(
        journal: any JournalStore, shouldStop: () -> Bool = { false }, progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws(EngineError) -> Bool {
        var edge = TreeEdge()
        var completed: [TreeEdge.Completed] = []
        while edge.size < size {
            if shouldStop() { return false }
            let entries: [StoredEntry]
            do { entries = try journal.entries(from: LeafIndex(edge.size), limit: Int(min(UInt64(Limits.maxPageEntries), size - edge.size))) } catch {
                throw EngineError(error)
            }
            guard !entries.isEmpty else { throw EngineError(.corrupt, "entry \(edge.size) is missing") }
            for entry in entries { completed += edge.append(entry.leafHash) }
            progress?(edge.size, size)
        }
        guard edge.root == root else {
            throw EngineError(
                .corrupt,
                "the journal's first \(size) entries do not make the tree its signed checkpoint proves (entries or tree hashes altered or damaged)")
        }
        try TreeHashComparison.compare(journal: journal, rebuilt: completed) { $0.isCompleted(within: size) }
        return true
    }
}

/// Compares stored tree hashes with those rebuilt from the leaves.
enum TreeHashComparison {
    /// Every stored hash that `covers` selects must equal the rebuilt one at its
    /// place, and there must be exactly as many as were rebuilt.
    static func compare(
        journal: any JournalStore, rebuilt: [TreeEdge.Completed], covers: (TreeEdge.Completed) -> Bool
    ) throws(EngineError) {
        let stored: [TreeEdge.Completed]
        do { stored = try journal.allTreeHashes().filter(covers) } catch { throw EngineError(error) }
        let expected = Dictionary(uniqueKeysWithValues: rebuilt.map { (TreePlace(level: $0.level, index: $0.index), $0.hash) })
        for hash in stored where expected[TreePlace(level: hash.level, index: hash.index)] != hash.hash {
            throw EngineError(
                .corrupt,
                "the stored tree hash at tile level \(hash.level), position \(hash.index) does not match the entries (altered or damaged)")
        }
        guard stored.count == rebuilt.count else {
            throw EngineError(.corrupt, "the journal stores \(stored.count) tree hashes but its entries make \(rebuilt.count)")
        }
    }

    private struct TreePlace: Hashable {
        let level: Int
        let index: UInt64
    }
}

extension TreeEdge.Completed {
    /// Whether this hash is complete once the first `size` leaves are
    /// appended: it covers leaves up to (index + 1) · 256^level.
    func isCompleted(within size: UInt64) -> Bool {
        var (end, overflow) = index.addingReportingOverflow(1)
        if overflow { return false }
        for _ in 0..<level {
            let (next, overflow) = end.multipliedReportingOverflow(by: UInt64(Tiles.width))
            if overflow { return false }
            end = next
        }
        return end <= size
    }
}

/// A snapshot's state decoding on its own thread while a start reads the
/// journal's entries (a million transaction records decode in 0.5–0.7 s on the
/// 2-core test machine). Measured on a 1,056,183-entry ledger with 56,182 to
/// replay, release builds run alternately: 0.75–0.85 s to open with the
/// overlap, 0.92–0.99 s decoding first. `take` hands the state over once (no
/// copy is kept).
private final class SnapshotLoad: @unchecked Sendable {
    private let result = BlockingQueue<Swift.Result<LedgerState, EngineError>>(capacity: 1)
    private var taken = false

    init(_ stored: StoredSnapshot) {
        Thread { [result] in
            nameThisThread("khata-snapshot-load")
            result.put(SnapshotLoad.decode(stored))
        }.start()
    }

    private static func decode(_ stored: StoredSnapshot) -> Swift.Result<LedgerState, EngineError> {
        let state: LedgerState
        do { state = try LedgerState(snapshot: stored.bytes) } catch {
            return .failure(EngineError(.corrupt, "the snapshot after \(stored.size) entries does not decode: \(error)"))
        }
        guard state.size == stored.size else {
            return .failure(EngineError(.corrupt, "the snapshot labelled \(stored.size) entries holds \(state.size)"))
        }
        return .success(state)
    }

    /// The decoded state, waiting for it if need be; once only.
    func take() throws(EngineError) -> LedgerState {
        precondition(!taken, "SnapshotLoad.take: taken twice")
        taken = true
        return try result.take().get()
    }

    /// Waits for the decoding thread if nothing took its state (a start that
    /// failed), so no thread outlives the open; returns the decoding's failure,
    /// if it failed.
    @discardableResult
    func abandon() -> EngineError? {
        guard !taken else { return nil }
        taken = true
        if case .failure(let error) = result.take() { return error }
        return nil
    }
}
