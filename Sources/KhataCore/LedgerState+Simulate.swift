/// What a transaction would come to if it were sequenced now.
public enum Simulation: Hashable, Sendable {
    /// Its signers are not enough: the node would refuse it and log nothing.
    case refused(Refusal)
    /// It would be logged with this outcome.
    case outcome(Outcome)
    /// It is already in the log (a retry would get this record's receipt).
    case logged(TransactionRecord)
}

extension LedgerState {
    /// Runs `transaction` against this state as the next entry stamped `time`
    /// (not before the last entry's) and answers what would happen, changing
    /// nothing: wallets and brokers ask this before they ask a user to sign
    /// (ERC-3643's `canTransfer`, for any operation). The caller has checked the
    /// signatures cryptographically, as for `apply`.
    ///
    /// Runs on a copy: each collection the transaction writes is copied once,
    /// so its cost grows with the size of what it touches (docs/STOCKCHAIN.md, "Simulation").
    public func simulate(_ transaction: Transaction, at time: Timestamp) -> Simulation {
        // In the sequencer's order (`Ledger.submit`): the id, then the signers.
        if let record = transactions[transaction.id] {
            guard record.contentDigest == transaction.contentDigest else {
                return .refused(Refusal(transaction: transaction.id, code: .idReusedWithDifferentContent, operation: 0))
            }
            return .logged(record)
        }
        if let refusal = refusal(of: transaction) { return .refused(refusal) }
        var copy = self
        let time = max(time, self.time)
        copy.passTime(to: time, at: LeafIndex(size))
        copy.time = time
        let outcome = copy.applyOperations(
            transaction.operations, transaction: transaction.id, signers: transaction.signers, index: LeafIndex(size), time: time)
        return .outcome(outcome)
    }
}
