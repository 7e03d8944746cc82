import KhataBytes
import KhataCore

/// Decodes logged entries and checks every transaction signature, on all cores.
public enum EntryDecoder {
    /// Decodes `(index, bytes)` pairs in order. Throws the first entry (lowest
    /// index) that does not decode, is stored at the wrong index, or (unless
    /// `checkingSignatures` is false) carries a bad signature for `origin`.
    public static func decode(
        _ stored: [(LeafIndex, [UInt8])], origin: String, checkingSignatures: Bool = true
    ) throws(ReplayError) -> [Entry] {
        let decoded = parallelChunks(stored, workers: SignatureVerifier.activeProcessorCount) { chunk in
            let entries = chunk.map { index, bytes -> Swift.Result<Entry, ReplayError> in
                do throws(MalformedInput) {
                    let entry = try Entry(decoding: bytes)
                    guard entry.index == index else {
                        return .failure(ReplayError(index: index, "is stored at \(index) but says it is \(entry.index)"))
                    }
                    return .success(entry)
                } catch {
                    return .failure(ReplayError(index: index, "\(error)"))
                }
            }
            guard checkingSignatures else { return entries }
            // The chunk's signatures as one batch.
            let signed: [(position: Int, entry: Entry, transaction: Transaction)] = entries.enumerated().compactMap { position, result in
                guard case .success(let entry) = result, case .transaction(let transaction) = entry.payload else { return nil }
                return (position, entry, transaction)
            }
            var checked = entries
            for (item, failure) in zip(signed, Transaction.verifySignatures(of: signed.map(\.transaction), origin: origin)) {
                if let failure { checked[item.position] = .failure(ReplayError(index: item.entry.index, "\(failure)")) }
            }
            return checked
        }
        var entries: [Entry] = []
        entries.reserveCapacity(decoded.count)
        for result in decoded {
            switch result {
            case .success(let entry): entries.append(entry)
            case .failure(let error): throw error
            }
        }
        return entries
    }
}
