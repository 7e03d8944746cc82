import Foundation
import KhataAPI
import KhataCore
import KhataEd25519
import KhataEngine
import KhataVerify

/// The node's metrics, served at `/metrics` in the Prometheus text format
/// (version 0.0.4), written by hand to keep the dependency list short.
public final class NodeMetrics: @unchecked Sendable {
    public final class Gauge: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Double = 0
        func set(_ new: Double) { lock.withLock { value = new } }
        var current: Double { lock.withLock { value } }
    }

    public final class Histogram: @unchecked Sendable {
        let bounds: [Double]
        private let lock = NSLock()
        private var counts: [UInt64]
        private var sum: Double = 0
        private var count: UInt64 = 0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }

        func observe(_ value: Double) {
            lock.withLock {
                for (i, bound) in bounds.enumerated() where value <= bound { counts[i] += 1 }
                sum += value
                count += 1
            }
        }

        func render(_ name: String) -> String {
            lock.withLock {
                var text = ""
                for (i, bound) in bounds.enumerated() { text += "\(name)_bucket{le=\"\(bound)\"} \(counts[i])\n" }
                text += "\(name)_bucket{le=\"+Inf\"} \(count)\n\(name)_sum \(sum)\n\(name)_count \(count)\n"
                return text
            }
        }
    }

    private let lock = NSLock()
    private var committed: UInt64 = 0
    private var rejected: UInt64 = 0
    private var unauthorized: UInt64 = 0
    private var retries: UInt64 = 0
    private var batches: UInt64 = 0
    private var refused: [String: UInt64] = [:]
    let queueDepth = Gauge()
    let treeSize = Gauge()
    let checkpointSize = Gauge()
    /// 1 while the currency is undercovered or its reserve data is stale (mints refused).
    let coverageAlarm = Gauge()
    let coverageBasisPoints = Gauge()
    let requiredCoverageBasisPoints = Gauge()
    let reserveFresh = Gauge()
    let currencySupply = Gauge()
    let reserveValue = Gauge()
    let liabilitiesIndex = Gauge()
    let liabilitiesBuildSeconds = Gauge()
    let snapshotSeconds = Gauge()
    /// Frames in the journal's write-ahead log at the last background checkpoint.
    let walFrames = Gauge()
    /// Entries a fast start has yet to re-read (`PrefixCheckService`); 0 once checked.
    let uncheckedEntries = Gauge()
    private var reservesKnown = false
    let commitSeconds = Histogram(bounds: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1])

    public init() {}

    func recordCommit(_ results: [SubmissionResult], size: UInt64) {
        lock.withLock {
            batches += 1
            for result in results {
                guard let receipt = result.receipt else {
                    unauthorized += 1
                    continue
                }
                if receipt.isRetry {
                    retries += 1
                } else if receipt.outcome.isCommitted {
                    committed += 1
                } else {
                    rejected += 1
                }
            }
        }
        treeSize.set(Double(size))
    }

    /// Sets the reserve gauges from an evaluation at the node's clock.
    func record(_ evaluation: ReserveEvaluation) {
        lock.withLock { reservesKnown = true }
        coverageAlarm.set(evaluation.mintRejection == nil ? 0 : 1)
        coverageBasisPoints.set(evaluation.coverageBasisPoints.map { Double($0) } ?? .infinity)
        requiredCoverageBasisPoints.set(Double(evaluation.requiredCoverageBasisPoints))
        reserveFresh.set(evaluation.isFresh ? 1 : 0)
        currencySupply.set(Double(evaluation.supply))
        reserveValue.set(Double(evaluation.reserveValue))
    }

    /// Counts a request refused before sequencing, by problem code.
    func recordRefusal(_ code: String) { lock.withLock { refused[code, default: 0] += 1 } }

    public func render() -> String {
        var text = lock.withLock {
            var text = """
                # HELP khata_transactions_total Transactions sequenced, by outcome; retries answered from the log; refused: not logged, their signers not enough.
                # TYPE khata_transactions_total counter
                khata_transactions_total{outcome="committed"} \(committed)
                khata_transactions_total{outcome="rejected"} \(rejected)
                khata_transactions_total{outcome="retry"} \(retries)
                khata_transactions_total{outcome="refused"} \(unauthorized)
                # HELP khata_group_commits_total Group commits (durable journal writes).
                # TYPE khata_group_commits_total counter
                khata_group_commits_total \(batches)
                # HELP khata_requests_refused_total Requests refused before sequencing, by problem code.
                # TYPE khata_requests_refused_total counter

                """
            for (code, count) in refused.sorted(by: { $0.key < $1.key }) { text += "khata_requests_refused_total{code=\"\(code)\"} \(count)\n" }
            return text
        }
        text += """
            # HELP khata_queue_depth Transactions accepted and waiting for the sequencer.
            # TYPE khata_queue_depth gauge
            khata_queue_depth \(queueDepth.current)
            # HELP khata_tree_size Entries in the log.
            # TYPE khata_tree_size gauge
            khata_tree_size \(treeSize.current)
            # HELP khata_checkpoint_size Entries covered by the latest published checkpoint.
            # TYPE khata_checkpoint_size gauge
            khata_checkpoint_size \(checkpointSize.current)
            # HELP khata_commit_seconds Time to apply and durably commit one group.
            # TYPE khata_commit_seconds histogram

            """
        text += commitSeconds.render("khata_commit_seconds")
        text += """
            # HELP khata_snapshot_seconds Time to take the latest state snapshot (in the background, beside the sequencer, unless the journal cannot).
            # TYPE khata_snapshot_seconds gauge
            khata_snapshot_seconds \(snapshotSeconds.current)
            # HELP khata_wal_frames Pages in the journal's write-ahead log at the last background checkpoint.
            # TYPE khata_wal_frames gauge
            khata_wal_frames \(walFrames.current)
            # HELP khata_journal_unchecked_entries Entries a fast start has yet to re-read in the background; no checkpoint is signed until 0.
            # TYPE khata_journal_unchecked_entries gauge
            khata_journal_unchecked_entries \(uncheckedEntries.current)

            """
        text += renderSignatures(Ed25519Verifier.shared.statistics)
        if lock.withLock({ reservesKnown }) { text += renderReserves() }
        text += """
            # HELP process_cpu_seconds_total User and system CPU time spent by the node, in seconds.
            # TYPE process_cpu_seconds_total counter
            process_cpu_seconds_total \(processCPUSeconds())

            """
        return text
    }

    /// The process's Ed25519 verifier: how many signatures took the
    /// precomputed-table path, and the tables it holds (83 KiB each).
    private func renderSignatures(_ statistics: Ed25519Verifier.Statistics) -> String {
        """
        # HELP khata_signature_verifications_total Ed25519 verifications, by path: a signer's precomputed table, or BoringSSL.
        # TYPE khata_signature_verifications_total counter
        khata_signature_verifications_total{path="table"} \(statistics.tableVerifications)
        khata_signature_verifications_total{path="boringssl"} \(statistics.fallbackVerifications)
        # HELP khata_signer_tables Signers with a precomputed verification table (83 KiB each).
        # TYPE khata_signer_tables gauge
        khata_signer_tables \(statistics.tablesHeld)
        # HELP khata_signer_tables_evicted_total Tables dropped to make room for another signer's.
        # TYPE khata_signer_tables_evicted_total counter
        khata_signer_tables_evicted_total \(statistics.tablesEvicted)
        # HELP khata_signer_tables_deferred_total Table builds a signer had earned but the build rate (128/s) put off.
        # TYPE khata_signer_tables_deferred_total counter
        khata_signer_tables_deferred_total \(statistics.buildsDeferred)

        """
    }

    private func renderReserves() -> String {
        func value(_ gauge: Gauge) -> String { gauge.current.isInfinite ? "+Inf" : "\(gauge.current)" }
        return """
            # HELP khata_reserve_coverage_basis_points Haircut reserve value over currency in circulation, in basis points (+Inf when none circulates).
            # TYPE khata_reserve_coverage_basis_points gauge
            khata_reserve_coverage_basis_points \(value(coverageBasisPoints))
            # HELP khata_reserve_required_coverage_basis_points The coverage the monetary policy requires.
            # TYPE khata_reserve_required_coverage_basis_points gauge
            khata_reserve_required_coverage_basis_points \(value(requiredCoverageBasisPoints))
            # HELP khata_reserve_alarm 1 while mints are refused: coverage below the requirement or reserve data stale.
            # TYPE khata_reserve_alarm gauge
            khata_reserve_alarm \(value(coverageAlarm))
            # HELP khata_reserve_fresh 1 while every attestation and price relied on is fresh.
            # TYPE khata_reserve_fresh gauge
            khata_reserve_fresh \(value(reserveFresh))
            # HELP khata_currency_supply_units Currency in circulation, minor units.
            # TYPE khata_currency_supply_units gauge
            khata_currency_supply_units \(value(currencySupply))
            # HELP khata_reserve_value_units Haircut reserve value, currency minor units.
            # TYPE khata_reserve_value_units gauge
            khata_reserve_value_units \(value(reserveValue))
            # HELP khata_liabilities_commitment_index The log index of the latest liabilities commitment this node made.
            # TYPE khata_liabilities_commitment_index gauge
            khata_liabilities_commitment_index \(value(liabilitiesIndex))
            # HELP khata_liabilities_build_seconds Time to build the latest liabilities tree.
            # TYPE khata_liabilities_build_seconds gauge
            khata_liabilities_build_seconds \(value(liabilitiesBuildSeconds))

            """
    }
}
