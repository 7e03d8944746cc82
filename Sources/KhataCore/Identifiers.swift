import KhataBytes

/// A 128-bit identifier chosen by a client: an account or a transaction.
///
/// Encoded as 16 bytes big-endian (`high` first); written as 32 lower-case hex digits.
public protocol Identifier128: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    var high: UInt64 { get }
    var low: UInt64 { get }
    init(high: UInt64, low: UInt64)
}

extension Identifier128 {
    public static func < (a: Self, b: Self) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// Parses exactly 32 hex digits.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 32, let bytes = Hex.decode(hex) else { return nil }
        var reader = ByteReader(bytes)
        guard let high = try? reader.readUInt64("id"), let low = try? reader.readUInt64("id") else { return nil }
        self.init(high: high, low: low)
    }

    public var hex: String {
        var writer = ByteWriter(capacity: 16)
        writer.write(high)
        writer.write(low)
        return Hex.encode(writer.bytes)
    }

    public var description: String { hex }

    /// A fresh id of 128 bits from the system's generator, for a client that
    /// makes one (never called by the state machine, which is deterministic).
    public static func random() -> Self {
        Self(high: .random(in: 0...UInt64.max), low: .random(in: 0...UInt64.max))
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(hex: text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected 32 hex digits, got \"\(text.prefix(40))\""))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

extension ByteWriter {
    public mutating func write(id: some Identifier128) {
        write(id.high)
        write(id.low)
    }
}

extension ByteReader {
    public mutating func readID<ID: Identifier128>(_: ID.Type, _ what: StaticString) throws(MalformedInput) -> ID {
        let high = try readUInt64(what)
        let low = try readUInt64(what)
        return ID(high: high, low: low)
    }
}

/// An account's id, chosen by whoever creates it.
public struct AccountID: Identifier128 {
    public let high: UInt64
    public let low: UInt64
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }
}

/// A transaction's id, chosen by the client; the key of idempotency.
public struct TransactionID: Identifier128 {
    public let high: UInt64
    public let low: UInt64
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }
}

/// A log position: the index of an entry, counted from 0 (RFC 9162 "leaf index").
public struct LeafIndex: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
    public var description: String { String(value) }
    public init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(UInt64.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// The sequencer's stamp: milliseconds since 1970-01-01T00:00:00Z.
///
/// The only notion of time inside the state machine; it is part of each entry,
/// so that replay sees the same time the sequencer saw.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let milliseconds: UInt64
    public init(milliseconds: UInt64) { self.milliseconds = milliseconds }
    public static func < (a: Self, b: Self) -> Bool { a.milliseconds < b.milliseconds }
    public var description: String { String(milliseconds) }

    /// This time plus `seconds`; the caller has bounded both, so this cannot overflow.
    public func adding(seconds: UInt32) -> Timestamp {
        Timestamp(milliseconds: milliseconds + UInt64(seconds) * 1_000)
    }

    public init(from decoder: any Decoder) throws {
        milliseconds = try decoder.singleValueContainer().decode(UInt64.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(milliseconds)
    }
}
