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
/// checkpoint until it has passed. Cost: one pass over the entries after that
/// point, so a restart takes time in proportion to the snapshot interval,
/// not to the log.
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
        let (initial, snapshotSize) = try startingState()
        var state = initial
        guard state.origin == journal.origin else {
            throw EngineError(.corrupt, "the journal is for \(journal.origin) but its state is for \(state.origin)")
        }
        guard state.size <= count else {
            throw EngineError(
                .corrupt,
                "a snapshot covers \(state.size) entries but the journal holds only \(count): the journal was truncated or rolled back")
        }
        let checkpoints = try signedCheckpoints(ledgerKey: state.ledgerKey)
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
        let prefixRoot = edge.root
        var completed: [TreeEdge.Completed] = []
        let wanted = Set(checkpoints.map(\.checkpoint.size))
        if wanted.contains(from) { rootsAt[from] = edge.root }
        while edge.size < count {
            let page = try read(from: LeafIndex(edge.size), limit: Limits.maxPageEntries)
            let replayFrom = page.firstIndex { $0.index.value >= state.size } ?? page.count
            for stored in page {
                completed += edge.append(stored.leafHash)
                if wanted.contains(edge.size) { rootsAt[edge.size] = edge.root }
            }
            for entry in try decode(Array(page[replayFrom...])) {
                do { try state.replay(entry) } catch { throw EngineError(.corrupt, "\(error)") }
            }
            progress?(edge.size, count)
        }
        try compareTreeHashes(completed, after: from)
        for signed in checkpoints where rootsAt[signed.checkpoint.size] != signed.checkpoint.root {
            throw EngineError(
                .corrupt,
                "the signed checkpoint of \(signed.checkpoint.size) entries does not match the journal's tree: entries were altered after it was signed"
            )
        }
        return Result(
            state: state, edge: edge, snapshotSize: snapshotSize, checkpoint: latest,
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

    private func startingState() throws(EngineError) -> (LedgerState, UInt64) {
        let stored: StoredSnapshot?
        do { stored = try journal.latestSnapshot() } catch { throw EngineError(error) }
        if let stored {
            let state: LedgerState
            do { state = try LedgerState(snapshot: stored.bytes) } catch {
                throw EngineError(.corrupt, "the snapshot after \(stored.size) entries does not decode: \(error)")
            }
            guard state.size == stored.size else {
                throw EngineError(.corrupt, "the snapshot labelled \(stored.size) entries holds \(state.size)")
            }
            return (state, stored.size)
        }
        let first = try read(from: LeafIndex(0), limit: 1)
        guard let genesisEntry = try decode(first).first else { throw EngineError(.corrupt, "entry 0 is missing") }
        do { return (try LedgerState(replayingGenesis: genesisEntry), 0) } catch { throw EngineError(.corrupt, "\(error)") }
    }

    private func read(from start: LeafIndex, limit: Int) throws(EngineError) -> [StoredEntry] {
        let entries: [StoredEntry]
        do { entries = try journal.entries(from: start, limit: limit) } catch { throw EngineError(error) }
        guard !entries.isEmpty else { throw EngineError(.corrupt, "entry \(start) is missing") }
        return entries
    }

    /// Decodes entries and checks their transactions' signatures, in parallel.
    private func decode(_ stored: [StoredEntry]) throws(EngineError) -> [Entry] {
        do { return try EntryDecoder.decode(stored.map { ($0.index, $0.bytes) }, origin: journal.origin) } catch {
            throw EngineError(.corrupt, "\(error)")
        }
    }
}

/// How much of a journal opening re-reads before the ledger takes work.
public enum JournalCheck: Sendable, Equatable {
    /// Every entry, leaf hash and stored tree hash (`khata audit`'s local checks).
    case whole
    /// The entries after the latest signed checkpoint or snapshot only; the
    /// prefix before them is returned as a `JournalPrefixCheck` to run in the
    /// background (the node), and no checkpoint is signed until it passes.
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
