import Dispatch
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

    /// Decodes canonical encodings and checks their signatures, in parallel.
    public static func decodeAndVerify(
        _ encodings: [[UInt8]], origin: String, workers: Int = activeProcessorCount
    ) -> [Result<VerifiedTransaction, MalformedInput>] {
        parallelChunks(encodings, workers: workers) { chunk in
            let decoded = chunk.map { bytes in Result { () throws(MalformedInput) in try Transaction(decoding: bytes) } }
            let transactions = decoded.compactMap { try? $0.get() }
            var failures = Transaction.verifySignatures(of: transactions, origin: origin)[...]
            return decoded.map { result in
                result.flatMap { transaction in
                    let failure = failures.removeFirst()
                    return failure.map { .failure($0) } ?? .success(VerifiedTransaction(transaction))
                }
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

/// Maps `input` through `transform` on up to `workers` threads, in contiguous
/// chunks, keeping the order of the input.
func parallelMap<Input: Sendable, Output: Sendable>(
    _ input: [Input], workers: Int, _ transform: @Sendable (Input) -> Output
) -> [Output] {
    parallelChunks(input, workers: workers) { $0.map(transform) }
}

/// Maps `input` on up to `workers` threads, a contiguous chunk per thread,
/// `transform` returning one output per input of its chunk, in order. For work
/// that is cheaper done for a chunk at once (signature batches).
func parallelChunks<Input: Sendable, Output: Sendable>(
    _ input: [Input], workers: Int, _ transform: @Sendable (ArraySlice<Input>) -> [Output]
) -> [Output] {
    let chunks = max(1, min(workers, input.count / 8))
    guard chunks > 1 else { return transform(input[...]) }
    let results = ResultSlots<[Output]>(count: chunks)
    let chunkSize = (input.count + chunks - 1) / chunks
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let start = min(input.count, chunk * chunkSize)
        let slice = input[start..<min(input.count, start + chunkSize)]
        let output = transform(slice)
        precondition(output.count == slice.count, "parallelChunks: a chunk of \(slice.count) gave \(output.count) outputs")
        results.set(chunk, output)
    }
    return results.values().flatMap { $0 }
}

/// Result slots that parallel workers fill, each slot written by exactly one
/// worker. Raw memory rather than an array, so that concurrent writes to distinct
/// slots do not trip Swift's exclusivity checks on a shared property.
private final class ResultSlots<Value>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Value?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func set(_ index: Int, _ value: Value) { slots[index] = value }
    func values() -> [Value] { (0..<count).map { slots[$0]! } }
}
