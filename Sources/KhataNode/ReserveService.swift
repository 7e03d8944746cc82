import Foundation
import KhataAPI
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLiabilities
import KhataVerify
import Logging
import ServiceLifecycle

/// Watches the currency's backing and commits its liabilities.
///
/// - Every second it evaluates the reserves at the node's clock (staleness
///   depends on time, not only on entries), sets the metrics, and keeps the
///   readings that changed for `GET /v1/reserves/history` (the chart).
/// - Once at start and then every `commitInterval` (on its own schedule: no
///   request from outside can make it build a tree),
///   it builds the liabilities tree and logs its commitment: it takes the
///   holdings from the sequencer between two batches (a copy of page
///   references, `HoldingBook`), builds the tree on other threads while the
///   sequencer goes on, then submits a `commit_liabilities` transaction signed
///   by the ledger key through the ordinary write path. The state machine checks
///   the total against the supply at the tree's size. The tree is kept in memory
///   to serve holders' proofs until the next one is committed.
public final class ReserveService: Service, @unchecked Sendable {
    private let sequencer: Sequencer
    private let origin: String
    private let ledgerKey: SigningKey?
    private let saltKey: [UInt8]
    private let commitInterval: Duration?
    private let metrics: NodeMetrics
    private let logger: Logger
    private let clock: @Sendable () -> Timestamp
    private let lock = NSLock()
    private var latest: (tree: LiabilityTree, index: LeafIndex)?
    private let coverage: CoverageHistory

    /// `ledgerKey` nil: the node cannot sign, so it watches but commits nothing.
    /// `commitInterval` nil: one commitment, at start.
    /// `historyPath`: where coverage readings are kept across restarts.
    public init(
        sequencer: Sequencer, origin: String, ledgerKey: SigningKey?, commitInterval: Duration?, metrics: NodeMetrics, logger: Logger,
        clock: @escaping @Sendable () -> Timestamp, historyPath: String? = nil
    ) {
        self.coverage = CoverageHistory(path: historyPath)
        self.sequencer = sequencer
        self.origin = origin
        self.ledgerKey = ledgerKey
        self.saltKey = LiabilityHashing.saltKey(ledgerSeed: ledgerKey?.seed ?? [])
        self.commitInterval = commitInterval
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
    }

    // MARK: What the API reads

    /// The tree of the latest commitment this node made, and that commitment's entry.
    public var latestTree: (tree: LiabilityTree, index: LeafIndex)? { lock.withLock { latest } }

    /// Whether this node has the ledger key and so commits liabilities.
    public var canSign: Bool { ledgerKey != nil }

    /// The coverage readings (each a change from the one before, or a minute
    /// later), kept across restarts when the service has a history file.
    public var history: [CoverageSample] { coverage.all }

    // MARK: Service

    public func run() async throws {
        var nextCommit = ContinuousClock.now
        var first = true
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            sample()
            let due = first || (commitInterval.map { _ in ContinuousClock.now >= nextCommit } ?? false)
            first = false
            if due && ledgerKey != nil {
                await commitOnce()
                if let commitInterval { nextCommit = ContinuousClock.now + commitInterval }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Evaluates the reserves now and records the reading if it changed.
    func sample() {
        let now = clock()
        guard let evaluation = sequencer.read({ $0.state.reserveStatus(at: now) }) else { return }
        metrics.record(evaluation)
        coverage.record(CoverageSample(evaluation))
    }

    /// Builds one tree and logs its commitment.
    func commitOnce() async {
        do {
            guard let key = ledgerKey,
                let (view, asOf) = try await sequencer.perform({ ledger in ledger.state.liabilityView })
            else { return }
            let started = ContinuousClock.now
            let logger = self.logger
            let saltKey = self.saltKey
            // A stopping node does not wait for a tree it would not commit.
            let tree = try await cancelWhenGracefulShutdown {
                try await onOwnThread { try LiabilityTree.build(holdings: view, asOf: asOf, saltKey: saltKey) }
            }
            let built = started.duration(to: .now)
            let transaction = try Transaction(id: .random(), operations: [.commitLiabilities(tree.commitment)])
                .signed(by: [key], origin: origin)
            let verified = try SignatureVerifier.verify([transaction], origin: origin)[0].get()
            let result = try await sequencer.submit([verified])[0]
            guard let receipt = result.receipt, receipt.outcome == .committed else {
                logger.error("liabilities commitment refused", metadata: ["result": "\(result)", "as_of": "\(asOf)"])
                return
            }
            lock.withLock { latest = (tree, receipt.index) }
            metrics.recordLiabilities(
                index: receipt.index.value, buildSeconds: Double(built.components.seconds) + Double(built.components.attoseconds) / 1e18)
            logger.info(
                "liabilities committed",
                metadata: [
                    "index": "\(receipt.index)", "as_of": "\(asOf)", "holders": "\(tree.holderCount)", "leaves": "\(tree.leafCount)",
                    "total": "\(tree.total)", "build_seconds": "\(built)",
                ])
        } catch {
            logger.error("liabilities commitment failed", metadata: ["error": "\(error)"])
        }
    }
}
