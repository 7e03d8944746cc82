import KhataCore

// The node's receipts in JSON, written directly because the node answers every
// submission with them; byte for byte what `JSONEncoder` with `.sortedKeys`
// writes from the `Codable` forms (FastJSONTests holds them together).

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

    func appendJSON(to out: inout [UInt8]) {
        // Keys in sorted order; every string is ASCII that JSON needs no escape for.
        out += #"{"index":"#.utf8
        out += String(index.value).utf8
        out += #","leaf_hash":""#.utf8
        out += leafHash.hex.utf8
        out += #"","outcome":{"#.utf8
        switch outcome {
        case .committed:
            out += #""status":"committed""#.utf8
        case .rejected(let code, let operation, let law):
            out += #""code":""#.utf8
            out += code.name.utf8
            out += #"","#.utf8
            if let law {
                out += #""law":""#.utf8
                out += law.hex.utf8
                out += #"","#.utf8
            }
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

extension SubmissionResult {
    /// The answers as a JSON array: a receipt as `Receipt.json` writes it, a
    /// refusal as `{"outcome":{"code":…,"operation":N,"status":"refused"},"transaction":…}`
    /// (keys sorted, as for receipts; no index, time or leaf hash: it is not in the log).
    public static func json(_ results: [SubmissionResult]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(2 + results.count * 221)
        for (position, result) in results.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            switch result {
            case .logged(let receipt): receipt.appendJSON(to: &out)
            case .refused(let refusal): refusal.appendJSON(to: &out)
            }
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}

extension Refusal {
    func appendJSON(to out: inout [UInt8]) {
        out += #"{"outcome":{"code":""#.utf8
        out += code.name.utf8
        out += #"","operation":"#.utf8
        out += String(operation).utf8
        out += #","status":"refused"},"transaction":""#.utf8
        out += transaction.hex.utf8
        out += #""}"#.utf8
    }
}

extension SubmissionResult: Codable {
    private enum CodingKeys: String, CodingKey { case outcome, transaction }
    private enum OutcomeKeys: String, CodingKey { case status, code, operation }

    /// A receipt, or a refusal (`"status": "refused"`), as `SubmissionResult.json` writes them.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let outcome = try container.nestedContainer(keyedBy: OutcomeKeys.self, forKey: .outcome)
        guard try outcome.decode(String.self, forKey: .status) == "refused" else {
            self = .logged(try Receipt(from: decoder))
            return
        }
        self = .refused(
            Refusal(
                transaction: try container.decode(TransactionID.self, forKey: .transaction),
                code: try outcome.decode(RejectionCode.self, forKey: .code), operation: try outcome.decode(UInt16.self, forKey: .operation)))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .logged(let receipt):
            try receipt.encode(to: encoder)
        case .refused(let refusal):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(refusal.transaction, forKey: .transaction)
            var outcome = container.nestedContainer(keyedBy: OutcomeKeys.self, forKey: .outcome)
            try outcome.encode("refused", forKey: .status)
            try outcome.encode(refusal.code, forKey: .code)
            try outcome.encode(refusal.operation, forKey: .operation)
        }
    }
}
