import KhataCore
import KhataLog
import KhataStorage

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
struct Recovery {
    let journal: any JournalStore
    /// Signed checkpoint notes to check besides the journal's own (the copy kept
    /// outside the journal file, which a rolled-back file cannot roll back).
    let externalCheckpoints: [String]
    let progress: ((UInt64, UInt64) -> Void)?

    struct Result {
        let state: LedgerState
        let edge: TreeEdge
        let snapshotSize: UInt64
        let checkpoint: SignedCheckpoint?
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
        var edge = TreeEdge()
        var completed: [TreeEdge.Completed] = []
        var rootsAt: [UInt64: Digest32] = [:]
        let wanted = Set(checkpoints.map(\.checkpoint.size))
        if wanted.contains(0) { rootsAt[0] = edge.root }
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
        try compareTreeHashes(completed)
        for signed in checkpoints where rootsAt[signed.checkpoint.size] != signed.checkpoint.root {
            throw EngineError(
                .corrupt,
                "the signed checkpoint of \(signed.checkpoint.size) entries does not match the journal's tree: entries were altered after it was signed"
            )
        }
        return Result(state: state, edge: edge, snapshotSize: snapshotSize, checkpoint: checkpoints.max { $0.checkpoint.size < $1.checkpoint.size })
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

    /// Every stored tree hash must be exactly the one rebuilt from the leaves.
    private func compareTreeHashes(_ rebuilt: [TreeEdge.Completed]) throws(EngineError) {
        let stored: [TreeEdge.Completed]
        do { stored = try journal.allTreeHashes() } catch { throw EngineError(error) }
        let expected = Dictionary(uniqueKeysWithValues: rebuilt.map { ("\($0.level)/\($0.index)", $0.hash) })
        for hash in stored where expected["\(hash.level)/\(hash.index)"] != hash.hash {
            throw EngineError(
                .corrupt,
                "the stored tree hash at tile level \(hash.level), position \(hash.index) does not match the entries (altered or damaged)")
        }
        guard stored.count == rebuilt.count else {
            throw EngineError(.corrupt, "the journal stores \(stored.count) tree hashes but its entries make \(rebuilt.count)")
        }
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

/// Decodes logged entries and checks every transaction signature, on all cores.
public enum EntryDecoder {
    /// Decodes `(index, bytes)` pairs in order. Throws the first entry (lowest
    /// index) that does not decode, is stored at the wrong index, or carries a bad
    /// signature for `origin`.
    public static func decode(_ stored: [(LeafIndex, [UInt8])], origin: String) throws(ReplayError) -> [Entry] {
        let decoded = parallelChunks(stored, workers: SignatureVerifier.activeProcessorCount) { chunk in
            let entries = chunk.map { index, bytes -> Swift.Result<Entry, ReplayError> in
                do throws(MalformedInput) {
                    let entry = try Entry(decoding: bytes)
                    guard entry.index == index else {
                        return .failure(ReplayError(index: index, "is stored at \(index) but says it is \(entry.index)"))
                    }
                    return .success(entry)
                } catch {
                    return .failure(ReplayError(index: index, "\(error)"))
                }
            }
            // The chunk's signatures as one batch.
            let signed: [(position: Int, entry: Entry, transaction: Transaction)] = entries.enumerated().compactMap { position, result in
                guard case .success(let entry) = result, case .transaction(let transaction) = entry.payload else { return nil }
                return (position, entry, transaction)
            }
            var checked = entries
            for (item, failure) in zip(signed, Transaction.verifySignatures(of: signed.map(\.transaction), origin: origin)) {
                if let failure { checked[item.position] = .failure(ReplayError(index: item.entry.index, "\(failure)")) }
            }
            return checked
        }
        var entries: [Entry] = []
        entries.reserveCapacity(decoded.count)
        for result in decoded {
            switch result {
            case .success(let entry): entries.append(entry)
            case .failure(let error): throw error
            }
        }
        return entries
    }
}
