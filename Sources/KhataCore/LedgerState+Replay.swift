/// A logged entry that does not follow from the entries before it.
public struct ReplayError: Error, Sendable, CustomStringConvertible {
    public let index: LeafIndex
    public let message: String
    public init(index: LeafIndex, _ message: String) {
        self.index = index
        self.message = message
    }
    public var description: String { "entry \(index): \(message)" }
}

extension LedgerState {
    /// Starts a state from a logged genesis entry, checking that it is entry 0 and
    /// that it committed.
    public init(replayingGenesis entry: Entry) throws(ReplayError) {
        guard case .genesis(let genesis) = entry.payload else {
            throw ReplayError(index: entry.index, "the first entry is not a genesis")
        }
        guard entry.index.value == 0 else { throw ReplayError(index: entry.index, "a genesis must be entry 0") }
        let (state, outcome) = LedgerState.genesis(genesis, time: entry.time)
        guard outcome == entry.outcome, outcome == .committed else {
            throw ReplayError(index: entry.index, "genesis logged as \(entry.outcome) but replays as \(outcome)")
        }
        self = state
    }

    /// Re-applies a logged transaction entry and checks that it is the next entry,
    /// that time did not go back, and that the logged outcome is the one the
    /// state machine computes. Returns whether its signers were enough for it
    /// (`refusal(of:)`): false marks a rejection a sequencer should have refused
    /// rather than logged (an auditor reports them; `AuditReport.unauthorisedRejections`). Signatures are not checked here: callers check them
    /// (in parallel) before replaying.
    @discardableResult
    public mutating func replay(_ entry: Entry) throws(ReplayError) -> Bool {
        guard entry.index.value == size else {
            throw ReplayError(index: entry.index, "expected entry \(size) next")
        }
        guard entry.time >= time else {
            throw ReplayError(index: entry.index, "time \(entry.time) is before the previous entry's \(time)")
        }
        guard case .transaction(let transaction) = entry.payload else {
            throw ReplayError(index: entry.index, "a genesis may only be entry 0")
        }
        // A sequencer refuses a transaction whose signers are not enough; one that
        // is logged anyway was pinned by whoever signed it (logs written before the
        // rule hold such entries). It can only be a rejection — `apply` checks the
        // signatures again — so it changed nothing but its id; say so to the caller.
        let signersWereEnough = refusal(of: transaction) == nil
        let outcome = apply(transaction, contentDigest: transaction.contentDigest, index: entry.index, time: entry.time)
        guard outcome == entry.outcome else {
            throw ReplayError(index: entry.index, "logged outcome \(entry.outcome) but replay gives \(outcome)")
        }
        return signersWereEnough
    }
}
