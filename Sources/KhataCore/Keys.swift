import KhataBytes
import KhataEd25519

/// Who controls something: `threshold` signatures from distinct `keys` (m of n).
///
/// Canonical form: keys sorted ascending, no duplicates, 1 ≤ threshold ≤ count ≤
/// `Limits.maxControllers`. Any other form is refused at decoding, so a key set
/// can never be satisfied by zero signatures.
public struct KeySet: Hashable, Sendable, Codable {
    public let threshold: UInt8
    public let keys: [PublicKey]

    public init(threshold: UInt8, keys: [PublicKey]) throws(MalformedInput) {
        let sorted = keys.sorted()
        guard (1...Limits.maxControllers).contains(sorted.count) else {
            throw MalformedInput(.invalidValue, "a key set has 1 to \(Limits.maxControllers) keys, got \(keys.count)")
        }
        for i in 1..<sorted.count where sorted[i] == sorted[i - 1] {
            throw MalformedInput(.invalidValue, "key \(sorted[i]) appears twice in a key set")
        }
        guard threshold >= 1 && Int(threshold) <= sorted.count else {
            throw MalformedInput(.invalidValue, "threshold \(threshold) must be between 1 and the number of keys (\(sorted.count))")
        }
        self.threshold = threshold
        self.keys = sorted
    }

    /// A one-key set: the common case of a person's account.
    public init(single key: PublicKey) {
        threshold = 1
        keys = [key]
    }

    /// Whether at least `threshold` of the keys are among `signers`.
    /// Costs at most `keys.count × signers.count` key comparisons (both ≤ 16).
    public func isSatisfied(by signers: [PublicKey]) -> Bool {
        var count = 0
        for key in keys where signers.contains(key) {
            count += 1
            if count >= Int(threshold) { return true }
        }
        return false
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case threshold, keys }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a key set")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let keys = try container.decode([PublicKey].self, forKey: .keys)
        let threshold = try container.decodeIfPresent(UInt8.self, forKey: .threshold) ?? 1
        try self.init(threshold: threshold, keys: keys)
    }
}

extension ByteWriter {
    /// `u8 threshold ‖ u8 n ‖ n × 32-byte key` (docs/ENCODING.md, "Key set").
    public mutating func write(keySet: KeySet) {
        write(keySet.threshold)
        write(UInt8(keySet.keys.count))
        for key in keySet.keys { write(bytes: key.bytes) }
    }
}

extension ByteReader {
    public mutating func readKeySet() throws(MalformedInput) -> KeySet {
        let threshold = try readUInt8("key set threshold")
        let count = Int(try readUInt8("key set size"))
        guard count <= Limits.maxControllers else {
            throw MalformedInput(.limitExceeded, "a key set has at most \(Limits.maxControllers) keys, got \(count)")
        }
        var keys: [PublicKey] = []
        for _ in 0..<count { keys.append(try readPublicKey()) }
        let set = try KeySet(threshold: threshold, keys: keys)
        guard set.keys == keys else { throw MalformedInput(.nonCanonical, "the keys of a key set must be sorted ascending") }
        return set
    }

    public mutating func readPublicKey() throws(MalformedInput) -> PublicKey {
        PublicKey(bytes: try readBytes(32, "public key"))!
    }
}
