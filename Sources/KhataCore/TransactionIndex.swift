/// Every transaction id the ledger has sequenced, with its record: what answers
/// a retry and refuses a reused id. It grows with every transaction, so it is a
/// `ShardedMap` (which says why).
public struct TransactionIndex: Sendable {
    private var map = ShardedMap<TransactionID, TransactionRecord>()

    public init() {}

    public var count: Int { map.count }

    public subscript(id: TransactionID) -> TransactionRecord? {
        get { map[id] }
        set { map[id] = newValue }
    }

    /// Makes room for `total` ids in all (`ShardedMap.reserveCapacity`).
    public mutating func reserveCapacity(_ total: Int) { map.reserveCapacity(total) }

    /// Every id, in no particular order.
    public var ids: some Sequence<TransactionID> { map.keys }
}
