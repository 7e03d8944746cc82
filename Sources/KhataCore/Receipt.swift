/// What a submitter gets back once its transaction is durably in the log.
public struct Receipt: Hashable, Sendable, Codable {
    public let transaction: TransactionID
    /// The entry's position in the log.
    public let index: LeafIndex
    /// The sequencer's stamp.
    public let time: Timestamp
    public let outcome: Outcome
    /// SHA-256(0x00 ‖ entry): what an inclusion proof proves.
    public let leafHash: Digest32
    /// True when this answers a retry of a transaction sequenced earlier.
    public let isRetry: Bool

    public init(transaction: TransactionID, index: LeafIndex, time: Timestamp, outcome: Outcome, leafHash: Digest32, isRetry: Bool) {
        self.transaction = transaction
        self.index = index
        self.time = time
        self.outcome = outcome
        self.leafHash = leafHash
        self.isRetry = isRetry
    }

    private enum CodingKeys: String, CodingKey {
        case transaction, index, time, outcome
        case leafHash = "leaf_hash"
        case isRetry = "retry"
    }
}

extension Receipt {
    /// The receipt as JSON: byte for byte what `JSONEncoder` with `.sortedKeys`
    /// writes from the `Codable` form (a test holds the two together), written
    /// directly because the node answers every submission with it.
    public var json: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(220)
        appendJSON(to: &out)
        return out
    }

    /// Receipts as a JSON array, as `JSONEncoder` with `.sortedKeys` writes it.
    public static func json(_ receipts: [Receipt]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(2 + receipts.count * 221)
        for (position, receipt) in receipts.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            receipt.appendJSON(to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    private func appendJSON(to out: inout [UInt8]) {
        // Keys in sorted order; every string is ASCII that JSON needs no escape for.
        out += #"{"index":"#.utf8
        out += String(index.value).utf8
        out += #","leaf_hash":""#.utf8
        out += leafHash.hex.utf8
        out += #"","outcome":{"#.utf8
        switch outcome {
        case .committed:
            out += #""status":"committed""#.utf8
        case .rejected(let code, let operation):
            out += #""code":""#.utf8
            out += code.name.utf8
            out += #"","#.utf8
            if let operation {
                out += #""operation":"#.utf8
                out += String(operation).utf8
                out += #","#.utf8
            }
            out += #""status":"rejected""#.utf8
        }
        out += #"},"retry":"#.utf8
        out += (isRetry ? "true" : "false").utf8
        out += #","time":"#.utf8
        out += String(time.milliseconds).utf8
        out += #","transaction":""#.utf8
        out += transaction.hex.utf8
        out += #""}"#.utf8
    }
}
