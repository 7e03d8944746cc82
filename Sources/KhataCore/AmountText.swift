import KhataBytes

/// Amounts in text: minor units shown in major units with the asset's scale
/// ("2.50" for 250 paise). Pure integer arithmetic on digits; no floating point.
public enum AmountText {
    public static func format(_ units: Int128, scale: UInt8) -> String {
        units < 0 ? "-" + format(units.magnitude, scale: scale) : format(units.magnitude, scale: scale)
    }

    /// Any unsigned width, for values past 64 bits (reserve values in minor units).
    public static func format(_ units: UInt128, scale: UInt8) -> String {
        var digits = String(units)
        let scale = Int(scale)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return digits
    }

    public static func format(_ amount: Amount, scale: UInt8) -> String { format(Int128(amount.units), scale: scale) }

    /// Parses "250" as 250 minor units, or "2.50" as major units with at most
    /// `scale` decimals (so 250 for INR). Refuses signs, exponents and overflow.
    public static func parse(_ text: String, scale: UInt8) throws(MalformedInput) -> Amount {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let isDigits = { (part: Substring) in !part.isEmpty && part.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        guard parts.count <= 2, parts.allSatisfy(isDigits) else {
            throw MalformedInput(.invalidValue, "amount \"\(text)\" must be digits, in minor units (250) or with a decimal point (2.50)")
        }
        if parts.count == 1 {
            guard let units = UInt64(parts[0]) else { throw MalformedInput(.invalidValue, "amount \(text) exceeds \(UInt64.max)") }
            return Amount(units)
        }
        let fraction = parts[1]
        guard fraction.count <= Int(scale) else {
            throw MalformedInput(.invalidValue, "amount \(text) has \(fraction.count) decimals but the asset has \(scale)")
        }
        let padded = String(parts[0]) + fraction + String(repeating: "0", count: Int(scale) - fraction.count)
        guard let units = UInt64(padded) else { throw MalformedInput(.invalidValue, "amount \(text) is too large") }
        return Amount(units)
    }
}
