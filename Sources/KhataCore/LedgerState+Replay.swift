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
    /// that time did not go back, that its signers are enough for it
    /// (`refusal(of:)`), and that the logged outcome is the one the state
    /// machine computes. Signatures are not checked here: callers check them
    /// (in parallel) before replaying.
    public mutating func replay(_ entry: Entry) throws(ReplayError) {
        guard entry.index.value == size else {
            throw ReplayError(index: entry.index, "expected entry \(size) next")
        }
        guard entry.time >= time else {
            throw ReplayError(index: entry.index, "time \(entry.time) is before the previous entry's \(time)")
        }
        guard case .transaction(let transaction) = entry.payload else {
            throw ReplayError(index: entry.index, "a genesis may only be entry 0")
        }
        // Only transactions whose signers are enough are ever logged, so a logged
        // one that is not shows a sequencer that let a stranger decide its fate.
        if let refusal = refusal(of: transaction) {
            throw ReplayError(index: entry.index, "logged, but its signers are not enough: \(refusal.code.name) at operation \(refusal.operation)")
        }
        let outcome = apply(transaction, contentDigest: transaction.contentDigest, index: entry.index, time: entry.time)
        guard outcome == entry.outcome else {
            throw ReplayError(index: entry.index, "logged outcome \(entry.outcome) but replay gives \(outcome)")
        }
    }
}
