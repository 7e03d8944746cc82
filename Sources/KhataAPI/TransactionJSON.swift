import Foundation
import KhataCore

/// Transactions read from JSON text, by the node and the command line alike
/// (docs/ENCODING.md, "JSON form"): transfers by the direct reader
/// (`Transaction.decodeTransfersJSON`), anything else by JSONDecoder, after two
/// checks JSONDecoder does not make:
///
/// - the text is UTF-8 without a byte order mark (RFC 8259 §8.1), not UTF-16 or
///   UTF-32, which Foundation would also take;
/// - every number is written as an integer. No field of a transaction is
///   fractional, and Foundation reads `250.5e0`, `250.0000000000000001` or a
///   large number with a fraction by rounding it to an integer, which for an
///   amount would be another amount.
public enum TransactionJSON {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// One transaction, or an array of them (`isArray`).
    public static func decode(_ text: [UInt8]) throws(Failure) -> (transactions: [Transaction], isArray: Bool) {
        if let fast = Transaction.decodeTransfersJSON(text) { return fast }
        guard text.first != 0xEF, !text.contains(0), String(validating: text, as: UTF8.self) != nil else {
            throw Failure(description: "the text is not UTF-8 JSON (RFC 8259 §8.1: no byte order mark, no UTF-16 or UTF-32)")
        }
        if let number = firstNonIntegerNumber(text) {
            throw Failure(
                description: "the number \(number) is not an integer: no field of a transaction is fractional; write amounts as strings of digits")
        }
        let first = text.first { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }
        let decoder = JSONDecoder()
        do {
            if first == UInt8(ascii: "[") { return (try decoder.decode([Transaction].self, from: Data(text)), true) }
            return ([try decoder.decode(Transaction.self, from: Data(text))], false)
        } catch {
            throw Failure(description: describeDecodingError(error))
        }
    }

    /// The first number outside strings written with a fraction or an exponent
    /// (at most 40 characters of it), if any.
    static func firstNonIntegerNumber(_ text: [UInt8]) -> String? {
        var index = 0
        var inString = false
        while index < text.count {
            let byte = text[index]
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
                index += 1
                continue
            }
            guard byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte) else {
                index += 1
                continue
            }
            let start = index
            while index < text.count, "0123456789+-.eE".utf8.contains(text[index]) { index += 1 }
            let token = text[start..<index]
            if token.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
                return String(decoding: token.prefix(40), as: UTF8.self)
            }
        }
        return nil
    }
}

/// A decoding error in words: the path to the field, then what was wrong.
public func describeDecodingError(_ error: any Error) -> String {
    func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + ": "
    }
    switch error {
    case DecodingError.dataCorrupted(let context):
        return "\(path(context.codingPath))\(context.debugDescription)"
    case DecodingError.keyNotFound(let key, let context):
        return "\(path(context.codingPath + [key]))missing"
    case DecodingError.typeMismatch(let type, let context):
        return "\(path(context.codingPath))expected \(type)"
    case DecodingError.valueNotFound(let type, let context):
        return "\(path(context.codingPath))expected \(type), found null"
    default:
        return "\(error)"
    }
}
