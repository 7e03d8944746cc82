import KhataBytes

/// The compact binary batch that high-throughput submitters post
/// (`application/octet-stream`): `u16 count ‖ count × (u16 length ‖ transaction)`,
/// each transaction in its canonical encoding (docs/ENCODING.md, "Batch").
public enum TransactionBatch {
    public static func encode(_ transactions: [Transaction]) -> [UInt8] {
        precondition(transactions.count <= Limits.maxBatchTransactions, "TransactionBatch.encode: \(transactions.count) transactions")
        var writer = ByteWriter(capacity: 2 + transactions.count * 200)
        writer.write(UInt16(transactions.count))
        for transaction in transactions {
            let bytes = transaction.encoded
            writer.write(UInt16(bytes.count))
            writer.write(bytes: bytes)
        }
        return writer.bytes
    }

    /// Decodes a batch: 1 to `Limits.maxBatchTransactions` canonical transactions,
    /// nothing after the last.
    public static func decode(_ bytes: [UInt8]) throws(MalformedInput) -> [Transaction] {
        var reader = ByteReader(bytes)
        let count = Int(try reader.readUInt16("batch count"))
        guard (1...Limits.maxBatchTransactions).contains(count) else {
            throw MalformedInput(.limitExceeded, "a batch holds 1 to \(Limits.maxBatchTransactions) transactions, got \(count)")
        }
        var transactions: [Transaction] = []
        transactions.reserveCapacity(count)
        for position in 0..<count {
            let length = Int(try reader.readUInt16("transaction length"))
            let body = Array(try reader.readBytes(length, "batched transaction"))
            do {
                transactions.append(try Transaction(decoding: body))
            } catch {
                throw MalformedInput(error.code, "transaction \(position): \(error.message)")
            }
        }
        try reader.expectEnd("the batch")
        return transactions
    }
}
