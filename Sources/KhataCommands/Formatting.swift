import Foundation
import KhataCore

/// Amounts in text: minor units shown in major units with the asset's scale
/// ("2.50" for 250 paise). Pure integer arithmetic on digits; no floating point.
enum AmountText {
    static func format(_ units: Int128, scale: UInt8) -> String {
        let negative = units < 0
        var digits = String(negative ? -units : units)
        let scale = Int(scale)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return negative ? "-" + digits : digits
    }

    static func format(_ amount: Amount, scale: UInt8) -> String { format(Int128(amount.units), scale: scale) }

    /// Parses "250" as 250 minor units, or "2.50" as major units with at most
    /// `scale` decimals (so 250 for INR). Refuses signs, exponents and overflow.
    static func parse(_ text: String, scale: UInt8) throws -> Amount {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let isDigits = { (part: Substring) in !part.isEmpty && part.allSatisfy { $0.isASCII && $0.isNumber } }
        guard parts.count <= 2, parts.allSatisfy(isDigits) else {
            throw CommandFailure("amount \"\(text)\" must be digits, in minor units (250) or with a decimal point (2.50)")
        }
        if parts.count == 1 {
            guard let units = UInt64(parts[0]) else { throw CommandFailure("amount \(text) exceeds \(UInt64.max)") }
            return Amount(units)
        }
        let fraction = parts[1]
        guard fraction.count <= Int(scale) else {
            throw CommandFailure("amount \(text) has \(fraction.count) decimals but the asset has \(scale)")
        }
        let padded = String(parts[0]) + fraction + String(repeating: "0", count: Int(scale) - fraction.count)
        guard let units = UInt64(padded) else { throw CommandFailure("amount \(text) is too large") }
        return Amount(units)
    }
}

enum TimeText {
    static func format(_ time: Timestamp) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(time.milliseconds / 1_000))
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date).replacingOccurrences(of: "Z", with: String(format: ".%03dZ", Int(time.milliseconds % 1_000)))
    }
}

extension Outcome {
    var text: String {
        switch self {
        case .committed: "committed"
        case .rejected(let code, let operation):
            "rejected: \(code.name) (code \(code.rawValue))" + (operation.map { " at operation \($0)" } ?? "")
        }
    }
}

/// Left-aligned columns for terminal tables.
func table(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = Array(repeating: 0, count: first.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    return rows.map { row in
        row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }.joined(separator: "\n")
}
