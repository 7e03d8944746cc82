import KhataBytes

/// What a submitter gets back once its transaction is durably in the log.
public struct Receipt: Hashable, Sendable, Codable {
    public let transaction: TransactionID
    /// The entry's position in the log.
    public let index: LeafIndex
    /// The sequencer's stamp.
    public let time: Timestamp
    public let outcome: Outcome
    /// SHA-256(0x00 ‖ entry): what an inclusion proof proves.
    public let leafHash: Digest32
    /// True when this answers a retry of a transaction sequenced earlier.
    public let isRetry: Bool

    public init(transaction: TransactionID, index: LeafIndex, time: Timestamp, outcome: Outcome, leafHash: Digest32, isRetry: Bool) {
        self.transaction = transaction
        self.index = index
        self.time = time
        self.outcome = outcome
        self.leafHash = leafHash
        self.isRetry = isRetry
    }

    private enum CodingKeys: String, CodingKey {
        case transaction, index, time, outcome
        case leafHash = "leaf_hash"
        case isRetry = "retry"
    }
}

/// The sequencer's answer for one submitted transaction: logged (committed or
/// rejected, with a receipt), or refused before the log because its signers are
/// not enough (`LedgerState.refusal(of:)`), which leaves its id free.
public enum SubmissionResult: Hashable, Sendable {
    case logged(Receipt)
    case refused(Refusal)

    /// The receipt, when the transaction is in the log.
    public var receipt: Receipt? {
        if case .logged(let receipt) = self { return receipt }
        return nil
    }

    /// The refusal, when it is not.
    public var refusal: Refusal? {
        if case .refused(let refusal) = self { return refusal }
        return nil
    }

    public var transaction: TransactionID {
        switch self {
        case .logged(let receipt): receipt.transaction
        case .refused(let refusal): refusal.transaction
        }
    }
}
