import Foundation
import KhataAPI
import KhataCore

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
        case .rejected(let code, let operation, let law):
            "rejected: \(code.name) (code \(code.rawValue))" + (operation.map { " at operation \($0)" } ?? "")
                + (law.map { " by law \($0.hex)" } ?? "")
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
