import Crypto
import KhataBytes
import KhataCore

/// The hashes of the liabilities tree (docs/RESERVES.md, "The liabilities tree"),
/// in the Maxwell+ form: every node commits to both children's hashes and sums.
///
///     salt        = HMAC-SHA-256(saltKey, "khata/liabilities/salt/v1\n" ‖ u64 asOf ‖ account(16))
///     leaf hash   = SHA-256(0x00 ‖ salt(32) ‖ account(16) ‖ u64 balance)
///     padding     = HMAC-SHA-256(saltKey, "khata/liabilities/padding/v1\n" ‖ u64 asOf ‖ u64 position), sum 0
///     node hash   = SHA-256(0x01 ‖ left hash ‖ u64 left sum ‖ right hash ‖ u64 right sum)
///
/// Integers are big-endian. The salt is secret per holder and per commitment:
/// a holder learns only its own, so the sibling hashes in its proof reveal no
/// other holder's account or balance, and a padding leaf looks like any other.
public enum LiabilityHashing {
    static let saltLabel = Array("khata/liabilities/salt/v1\n".utf8)
    static let paddingLabel = Array("khata/liabilities/padding/v1\n".utf8)
    static let saltKeyLabel = Array("khata/liabilities/salt-key/v1\n".utf8)

    /// The salt key a ledger derives from its signing key's seed, so that a node
    /// needs no second secret: SHA-256("khata/liabilities/salt-key/v1\n" ‖ seed).
    public static func saltKey(ledgerSeed: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: saltKeyLabel + ledgerSeed))
    }

    public static func leafHash(salt: [UInt8], account: AccountID, balance: UInt64) -> [UInt8] {
        precondition(salt.count == 32, "LiabilityHashing.leafHash: salt of \(salt.count) bytes")
        var writer = ByteWriter(capacity: 57)
        writer.write(UInt8(0))
        writer.write(bytes: salt)
        writer.write(id: account)
        writer.write(balance)
        return Array(SHA256.hash(data: writer.bytes))
    }

    public static func nodeHash(left: [UInt8], leftSum: UInt64, right: [UInt8], rightSum: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 81)
        writer.write(UInt8(1))
        writer.write(bytes: left)
        writer.write(leftSum)
        writer.write(bytes: right)
        writer.write(rightSum)
        return Array(SHA256.hash(data: writer.bytes))
    }

    /// A keyed hasher for salts and padding, keyed once and copied per use.
    struct Keyed {
        private let keyed: HMAC<SHA256>

        init(saltKey: [UInt8]) { keyed = HMAC<SHA256>(key: SymmetricKey(data: saltKey)) }

        func salt(asOf: UInt64, account: AccountID) -> [UInt8] {
            var writer = ByteWriter(capacity: 64)
            writer.write(bytes: LiabilityHashing.saltLabel)
            writer.write(asOf)
            writer.write(id: account)
            return code(writer.bytes)
        }

        func padding(asOf: UInt64, position: UInt64) -> [UInt8] {
            var writer = ByteWriter(capacity: 64)
            writer.write(bytes: LiabilityHashing.paddingLabel)
            writer.write(asOf)
            writer.write(position)
            return code(writer.bytes)
        }

        private func code(_ message: [UInt8]) -> [UInt8] {
            var mac = keyed
            mac.update(data: message)
            return Array(mac.finalize())
        }
    }
}
