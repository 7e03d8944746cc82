import Crypto
import KhataBytes

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
