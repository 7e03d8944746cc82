import KhataBytes
import KhataEd25519

/// What a ledger starts from: the first entry of every log (index 0).
///
/// It fixes the ledger's origin (the name in its checkpoints and in every signed
/// transaction), the ledger's public key (which will sign checkpoints), the
/// issuer's keys (which may register assets), and the operations that set up the
/// first accounts and assets. Genesis operations need no signatures: whoever
/// trusts the ledger trusts its first entry. They must all commit.
public struct Genesis: Hashable, Sendable {
    public static let version: UInt8 = 1

    public let origin: String
    public let ledgerKey: PublicKey
    public let issuer: KeySet
    public let operations: [LedgerOperation]

    public init(origin: String, ledgerKey: PublicKey, issuer: KeySet, operations: [LedgerOperation]) throws(MalformedInput) {
        try Genesis.validate(origin: Array(origin.utf8))
        guard operations.count <= Limits.maxOperations else {
            throw MalformedInput(.limitExceeded, "a genesis has at most \(Limits.maxOperations) operations, got \(operations.count)")
        }
        for operation in operations { try operation.validate() }
        self.origin = origin
        self.ledgerKey = ledgerKey
        self.issuer = issuer
        self.operations = operations
        let size = encoded.count + Limits.entryOverheadBytes
        guard size <= Limits.maxEntryBytes else {
            throw MalformedInput(.limitExceeded, "the genesis entry would be \(size) bytes; at most \(Limits.maxEntryBytes) are allowed")
        }
    }

    /// An origin is 1 to `Limits.maxOriginBytes` bytes of printable ASCII without
    /// spaces or `+`, so that it can be a C2SP signed-note key name and a checkpoint
    /// origin line (for example `khata.example/dev`).
    static func validate(origin: [UInt8]) throws(MalformedInput) {
        guard (1...Limits.maxOriginBytes).contains(origin.count) else {
            throw MalformedInput(.invalidValue, "an origin is 1 to \(Limits.maxOriginBytes) bytes, got \(origin.count)")
        }
        guard origin.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "+") }) else {
            throw MalformedInput(.invalidValue, "an origin is printable ASCII without spaces or '+'")
        }
    }

    /// `u8 version ‖ u8 len ‖ origin ‖ 32-byte ledger key ‖ key set ‖ u16 count ‖ operations`.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.write(Genesis.version)
        writer.writeShortBytes(Array(origin.utf8))
        writer.write(bytes: ledgerKey.bytes)
        writer.write(keySet: issuer)
        writer.write(UInt16(operations.count))
        for operation in operations { writer.write(operation: operation) }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(MalformedInput) {
        var reader = ByteReader(bytes)
        let version = try reader.readUInt8("genesis version")
        guard version == Genesis.version else {
            throw MalformedInput(.unknownVersion, "genesis version \(version) is not supported (this build reads \(Genesis.version))")
        }
        let originBytes = try reader.readShortBytes(limit: Limits.maxOriginBytes, "origin")
        try Genesis.validate(origin: Array(originBytes))
        let ledgerKey = try reader.readPublicKey()
        let issuer = try reader.readKeySet()
        let count = Int(try reader.readUInt16("operation count"))
        guard count <= Limits.maxOperations else {
            throw MalformedInput(.limitExceeded, "a genesis has at most \(Limits.maxOperations) operations, got \(count)")
        }
        var operations: [LedgerOperation] = []
        for _ in 0..<count { operations.append(try reader.readOperation()) }
        try reader.expectEnd("the genesis")
        try self.init(origin: String(decoding: originBytes, as: UTF8.self), ledgerKey: ledgerKey, issuer: issuer, operations: operations)
    }
}
