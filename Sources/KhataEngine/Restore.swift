import KhataBytes
import KhataCore
import KhataLog
import KhataStorage
import KhataVerify

/// Brings back the entries a journal lost (restored from a backup older than the
/// last checkpoint the ledger published) from any copy of the public log: the
/// node's tiles on a follower, a static mirror, `khata log export` output.
///
/// Nothing is trusted but the ledger key, which the journal's own genesis names:
/// 1. the journal is proved sound as it stands (`Recovery`, without the published checkpoints);
/// 2. the copy's checkpoint must be signed by the ledger key and be at least as
///    large as every checkpoint the ledger published (`published`, its checkpoint
///    file); its tiles must prove the journal's tree a prefix of it
///    (a consistency proof), so a journal that already forked is refused;
/// 3. a first pass hashes every missing entry and rebuilds the tree: its root
///    must be the copy's signed root (and each published checkpoint's root at
///    its size) before anything is written;
/// 4. a second pass decodes each entry, checks its signatures, replays it to its
///    logged outcome and appends it, one bundle per commit, checking that each
///    is the entry hashed in the first pass.
/// An interrupted restore leaves a journal holding a prefix of the signed
/// history; running it again goes on from there.
public enum LedgerRestore {
    public struct Summary: Sendable, Equatable {
        /// Entries in the journal before.
        public let from: UInt64
        /// Entries in the journal after: the copy's checkpoint size.
        public let to: UInt64
        /// The largest checkpoint the ledger had published (the rollback guard).
        public let published: UInt64
        public var recovered: UInt64 { to - from }
    }

