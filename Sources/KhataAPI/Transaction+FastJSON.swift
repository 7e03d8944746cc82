import KhataBytes
import KhataCore
import KhataEd25519

// A direct reader for the JSON most submitters send: transactions whose
// operations are all transfers, with plain ASCII strings. Foundation's
// JSONDecoder spends more time per request than the node's whole HTTP layer;
// this reads the same text in a fraction of that. Measured by the
// micro-benchmarks (Benchmarks/, "JSON transfer decode", 2026-12-03, this 2-core
// machine): p50 40 µs per signed one-transfer transaction with JSONDecoder,
// 14 µs with this reader, against about 200 µs of node CPU per transaction in all.
//
// It is a fast path, never a second definition of the format: it accepts a
// strict subset of what the Codable decoding (Transaction+JSON.swift) accepts
// and returns exactly what that would return. Anything else — another operation
// type, an escape sequence or a non-ASCII byte in a string, a number, null, an
// unknown or repeated key, a value the initialisers refuse — gives nil, and the
// caller decodes with JSONDecoder, which then also words the error. A test
// checks the two agree on valid, altered and random input.

extension Transaction {
    /// Transactions of transfers read straight from JSON (one object, or an array
    /// of them when `isArray`); nil when the text is anything else.
    public static func decodeTransfersJSON(_ text: [UInt8]) -> (transactions: [Transaction], isArray: Bool)? {
        text.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            scanner.skipWhitespace()
            var transactions: [Transaction] = []
            let isArray = scanner.peek == UInt8(ascii: "[")
            if isArray {
                let complete = scanner.array {
                    guard let transaction = $0.transaction() else { return false }
                    transactions.append(transaction)
                    return true
                }
                guard complete, !transactions.isEmpty else { return nil }
            } else {
                guard let transaction = scanner.transaction() else { return nil }
                transactions.append(transaction)
            }
            scanner.skipWhitespace()
            guard scanner.atEnd else { return nil }
            return (transactions, isArray)
        }
    }
}

/// Reads the JSON subset `decodeTransfersJSON` takes; every method answers
/// nil or false as soon as the input leaves that subset.
private struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }
    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[position]) { position += 1 }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard peek == byte else { return false }
        position += 1
        return true
    }

    /// A string of printable ASCII without escapes; its bytes' range.
    mutating func plainString() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return start..<(position - 1)
            }
            guard byte >= 0x20, byte < 0x7f, byte != UInt8(ascii: "\\") else { return nil }
            position += 1
        }
        return nil
    }

    func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }

    /// The bytes that `range`'s hex digits spell, if they are `count` bytes' worth.
    func hexBytes(_ range: Range<Int>, count: Int) -> [UInt8]? {
        guard range.count == 2 * count else { return nil }
        return Hex.decode(digits: UnsafeBufferPointer(rebasing: bytes[range]))
    }

    /// A 128-bit id from 32 hex digits, as `Identifier128(hex:)` reads it.
    func identifier<ID: Identifier128>(_ range: Range<Int>, as type: ID.Type) -> ID? {
        guard let bytes = hexBytes(range, count: 16) else { return nil }
        let word = { (start: Int) in bytes[start..<(start + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        return ID(high: word(0), low: word(8))
    }

    func equals(_ range: Range<Int>, _ name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return zip(bytes[range], expected).allSatisfy { $0 == $1 }
    }

    /// `[ element, … ]`, calling `element` at each; false if any fails.
    mutating func array(_ element: (inout JSONScanner) -> Bool) -> Bool {
        guard take(UInt8(ascii: "[")) else { return false }
        if take(UInt8(ascii: "]")) { return true }
        repeat {
            guard element(&self) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]"))
    }

    /// `{ "key": value, … }` where every value is a plain string, the keys among
    /// `names` and none repeated; the values' ranges in the order of `names`.
    mutating func stringObject(_ names: [StaticString]) -> [Range<Int>?]? {
        var values = [Range<Int>?](repeating: nil, count: names.count)
        guard take(UInt8(ascii: "{")) else { return nil }
        if take(UInt8(ascii: "}")) { return values }
        repeat {
            guard let key = plainString(), take(UInt8(ascii: ":")),
                let slot = names.firstIndex(where: { equals(key, $0) }), values[slot] == nil,
                let value = plainString()
            else { return nil }
            values[slot] = value
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}")) ? values : nil
    }

    /// `{"id": …, "operations": [transfers], "signatures": [{"key", "signature"}]}`.
    mutating func transaction() -> Transaction? {
        var id: TransactionID?
        var operations: [LedgerOperation]?
        var signatures: [TransactionSignature]?
        guard take(UInt8(ascii: "{")), !take(UInt8(ascii: "}")) else { return nil }
        repeat {
            guard let key = plainString(), take(UInt8(ascii: ":")) else { return nil }
            if equals(key, "id"), id == nil {
                guard let value = plainString(), let parsed = identifier(value, as: TransactionID.self) else { return nil }
                id = parsed
            } else if equals(key, "operations"), operations == nil {
                var list: [LedgerOperation] = []
                guard array({ scanner in scanner.transfer().map { list.append(.transfer($0)) } != nil }) else { return nil }
                operations = list
            } else if equals(key, "signatures"), signatures == nil {
                var list: [TransactionSignature] = []
                guard array({ scanner in scanner.signature().map { list.append($0) } != nil }) else { return nil }
                signatures = list
            } else {
                return nil
            }
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")), let id, let operations else { return nil }
        return try? Transaction(id: id, operations: operations, signatures: signatures ?? [])
    }

    /// `{"type": "transfer", "asset", "debit", "credit", "amount" (digits), "memo"?}`.
    mutating func transfer() -> Transfer? {
        guard let fields = stringObject(["type", "asset", "debit", "credit", "amount", "memo"]),
            let type = fields[0], equals(type, "transfer"),
            let asset = fields[1].flatMap({ AssetCode(text($0)) }),
            let debit = fields[2].flatMap({ identifier($0, as: AccountID.self) }),
            let credit = fields[3].flatMap({ identifier($0, as: AccountID.self) }),
            let amount = fields[4], let units = Amount.parseDigits(bytes[amount])
        else { return nil }
        return Transfer(asset: asset, debit: debit, credit: credit, amount: Amount(units), memo: fields[5].map(text) ?? "")
    }

    /// `{"key": 64 hex digits, "signature": 128 hex digits}`.
    mutating func signature() -> TransactionSignature? {
        guard let fields = stringObject(["key", "signature"]),
            let key = fields[0].flatMap({ hexBytes($0, count: 32) }).flatMap({ PublicKey(bytes: $0) }),
            let signature = fields[1].flatMap({ hexBytes($0, count: 64) })
        else { return nil }
        return TransactionSignature(key: key, signature: signature)
    }
}
