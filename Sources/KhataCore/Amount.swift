import KhataBytes

/// A quantity of an asset in its minor unit (paise, satoshis, milligrams, shares).
///
/// Never negative and never fractional. Arithmetic that could overflow returns
/// nil, so the caller turns an overflow into a rejection rather than a wrap.
/// In JSON an amount is a string of decimal digits (an integer is accepted on
/// input); it is never a floating-point number.
public struct Amount: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let units: UInt64
    public init(_ units: UInt64) { self.units = units }
    public static let zero = Amount(0)
    public static func < (a: Self, b: Self) -> Bool { a.units < b.units }
    public var description: String { String(units) }
    public var isZero: Bool { units == 0 }

    public func adding(_ other: Amount) -> Amount? {
        let (sum, overflow) = units.addingReportingOverflow(other.units)
        return overflow ? nil : Amount(sum)
    }
}

extension Amount {
    /// The largest amount accepted as a JSON number (2^53): beyond it a number's
    /// value may have been rounded, by the sender's JSON library or by ours,
    /// so larger amounts must be strings.
    public static let maxJSONNumber: UInt64 = 1 << 53

    /// The value of canonical decimal digits: "0", or digits without a leading
    /// zero, at most 2^64 − 1. Nil for anything else ("", "007", "+7", " 7", "2.50").
    public static func parseDigits(_ digits: some Collection<UInt8>) -> UInt64? {
        guard let first = digits.first, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), first != 0x30 || digits.count == 1 else {
            return nil
        }
        var value: UInt64 = 0
        for digit in digits {
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = product.addingReportingOverflow(UInt64(digit - 0x30))
            guard !overflow, !overflowSum else { return nil }
            value = sum
        }
        return value
    }
}

extension Amount: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let units = Amount.parseDigits(Array(text.utf8)) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription:
                            "amount must be decimal digits without a leading zero, within 0...\(UInt64.max), got \"\(text.prefix(40))\""))
            }
            self.units = units
        } else if let units = try? container.decode(UInt64.self) {
            guard units <= Amount.maxJSONNumber else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "an amount above 2^53 must be a string of digits: a JSON number that large may have been rounded"))
            }
            self.units = units
        } else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "amount must be a string of digits (or an integer), never a fraction"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(units))
    }
}

/// An asset's code: 1 to 12 characters from `A`–`Z`, `0`–`9`, `-` and `.`,
/// starting with a letter (`INR`, `BTC`, `XAU`, `RELIANCE`, `GOI-2033`).
///
/// Stored packed in 128 bits so that it hashes and compares as fast as an integer;
/// codes compare in the byte order of their text.
public struct AssetCode: Hashable, Comparable, Sendable, CustomStringConvertible {
    private let packed: UInt128

    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard (try? AssetCode.validate(utf8[...])) != nil else { return nil }
        self.init(validated: utf8[...])
    }

    /// Packs bytes that `validate` accepted.
    init(validated bytes: ArraySlice<UInt8>) {
        var packed: UInt128 = 0
        for (position, byte) in bytes.enumerated() {
            packed |= UInt128(byte) << UInt128(8 * (15 - position))
        }
        self.packed = packed
    }

    static func validate(_ bytes: ArraySlice<UInt8>) throws(MalformedInput) {
        guard (1...Limits.maxAssetCodeBytes).contains(bytes.count) else {
            throw MalformedInput(.invalidValue, "an asset code has 1 to \(Limits.maxAssetCodeBytes) characters, got \(bytes.count)")
        }
        for (position, byte) in bytes.enumerated() {
            let isLetter = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
            let isOther =
                (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            guard isLetter || (position > 0 && isOther) else {
                throw MalformedInput(.invalidValue, "an asset code is A-Z first, then A-Z, 0-9, '-' or '.'")
            }
        }
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        for position in 0..<16 {
            let byte = UInt8(truncatingIfNeeded: packed >> UInt128(8 * (15 - position)))
            if byte == 0 { break }
            out.append(byte)
        }
        return out
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }
    public static func < (a: Self, b: Self) -> Bool { a.packed < b.packed }
}

extension AssetCode: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let code = AssetCode(text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "\"\(text.prefix(40))\" is not an asset code (1-12 of A-Z, 0-9, '-', '.', starting with a letter)"))
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension ByteWriter {
    public mutating func write(asset: AssetCode) { writeShortBytes(asset.bytes) }
}

extension ByteReader {
    public mutating func readAssetCode() throws(MalformedInput) -> AssetCode {
        let bytes = try readShortBytes(limit: Limits.maxAssetCodeBytes, "asset code")
        try AssetCode.validate(bytes)
        return AssetCode(validated: bytes)
    }
}
