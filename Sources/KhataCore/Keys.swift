import Crypto
import KhataEd25519

/// An Ed25519 public key (RFC 8032), 32 bytes.
///
/// Held as four words so that comparing and hashing keys, which authorization
/// does for every operation, costs no allocation.
public struct PublicKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    private let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var reader = ByteReader(Array(bytes))
        w0 = (try? reader.readUInt64("key")) ?? 0
        w1 = (try? reader.readUInt64("key")) ?? 0
        w2 = (try? reader.readUInt64("key")) ?? 0
        w3 = (try? reader.readUInt64("key")) ?? 0
    }

    public init?(hex: some StringProtocol) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    public var bytes: [UInt8] {
        var writer = ByteWriter(capacity: 32)
        for word in [w0, w1, w2, w3] { writer.write(word) }
        return writer.bytes
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
    public static func < (a: Self, b: Self) -> Bool { (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3) }

    /// Checks an Ed25519 signature over `message` (RFC 8032, cofactorless, as
    /// BoringSSL checks it). Costs one verification: about 50 µs on one core of
    /// the reference machine, 12 µs for a key that has signed often
    /// (`Ed25519Verifier` keeps precomputed tables for such keys).
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        Ed25519Verifier.shared.isValidSignature(signature, for: message, publicKey: bytes)
    }
}

extension PublicKey: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let key = PublicKey(hex: text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath, debugDescription: "expected a 32-byte Ed25519 public key as 64 hex digits"))
        }
        self = key
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// An Ed25519 private key; signs transactions. Never part of any ledger state.
public struct SigningKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init() { key = Curve25519.Signing.PrivateKey() }

    /// The key whose 32-byte seed (RFC 8032 private key) is `seed`.
    public init?(seed: [UInt8]) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { return nil }
        self.key = key
    }

    public var seed: [UInt8] { Array(key.rawRepresentation) }
    public var publicKey: PublicKey { PublicKey(bytes: Array(key.publicKey.rawRepresentation))! }

    public func sign(_ message: [UInt8]) -> [UInt8] {
        // Ed25519 signing cannot fail for a valid key; a failure here is a broken invariant.
        guard let signature = try? key.signature(for: message) else {
            preconditionFailure("SigningKey.sign: Ed25519 signing failed")
        }
        return Array(signature)
    }
}

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

    private enum CodingKeys: String, CodingKey { case threshold, keys }

    public init(from decoder: any Decoder) throws {
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