    /// Restores `journal` up to `source`'s checkpoint. `published` holds the signed
    /// checkpoint notes kept outside the journal (the directory's `checkpoint`).
    /// `progress` is called with (entries done, entries to do) in each pass.
    public static func restore(
        journal: any JournalStore, published notes: [String], from source: any LogSource,
        progress: (_ pass: Int, _ done: UInt64, _ total: UInt64) -> Void = { _, _, _ in }
    ) throws(EngineError) -> Summary {
        let recovered = try Recovery(journal: journal, externalCheckpoints: [], progress: nil).run()
        var state = recovered.state
        var edge = recovered.edge
        let start = edge.size
        let key: NoteVerifierKey
        do { key = try NoteVerifierKey(name: journal.origin, type: .ed25519, publicKey: state.ledgerKey) } catch {
            throw EngineError(.corrupt, "the ledger's origin cannot name a note key: \(error)")
        }
        var published: [Checkpoint] = []
        for note in notes {
            do { published.append(try SignedCheckpoint(note: note, logKey: key).checkpoint) } catch {
                throw EngineError(.corrupt, "the ledger directory's checkpoint is not signed by the ledger key: \(error)")
            }
        }
        let publishedSize = published.map(\.size).max() ?? 0
        let note: String
        let target: SignedCheckpoint
        do {
            note = try source.checkpointNote()
            target = try SignedCheckpoint(note: note, logKey: key)
        } catch {
            throw EngineError(.corrupt, "\(source.name): its checkpoint is not one the ledger key signed (\(error))")
        }
        let size = target.checkpoint.size
        guard size >= publishedSize else {
            throw EngineError(
                .behindPublished,
                "\(source.name) holds \(size) entries, but the ledger published a checkpoint of \(publishedSize): find a more recent copy of the log")
        }
        let tiles = TileHashReader(source: source, size: size)
        guard size > start else {
            // Nothing to bring back; the copy must still be this journal's history.
            let root: Digest32
            do { root = try MerkleTree.root(size: size, reader: journal.hashReader) } catch { throw EngineError(.corrupt, "\(error)") }
            guard root == target.checkpoint.root else { throw notAPrefix(start, source, "the roots at \(size) entries differ") }
            return Summary(from: start, to: start, published: publishedSize)
        }
        if start > 0 {
            do {
                let proof = try MerkleTree.consistencyProof(oldSize: start, newSize: size, reader: tiles)
                try MerkleTree.verifyConsistency(oldSize: start, newSize: size, oldRoot: edge.root, newRoot: target.checkpoint.root, proof: proof)
            } catch {
                throw notAPrefix(start, source, "\(error)")
            }
        }

        // Pass 1: hash every missing entry, prove the roots, write nothing.
        var leafHashes: [Digest32] = []
        leafHashes.reserveCapacity(Int(size - start))
        var check = edge
        var roots: [UInt64: Digest32] = [:]
        let publishedSizes = Set(published.map(\.size))
        try forEachBundle(source, from: start, to: size) { (_, entries) throws(EngineError) in
            for bytes in entries {
                let leaf = Entry.leafHash(bytes)
                leafHashes.append(leaf)
                _ = check.append(leaf)
                if publishedSizes.contains(check.size) { roots[check.size] = check.root }
            }
            progress(1, check.size - start, size - start)
        }
        guard check.root == target.checkpoint.root else {
            throw EngineError(.corrupt, "the entries at \(source.name) do not hash to its signed root: the copy is damaged; try another")
        }
        for checkpoint in published where checkpoint.size > start && roots[checkpoint.size] != checkpoint.root {
            throw EngineError(.corrupt, "the copy's tree at \(checkpoint.size) entries differs from the checkpoint the ledger published then")
        }

        // Pass 2: replay and append, bundle by bundle.
        try forEachBundle(source, from: start, to: size) { (from, entries) throws(EngineError) in
            var stored: [StoredEntry] = []
            var history: [HistoryRow] = []
            var treeHashes: [TreeEdge.Completed] = []
            for (offset, bytes) in entries.enumerated() {
                let index = from + UInt64(offset)
                let leaf = Entry.leafHash(bytes)
                guard leaf == leafHashes[Int(index - start)] else {
                    throw EngineError(.corrupt, "\(source.name) served entry \(index) differently the second time; try another copy")
                }
                stored.append(StoredEntry(index: LeafIndex(index), bytes: bytes, leafHash: leaf))
                treeHashes += edge.append(leaf)
            }
            let decoded: [Entry]
            do { decoded = try EntryDecoder.decode(stored.map { ($0.index, $0.bytes) }, origin: journal.origin) } catch {
                throw EngineError(.corrupt, "\(error)")
            }
            for entry in decoded {
                do { try state.replay(entry) } catch { throw EngineError(.corrupt, "\(error)") }
                if case .transaction(let transaction) = entry.payload, entry.outcome == .committed {
                    history += state.accountsTouched(by: transaction.operations).map { HistoryRow(account: $0, index: entry.index) }
                }
            }
            do throws(StorageError) { try journal.append(stored, history: history, treeHashes: treeHashes) } catch { throw EngineError(error) }
            progress(2, edge.size - start, size - start)
        }
        if recovered.checkpoint?.checkpoint.size ?? 0 < size {
            do throws(StorageError) { try journal.saveCheckpoint(note, size: size) } catch { throw EngineError(error) }
        }
        return Summary(from: start, to: size, published: publishedSize)
    }

    private static func notAPrefix(_ start: UInt64, _ source: any LogSource, _ why: String) -> EngineError {
        EngineError(
            .corrupt,
            "the journal's \(start) entries are not a prefix of the log at \(source.name) (\(why)): this journal holds another history; do not start it, keep it for investigation"
        )
    }

    /// Calls `body` with the entries from `start` to `end`, bundle by bundle, as
    /// (first index, entries), so that a restore holds one bundle at a time.
    private static func forEachBundle(
        _ source: any LogSource, from start: UInt64, to end: UInt64, _ body: (UInt64, [[UInt8]]) throws(EngineError) -> Void
    ) throws(EngineError) {
        var next = start
        while next < end {
            let bundle = next / UInt64(Tiles.width)
            let first = bundle * UInt64(Tiles.width)
            let width = Int(min(end - first, UInt64(Tiles.width)))
            let entries: [[UInt8]]
            do { entries = try source.bundle(index: bundle, width: width) } catch {
                throw EngineError(.storage, "cannot read entry bundle \(bundle) from \(source.name): \(error)")
            }
            try body(next, Array(entries[Int(next - first)...]))
            next = first + UInt64(width)
        }
    }
}
