/// A key whose bits choose its shard in a `ShardedMap`.
public protocol ShardedKey: Hashable, Sendable {
    /// 64 well-mixed bits of the key; the top `ShardedMap.shardBits` choose the shard.
    var shardBits: UInt64 { get }
}

/// A hash map kept in `shardCount` hash tables rather than one, for the state's
/// collections that grow without bound (transaction ids, balances, accounts).
///
/// A table that outgrows its capacity rehashes all it holds at once: one table
/// of millions stops the sequencer for as long as that takes. Measured: with
/// 100,000 transaction ids a rehash took 10–15 ms, one of the largest pauses
/// under load; a dividend to 1,000,000 holders, whose payments add 1,000,000
/// balances, stopped the sequencer for 887 ms in one entry when the balances
/// table doubled (`khata bench stockchain`, `settle_entry_max_ms`). A shard is
/// a thousandth of that. For the same reason a copy of the state (a background
/// snapshot's, a reader's) shares the shards, and the next write copies only
/// the shard it touches.
///
/// Shards are chosen by a mix of the key's bits (keys are chosen by clients;
/// keys made to fall into one shard only make that shard as large as the single
/// table it replaces). Nothing depends on the order of keys: snapshots sort.
///
/// Shards are of unequal sizes on purpose (`ShardWeights`): equal shards all
/// reach their capacity at the same total and rehash in the same few entries
/// (measured: 1,024 equal shards turned the 887 ms pause into eight entries of
/// about 100 ms each); shards weighted from 1 to 2 reach it at totals spread
/// over a whole doubling, so their rehashes are spread over as many entries.
public struct ShardedMap<Key: ShardedKey, Value> {
    public static var shardCount: Int { ShardWeights.shardCount }
    private var shards: [[Key: Value]]
    public private(set) var count = 0

    public init() {
        shards = Array(repeating: [:], count: ShardedMap.shardCount)
    }

    @inline(__always)
    private static func shard(of key: Key) -> Int {
        let mixed = key.shardBits &* 0xBF58_476D_1CE4_E5B9
        return Int(ShardWeights.table[Int(truncatingIfNeeded: mixed >> UInt64(64 - ShardWeights.tableBits))])
    }

    public subscript(key: Key) -> Value? {
        get { shards[ShardedMap.shard(of: key)][key] }
        set {
            let shard = ShardedMap.shard(of: key)
            if let newValue {
                if shards[shard].updateValue(newValue, forKey: key) == nil { count += 1 }
            } else if shards[shard].removeValue(forKey: key) != nil {
                count -= 1
            }
        }
    }

    public var isEmpty: Bool { count == 0 }

    /// Keys per shard, in shard order (for tests and diagnostics).
    public var shardCounts: [Int] { shards.map(\.count) }

    /// Makes room for `total` keys in all, spread over the shards, so that
    /// loading a snapshot does not rehash each shard as it grows (perf put 13%
    /// of a million-id snapshot load in rehashing; opening that ledger went
    /// from 0.92 to 0.89 s).
    public mutating func reserveCapacity(_ total: Int) {
        let perShard = total / ShardedMap.shardCount + total / ShardedMap.shardCount / 4 + 1
        for shard in shards.indices { shards[shard].reserveCapacity(perShard) }
    }

    /// Every key, in no particular order.
    public var keys: some Sequence<Key> { shards.lazy.flatMap(\.keys) }
    /// Every value, in no particular order.
    public var values: some Sequence<Value> { shards.lazy.flatMap(\.values) }
}

/// How keys are spread over shards: shard i takes a share proportional to
/// 1 + i / shardCount, so shard sizes range over a factor of 2. A table maps the
/// top `tableBits` bits of a key's mixed bits to its shard (the inverse of the
/// weights' cumulative sum, computed once).
enum ShardWeights {
    static let shardCount = 1_024
    static let tableBits = 14
    static let table: [UInt16] = {
        let n = Double(shardCount)
        let slots = 1 << tableBits
        return (0..<slots).map { slot in
            // Solve i + i²/(2n) = u for u uniform over the total weight 1.5 n.
            let u = (Double(slot) + 0.5) / Double(slots) * 1.5 * n
            let shard = n * ((1 + 2 * u / n).squareRoot() - 1)
            return UInt16(min(n - 1, max(0, shard.rounded(.down))))
        }
    }()
}

extension ShardedMap: Sequence {
    public func makeIterator() -> some IteratorProtocol<(key: Key, value: Value)> {
        shards.lazy.flatMap { $0.lazy.map { (key: $0.key, value: $0.value) } }.makeIterator()
    }
}

extension ShardedMap: Sendable where Value: Sendable {}

extension ShardedMap: Equatable where Value: Equatable {
    public static func == (a: Self, b: Self) -> Bool { a.count == b.count && a.shards == b.shards }
}

extension ShardedMap: Hashable where Value: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(shards)
    }
}

extension AccountID: ShardedKey {
    public var shardBits: UInt64 { high ^ (low &* 0x9E37_79B9_7F4A_7C15) }
}

extension TransactionID: ShardedKey {
    public var shardBits: UInt64 { high ^ (low &* 0x9E37_79B9_7F4A_7C15) }
}

/// By account: an account's balances (at most 64) share a shard.
extension BalanceKey: ShardedKey {
    public var shardBits: UInt64 { account.shardBits }
}
