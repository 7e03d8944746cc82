import Crypto
import KhataBytes
import KhataLog

/// One record of the log: what was sequenced at `index`, when, and what came of it.
///
/// The leaf hash of an entry is SHA-256(0x00 ‖ encoded entry) (RFC 9162 §2.1.1).
/// The canonical encoding is documented byte by byte in docs/ENCODING.md.
public struct Entry: Hashable, Sendable {
    public static let version: UInt8 = 1

    public enum Payload: Hashable, Sendable {
        case genesis(Genesis)
        case transaction(Transaction)

        var kind: UInt8 {
            switch self {
            case .genesis: 0
            case .transaction: 1
            }
        }
    }

    public let index: LeafIndex
    public let time: Timestamp
    public let payload: Payload
    public let outcome: Outcome

    public init(index: LeafIndex, time: Timestamp, payload: Payload, outcome: Outcome) {
        self.index = index
        self.time = time
        self.payload = payload
        self.outcome = outcome
    }

    /// The canonical bytes. A transaction's payload is its full encoding (body and
    /// signatures), so that anyone replaying the log can check every signature.
    public var encoded: [UInt8] {
        switch payload {
        case .genesis(let genesis): Entry.encode(index: index, time: time, kind: 0, payload: genesis.encoded, outcome: outcome)
        case .transaction(let transaction): Entry.encode(index: index, time: time, kind: 1, payload: transaction.encoded, outcome: outcome)
        }
    }

    /// Encodes from an already-encoded payload, so that the sequencer need not
    /// re-encode a transaction it received in canonical form.
    public static func encode(index: LeafIndex, time: Timestamp, kind: UInt8, payload: [UInt8], outcome: Outcome) -> [UInt8] {
        precondition(payload.count + Limits.entryOverheadBytes <= Limits.maxEntryBytes, "Entry.encode: payload of \(payload.count) bytes")
        var writer = ByteWriter(capacity: payload.count + Limits.entryOverheadBytes)
        writer.write(Entry.version)
        writer.write(index.value)
        writer.write(time.milliseconds)
        writer.write(kind)
        writer.write(UInt16(payload.count))
        writer.write(bytes: payload)
        writer.write(outcome: outcome)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(MalformedInput) {
        guard bytes.count <= Limits.maxEntryBytes else {
            throw MalformedInput(.limitExceeded, "an entry is at most \(Limits.maxEntryBytes) bytes, got \(bytes.count)")
        }
        var reader = ByteReader(bytes)
        let version = try reader.readUInt8("entry version")
        guard version == Entry.version else {
            throw MalformedInput(.unknownVersion, "entry version \(version) is not supported (this build reads \(Entry.version))")
        }
        let index = LeafIndex(try reader.readUInt64("index"))
        let time = Timestamp(milliseconds: try reader.readUInt64("time"))
        // The sequencer never stamps later (`Ledger`): a later time in a log is
        // malformed, so that time plus any timeout or window stays in range.
        guard time.milliseconds <= Limits.maxTimestampMilliseconds else {
            throw MalformedInput(.limitExceeded, "an entry's time is at most \(Limits.maxTimestampMilliseconds) ms")
        }
        let kind = try reader.readUInt8("entry kind")
        let length = Int(try reader.readUInt16("payload length"))
        let payloadBytes = Array(try reader.readBytes(length, "payload"))
        let payload: Payload
        switch kind {
        case 0: payload = .genesis(try Genesis(decoding: payloadBytes))
        case 1: payload = .transaction(try Transaction(decoding: payloadBytes))
        default: throw MalformedInput(.unknownTag, "unknown entry kind \(kind)")
        }
        let outcome = try reader.readOutcome()
        try reader.expectEnd("the entry")
        self.init(index: index, time: time, payload: payload, outcome: outcome)
    }

    /// SHA-256(0x00 ‖ entry): the RFC 9162 leaf hash of encoded entry bytes.
    public static func leafHash(_ encoded: [UInt8]) -> Digest32 { RFC6962.leafHash(encoded) }
}
