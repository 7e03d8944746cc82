import KhataCore

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
