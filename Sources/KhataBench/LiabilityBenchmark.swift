import Dispatch
import KhataBytes
import KhataCore
import KhataLiabilities

/// `khata bench liabilities`: how long a liabilities tree over N holdings takes
/// to build, what taking the holdings costs the sequencer, and how fast a
/// holder's proof is made and checked.
public enum LiabilityBenchmark {
    public struct Report: Codable, Sendable {
        public let holders: Int
        public let leaves: UInt64
        public let cores: Int
        /// Taking the holdings view (what the sequencer pauses for).
        public let viewMicroseconds: Double
        /// Balance updates per second on the book before a view is taken, and right after
        /// (while pages are still shared, so each first write to a page copies it).
        public let updatesPerSecondUnshared: Double
        public let updatesPerSecondAfterView: Double
        public let buildSeconds: Double
        public let proofMicroseconds: Double
        public let verifyMicroseconds: Double
        public let proofBytes: Int
    }

    /// Builds a book of `holders` random balances, then measures. `cores` is
    /// reported as a condition of the run (the build uses every core there is).
    public static func run(holders: Int, cores: Int, progress: (String) -> Void) throws -> Report {
        var generator = SplitMix(seed: 42)
        var book = HoldingBook(asset: AssetCode("INR")!)
        progress("filling a book of \(holders) holdings")
        for n in 0..<holders {
            book.set(AccountID(high: 1, low: UInt64(n)), posted: Int128(1 + generator.next() % 10_000_000))
        }
        let updates = min(1_000_000, holders)
        let unshared = measure { update(&book, count: updates, generator: &generator, holders: holders) }
        var viewAndCopy: HoldingView?
        let viewSeconds = measure { viewAndCopy = book.view }
        let afterView = measure { update(&book, count: updates, generator: &generator, holders: holders) }
        guard let view = viewAndCopy else { preconditionFailure("LiabilityBenchmark: no view") }
        progress("building the tree")
        var tree: LiabilityTree?
        let saltKey = LiabilityHashing.saltKey(ledgerSeed: Array(repeating: 7, count: 32))
        let buildSeconds = try measure { tree = try LiabilityTree.build(holdings: view, asOf: 1, saltKey: saltKey) }
        guard let tree else { preconditionFailure("LiabilityBenchmark: no tree") }
        progress("making and checking proofs")
        let samples = 10_000
        let accounts = (0..<samples).map { _ in AccountID(high: 1, low: generator.next() % UInt64(holders)) }
        var proofs: [LiabilityProof] = []
        proofs.reserveCapacity(samples)
        let proofSeconds = measure { for account in accounts { proofs.append(tree.proof(for: account)!) } }
        let commitment = tree.commitment
        let verifySeconds = try measure { for proof in proofs { try proof.verify(against: commitment) } }
        return Report(
            holders: holders, leaves: tree.leafCount, cores: cores, viewMicroseconds: viewSeconds * 1e6,
            updatesPerSecondUnshared: Double(updates) / unshared, updatesPerSecondAfterView: Double(updates) / afterView,
            buildSeconds: buildSeconds, proofMicroseconds: proofSeconds / Double(samples) * 1e6,
            verifyMicroseconds: verifySeconds / Double(samples) * 1e6, proofBytes: 96 + proofs[0].siblings.count * 40)
    }

    private static func update(_ book: inout HoldingBook, count: Int, generator: inout SplitMix, holders: Int) {
        for _ in 0..<count {
            book.set(AccountID(high: 1, low: generator.next() % UInt64(holders)), posted: Int128(1 + generator.next() % 10_000_000))
        }
    }

    /// Seconds `body` took.
    private static func measure(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
