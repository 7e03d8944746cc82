import KhataCore
import KhataStorage

/// Rebuilds a ledger's state from its journal at start: the latest snapshot, then
/// every entry after it, each checked (leaf hash, decoding, signatures, order,
/// logged outcome). Any inconsistency is an `EngineError.corrupt` naming the entry.
struct Recovery {
    let journal: any JournalStore
    let progress: ((UInt64, UInt64) -> Void)?

    struct Result {
        let state: LedgerState
        let snapshotSize: UInt64
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
        while state.size < count {
            let page = try read(from: LeafIndex(state.size), limit: Limits.maxPageEntries)
            let entries = try decode(page)
            for entry in entries {
                do { try state.replay(entry) } catch { throw EngineError(.corrupt, "\(error)") }
            }
            progress?(state.size, count)
        }
        return Result(state: state, snapshotSize: snapshotSize)
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

    /// Decodes entries and checks their transactions' signatures in parallel.
    private func decode(_ stored: [StoredEntry]) throws(EngineError) -> [Entry] {
        let origin = journal.origin
        let decoded = parallelMap(stored, workers: SignatureVerifier.activeProcessorCount) { stored -> Swift.Result<Entry, ReplayError> in
            do throws(MalformedInput) {
                let entry = try Entry(decoding: stored.bytes)
                guard entry.index == stored.index else {
                    return .failure(ReplayError(index: stored.index, "is stored at \(stored.index) but says it is \(entry.index)"))
                }
                if case .transaction(let transaction) = entry.payload {
                    try transaction.verifySignatures(origin: origin)
                }
                return .success(entry)
            } catch {
                return .failure(ReplayError(index: stored.index, "\(error)"))
            }
        }
        var entries: [Entry] = []
        for result in decoded {
            switch result {
            case .success(let entry): entries.append(entry)
            case .failure(let error): throw EngineError(.corrupt, "\(error)")
            }
        }
        return entries
    }
}
