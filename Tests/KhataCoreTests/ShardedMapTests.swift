import KhataCore
import KhataTestSupport
import Testing

@Suite("Sharded map")
struct ShardedMapTests {
    /// It behaves as a dictionary: set, replace, remove, count, iterate, compare.
    @Test func behavesAsADictionary() {
        var map = ShardedMap<AccountID, Int>()
        var reference: [AccountID: Int] = [:]
        var random = SeededGenerator(seed: 77)
        for _ in 0..<20_000 {
            let key = accountID(random.next() % 5_000)
            if random.next() % 4 == 0 {
                map[key] = nil
                reference[key] = nil
            } else {
                let value = Int(random.next() % 100)
                map[key] = value
                reference[key] = value
            }
        }
        #expect(map.count == reference.count && map.isEmpty == reference.isEmpty)
        #expect(Dictionary(uniqueKeysWithValues: map.map { ($0.key, $0.value) }) == reference)
        #expect(Set(map.keys) == Set(reference.keys))
        var copy = map
        #expect(copy == map)
        copy[accountID(999_999)] = 1
        #expect(copy != map && copy.count == map.count + 1)
    }

    /// Shards are of unequal sizes, from about 1 to 2 (so that they rehash at
    /// totals spread over a doubling, not all at once), and every shard is used.
    @Test func shardsAreUnequalOnPurpose() {
        var random = SeededGenerator(seed: 78)
        var map = ShardedMap<AccountID, Int>()
        for n in 0..<400_000 { map[AccountID(high: random.next(), low: random.next())] = n }
        let counts = map.shardCounts
        #expect(counts.count == 1_024 && counts.allSatisfy { $0 > 0 } && counts.reduce(0, +) == 400_000)
        let first = Double(counts.prefix(64).reduce(0, +))
        let last = Double(counts.suffix(64).reduce(0, +))
        #expect((1.7...2.3).contains(last / first), "largest shards over smallest: \(last / first)")
    }
}
