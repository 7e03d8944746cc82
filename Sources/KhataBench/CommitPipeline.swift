import Foundation
import KhataBytes
import KhataCore
import KhataEngine
import KhataVerify

/// The write path as two overlapping stages: signature verification (stateless,
/// on `workers` threads) runs up to `depth` batches ahead of the sequencer, which
/// applies and group-commits one batch at a time on the calling thread.
///
/// While batch k is being applied and synced to disk, batch k+1 is being verified,
/// so the cost of a group commit's fsync hides behind signature checking.
public enum CommitPipeline {
    public struct Stats: Sendable {
        public var batches = 0
        public var transactions = 0
        /// Transactions refused before sequencing (malformed or badly signed).
        public var refused = 0
    }

    /// Runs every batch through both stages, calling `receipts` with each batch's
    /// receipts in order. Refused transactions are counted and left out.
    public static func run(
        ledger: Ledger, batches: [[Transaction]], workers: Int = SignatureVerifier.activeProcessorCount, depth: Int = 2,
        receipts: ([SubmissionResult]) -> Void = { _ in }
    ) throws(EngineError) -> Stats {
        let queue = BlockingQueue<[Result<VerifiedTransaction, MalformedInput>]>(capacity: depth)
        let origin = ledger.origin
        let verifier = Thread {
            for batch in batches { queue.put(SignatureVerifier.verify(batch, origin: origin, workers: workers)) }
        }
        verifier.stackSize = 1 << 20
        verifier.start()
        var stats = Stats()
        for _ in batches.indices {
            let results = queue.take()
            var verified: [VerifiedTransaction] = []
            verified.reserveCapacity(results.count)
            for result in results {
                switch result {
                case .success(let transaction): verified.append(transaction)
                case .failure: stats.refused += 1
                }
            }
            receipts(try ledger.submit(verified))
            stats.batches += 1
            stats.transactions += verified.count
        }
        return stats
    }
}
