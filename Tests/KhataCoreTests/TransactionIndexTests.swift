import KhataBytes
import KhataTestSupport
import Testing

@testable import KhataCore

/// The index of sequenced transaction ids behaves as one dictionary, whatever
/// shards it keeps, and a copy shares it until written.
@Suite struct TransactionIndexTests {
    private static func record(_ n: UInt64) -> TransactionRecord {
        TransactionRecord(contentDigest: Digest32.sha256(Array(String(n).utf8)), index: LeafIndex(n), outcome: .committed)
    }

    @Test func behavesAsADictionary() {
        var random = SeededGenerator(seed: 7)
        var index = TransactionIndex()
        var reference: [TransactionID: TransactionRecord] = [:]
        for n in 0..<20_000 as Range<UInt64> {
            let id = TransactionID(high: .random(in: 0...UInt64.max, using: &random), low: n % 3)
            index[id] = Self.record(n)
            reference[id] = Self.record(n)
            if n % 7 == 0, let some = reference.keys.first {
                index[some] = nil
                reference[some] = nil
            }
        }
        // Writing again the same id replaces, and removing an absent id changes nothing.
        let first = reference.keys.first!
        index[first] = Self.record(99)
        reference[first] = Self.record(99)
        index[TransactionID(high: 1, low: 1)] = nil
        #expect(index.count == reference.count)
        #expect(Set(index.ids) == Set(reference.keys))
        #expect(Array(index.ids).count == reference.count)
        for (id, record) in reference { #expect(index[id] == record) }
        #expect(index[TransactionID(high: 0, low: 0)] == nil)
    }

    @Test func aCopyIsIndependent() {
        var index = TransactionIndex()
        for n in 0..<1_000 as Range<UInt64> { index[TransactionID(high: n, low: n)] = Self.record(n) }
        let copy = index
        index[TransactionID(high: 5_000, low: 0)] = Self.record(5_000)
        index[TransactionID(high: 3, low: 3)] = nil
        #expect(copy.count == 1_000 && index.count == 1_000)
        #expect(copy[TransactionID(high: 3, low: 3)] == Self.record(3))
        #expect(copy[TransactionID(high: 5_000, low: 0)] == nil)
    }
}
