/// Every transaction id the ledger has sequenced, with its record: what answers
/// a retry and refuses a reused id.
///
/// It grows with every transaction, so it is kept in `shardCount` hash tables
/// rather than one: a table that outgrows its capacity rehashes all it holds at
/// once, and one table of millions would stop the sequencer for as long as
/// that takes (with 100,000 ids it was 10–15 ms, one of the largest pauses
/// measured under load); a shard is a thousandth of that. For the same reason a
/// copy of the state (a background snapshot's) shares the shards, and the
/// sequencer's next write copies only the shard it touches, not the whole index.
///
/// Shards are chosen by a hash of the id (ids are chosen by clients; ids made
/// to fall into one shard only make that shard as large as the single table it
/// replaces). Nothing depends on the order of ids in the shards: the snapshot
/// sorts them.
public struct TransactionIndex: Sendable {
    public static let shardCount = 1_024
    private var shards: [[TransactionID: TransactionRecord]]
    public private(set) var count = 0

    public init() {
        shards = Array(repeating: [:], count: TransactionIndex.shardCount)
    }

    private static func shard(of id: TransactionID) -> Int {
        let mixed = (id.high ^ (id.low &* 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: mixed >> 54)
    }

    public subscript(id: TransactionID) -> TransactionRecord? {
        get { shards[TransactionIndex.shard(of: id)][id] }
        set {
            let shard = TransactionIndex.shard(of: id)
            if let newValue {
                if shards[shard].updateValue(newValue, forKey: id) == nil { count += 1 }
            } else if shards[shard].removeValue(forKey: id) != nil {
                count -= 1
            }
        }
    }

    /// Makes room for `total` ids in all, spread over the shards, so that
    /// loading a snapshot does not rehash each shard as it grows (perf put 13%
    /// of a million-id snapshot load in rehashing; opening that ledger went
    /// from 0.92 to 0.89 s).
    public mutating func reserveCapacity(_ total: Int) {
        let perShard = total / TransactionIndex.shardCount + total / TransactionIndex.shardCount / 4 + 1
        for shard in shards.indices { shards[shard].reserveCapacity(perShard) }
    }

    /// Every id, in no particular order.
    public var ids: some Sequence<TransactionID> { shards.lazy.flatMap(\.keys) }
}
