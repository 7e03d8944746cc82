import Foundation
import KhataAPI
import KhataCore
import KhataEd25519
import KhataEngine
import KhataVerify
import Prometheus

/// The node's metrics, served at `/metrics` in the Prometheus text format by
/// swift-prometheus. Each node has its own `registry`. The HTTP server's
/// metrics (Hummingbird's `MetricsMiddleware`: requests, durations and errors
/// by route, active requests) go through swift-metrics to whatever factory the
/// process bootstrapped: `khata node` and `khata dev` bootstrap a
/// `PrometheusMetricsFactory` over a process-wide registry (`serverRegistry`),
/// which `/metrics` serves after the node's own. Khata's own metrics are made on
/// the registry directly rather than through swift-metrics' API, which has no
/// help texts: every metric here keeps its `# HELP` line.
public final class NodeMetrics: @unchecked Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The process's swift-metrics registry, if it bootstrapped one.
    let serverRegistry: PrometheusCollectorRegistry?
    private let lock = NSLock()

    private let committed: Counter
    private let rejected: Counter
    private let retries: Counter
    private let unauthorized: Counter
    private let batches: Counter
    let queueDepth: Gauge
    let treeSize: Gauge
    let checkpointSize: Gauge
    let snapshotSeconds: Gauge
    /// Frames in the journal's write-ahead log at the last background checkpoint.
    let walFrames: Gauge
    /// Entries a fast start has yet to re-read (`DeferredCheckService`); 0 once checked.
    let uncheckedEntries: Gauge
    let commitSeconds: ValueHistogram
    private let tableVerifications: Counter
    private let fallbackVerifications: Counter
    private let tablesHeld: Gauge
    private let tablesEvicted: Counter
    private let buildsDeferred: Counter
    private let cpuSeconds: Counter
    /// What the counters fed from absolute totals (the verifier's statistics,
    /// the process's CPU time) have been given so far.
    private var seen = (table: 0, fallback: 0, evicted: 0, deferred: 0, cpu: 0.0)
    /// Made on the first reserve reading: a ledger without a monetary policy shows none.
    private var reserves: ReserveGauges?

    struct ReserveGauges {
        let coverageBasisPoints: Gauge
        let requiredCoverageBasisPoints: Gauge
        /// 1 while the currency is undercovered or its reserve data is stale (mints refused).
        let alarm: Gauge
        let fresh: Gauge
        let currencySupply: Gauge
        let reserveValue: Gauge
        let liabilitiesIndex: Gauge
        let liabilitiesBuildSeconds: Gauge

        init(_ registry: PrometheusCollectorRegistry) {
            coverageBasisPoints = registry.makeGauge(
                name: "khata_reserve_coverage_basis_points",
                help: "Haircut reserve value over currency in circulation, in basis points (infinite, written inf, when none circulates).")
            requiredCoverageBasisPoints = registry.makeGauge(
                name: "khata_reserve_required_coverage_basis_points", help: "The coverage the monetary policy requires.")
            alarm = registry.makeGauge(
                name: "khata_reserve_alarm", help: "1 while mints are refused: coverage below the requirement or reserve data stale.")
            fresh = registry.makeGauge(name: "khata_reserve_fresh", help: "1 while every attestation and price relied on is fresh.")
            currencySupply = registry.makeGauge(name: "khata_currency_supply_units", help: "Currency in circulation, minor units.")
            reserveValue = registry.makeGauge(name: "khata_reserve_value_units", help: "Haircut reserve value, currency minor units.")
            liabilitiesIndex = registry.makeGauge(
                name: "khata_liabilities_commitment_index", help: "The log index of the latest liabilities commitment this node made.")
            liabilitiesBuildSeconds = registry.makeGauge(
                name: "khata_liabilities_build_seconds", help: "Time to build the latest liabilities tree.")
        }
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), serverRegistry: PrometheusCollectorRegistry? = nil) {
        self.registry = registry
        self.serverRegistry = serverRegistry
        let outcomes = "Transactions sequenced, by outcome; retries answered from the log; refused: not logged, their signers not enough."
        func transactions(_ outcome: String) -> Counter {
            registry.makeCounter(name: "khata_transactions_total", labels: [("outcome", outcome)], help: outcomes)
        }
        committed = transactions("committed")
        rejected = transactions("rejected")
        retries = transactions("retry")
        unauthorized = transactions("refused")
        batches = registry.makeCounter(name: "khata_group_commits_total", help: "Group commits (durable journal writes).")
        queueDepth = registry.makeGauge(name: "khata_queue_depth", help: "Transactions accepted and waiting for the sequencer.")
        treeSize = registry.makeGauge(name: "khata_tree_size", help: "Entries in the log.")
        checkpointSize = registry.makeGauge(name: "khata_checkpoint_size", help: "Entries covered by the latest published checkpoint.")
        commitSeconds = registry.makeValueHistogram(
            name: "khata_commit_seconds", buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
            help: "Time to apply and durably commit one group.")
        snapshotSeconds = registry.makeGauge(
            name: "khata_snapshot_seconds",
            help: "Time to take the latest state snapshot (in the background, beside the sequencer, unless the journal cannot).")
        walFrames = registry.makeGauge(
            name: "khata_wal_frames", help: "Pages in the journal's write-ahead log at the last background checkpoint.")
        uncheckedEntries = registry.makeGauge(
            name: "khata_journal_unchecked_entries",
            help: "Entries a fast start has yet to re-read in the background; no checkpoint is signed until 0.")
        let verifications = "Ed25519 verifications, by path: a signer's precomputed table, or BoringSSL."
        tableVerifications = registry.makeCounter(name: "khata_signature_verifications_total", labels: [("path", "table")], help: verifications)
        fallbackVerifications = registry.makeCounter(
            name: "khata_signature_verifications_total", labels: [("path", "boringssl")], help: verifications)
        tablesHeld = registry.makeGauge(name: "khata_signer_tables", help: "Signers with a precomputed verification table (83 KiB each).")
        tablesEvicted = registry.makeCounter(
            name: "khata_signer_tables_evicted_total", help: "Tables dropped to make room for another signer's.")
        buildsDeferred = registry.makeCounter(
            name: "khata_signer_tables_deferred_total", help: "Table builds a signer had earned but the build rate (128/s) put off.")
        cpuSeconds = registry.makeCounter(
            name: "process_cpu_seconds_total", help: "User and system CPU time spent by the node, in seconds.")
    }

    func recordCommit(_ results: [SubmissionResult], size: UInt64) {
        batches.increment()
        for result in results {
            guard let receipt = result.receipt else {
                unauthorized.increment()
                continue
            }
            if receipt.isRetry {
                retries.increment()
            } else if receipt.outcome.isCommitted {
                committed.increment()
            } else {
                rejected.increment()
            }
        }
        treeSize.set(to: Double(size))
    }

    private func reserveGauges() -> ReserveGauges {
        lock.withLock {
            if let reserves { return reserves }
            let made = ReserveGauges(registry)
            reserves = made
            return made
        }
    }

    /// Sets the reserve gauges from an evaluation at the node's clock.
    func record(_ evaluation: ReserveEvaluation) {
        let gauges = reserveGauges()
        gauges.alarm.set(to: evaluation.mintRejection == nil ? 0 : 1)
        gauges.coverageBasisPoints.set(to: evaluation.coverageBasisPoints.map { Double($0) } ?? .infinity)
        gauges.requiredCoverageBasisPoints.set(to: Double(evaluation.requiredCoverageBasisPoints))
        gauges.fresh.set(to: evaluation.isFresh ? 1 : 0)
        gauges.currencySupply.set(to: Double(evaluation.supply))
        gauges.reserveValue.set(to: Double(evaluation.reserveValue))
    }

    /// The latest liabilities commitment this node made: its log index and build time.
    func recordLiabilities(index: UInt64, buildSeconds: Double) {
        let gauges = reserveGauges()
        gauges.liabilitiesIndex.set(to: Double(index))
        gauges.liabilitiesBuildSeconds.set(to: buildSeconds)
    }

    /// Counts a request refused before sequencing, by problem code.
    func recordRefusal(_ code: String) {
        registry.makeCounter(
            name: "khata_requests_refused_total", labels: [("code", code)], help: "Requests refused before sequencing, by problem code."
        ).increment()
    }

    /// The exposition, after bringing the totals read at scrape time (the
    /// process's Ed25519 verifier, its CPU time) up to date.
    public func render() -> String {
        let statistics = Ed25519Verifier.shared.statistics
        let cpu = processCPUSeconds()
        lock.withLock {
            func advance(_ counter: Counter, _ last: inout Int, to now: Int) {
                if now > last { counter.increment(by: Int64(now - last)) }
                last = max(last, now)
            }
            advance(tableVerifications, &seen.table, to: statistics.tableVerifications)
            advance(fallbackVerifications, &seen.fallback, to: statistics.fallbackVerifications)
            advance(tablesEvicted, &seen.evicted, to: statistics.tablesEvicted)
            advance(buildsDeferred, &seen.deferred, to: statistics.buildsDeferred)
            if cpu > seen.cpu { cpuSeconds.increment(by: cpu - seen.cpu) }
            seen.cpu = max(seen.cpu, cpu)
        }
        tablesHeld.set(to: Double(statistics.tablesHeld))
        return registry.emitToString() + (serverRegistry?.emitToString() ?? "")
    }
}
