/// Appends big-endian fixed-width integers and byte strings to a buffer.
///
/// The only writer behind every canonical encoding in Khata (docs/ENCODING.md):
/// integers are big-endian, lengths are explicit, nothing is padded.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func write(_ value: UInt8) { bytes.append(value) }

    public mutating func write(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    public mutating func write(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    public mutating func write(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    public mutating func write<Bytes: Sequence>(bytes other: Bytes) where Bytes.Element == UInt8 {
        bytes.append(contentsOf: other)
    }

    /// Writes a length (one byte) then the bytes. The caller has bounded the length.
    public mutating func writeShortBytes(_ other: [UInt8]) {
        precondition(other.count <= 255, "ByteWriter.writeShortBytes: \(other.count) bytes")
        write(UInt8(other.count))
        write(bytes: other)
    }
}

/// Reads what `ByteWriter` wrote, refusing to read past the end.
///
/// Every read is bounded by the input: a truncated input is a `MalformedInput`
/// error, never a crash and never a read of memory beyond the buffer.
public struct ByteReader {
    let storage: [UInt8]
    public private(set) var offset: Int
    private let end: Int

    public init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.storage = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset == end }

    private mutating func take(_ count: Int, _ what: StaticString) throws(MalformedInput) -> Int {
        guard count <= remaining else {
            throw MalformedInput(.truncated, "input ends inside \(what) at byte \(offset)")
        }
        let start = offset
        offset += count
        return start
    }

    public mutating func readUInt8(_ what: StaticString) throws(MalformedInput) -> UInt8 {
        storage[try take(1, what)]
    }

    public mutating func readUInt16(_ what: StaticString) throws(MalformedInput) -> UInt16 {
        let at = try take(2, what)
        return UInt16(storage[at]) << 8 | UInt16(storage[at + 1])
    }

    public mutating func readUInt32(_ what: StaticString) throws(MalformedInput) -> UInt32 {
        let at = try take(4, what)
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(storage[at + i]) }
        return value
    }

    public mutating func readUInt64(_ what: StaticString) throws(MalformedInput) -> UInt64 {
        let at = try take(8, what)
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(storage[at + i]) }
        return value
    }

    public mutating func readBytes(_ count: Int, _ what: StaticString) throws(MalformedInput) -> ArraySlice<UInt8> {
        let at = try take(count, what)
        return storage[at..<(at + count)]
    }

    /// Reads a one-byte length, checks it against `limit`, then reads that many bytes.
    public mutating func readShortBytes(limit: Int, _ what: StaticString) throws(MalformedInput) -> ArraySlice<UInt8> {
        let count = Int(try readUInt8(what))
        guard count <= limit else {
            throw MalformedInput(.limitExceeded, "\(what) is \(count) bytes; at most \(limit) are allowed")
        }
        return try readBytes(count, what)
    }

    /// Fails unless every byte was consumed: trailing bytes make an encoding non-canonical.
    public func expectEnd(_ what: StaticString) throws(MalformedInput) {
        guard isAtEnd else {
            throw MalformedInput(.trailingBytes, "\(remaining) unexpected bytes after \(what)")
        }
    }
}

extension ByteReader {
    /// The bytes between two offsets already read.
    public func slice(from start: Int, to end: Int) -> ArraySlice<UInt8> {
        precondition(start <= end && end <= offset, "ByteReader.slice: \(start)..<\(end) not yet read")
        return storage[start..<end]
    }
}
