import Dispatch
import KhataBytes
import KhataCore

#if canImport(Glibc)
    import Glibc
#endif

/// A transaction whose signatures were all checked against this ledger's origin.
/// Only `SignatureVerifier` makes one, so the sequencer cannot be handed an
/// unchecked transaction by mistake.
public struct VerifiedTransaction: Sendable {
    public let transaction: Transaction
    /// The canonical encoding, the payload of its log entry.
    public let encoded: [UInt8]
    public let contentDigest: Digest32

    fileprivate init(_ transaction: Transaction) {
        self.transaction = transaction
        encoded = transaction.encoded
        contentDigest = transaction.contentDigest
    }
}

/// The stateless stage of the write path: decodes, bounds and checks signatures,
/// spread over every core. Nothing here reads ledger state, so it runs in
/// parallel and ahead of the sequencer.
public enum SignatureVerifier {
    /// Checks each transaction's signatures for the ledger named `origin`, using up
    /// to `workers` threads. Costs one Ed25519 verification per signature, plus
    /// one SHA-256 of each body (the content digest), done here rather than in the
    /// sequencer.
    public static func verify(
        _ transactions: [Transaction], origin: String, workers: Int = activeProcessorCount
    ) -> [Result<VerifiedTransaction, MalformedInput>] {
        parallelChunks(transactions, workers: workers) { chunk in
            let chunk = Array(chunk)
            return zip(chunk, Transaction.verifySignatures(of: chunk, origin: origin)).map { transaction, failure in
                failure.map { .failure($0) } ?? .success(VerifiedTransaction(transaction))
            }
        }
    }

    /// The number of cores this process may use, read once: glibc answers
    /// `sysconf(_SC_NPROCESSORS_ONLN)` by opening and reading a sysfs file, which
    /// per request (it was) cost the node a few system calls on every submission.
    public static let activeProcessorCount: Int = {
        #if canImport(Glibc)
            return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
            return 2
        #endif
    }()
}
