import Dispatch
import Foundation
import KhataCore

/// Drives a node over HTTP with concurrent clients and measures
/// submit-to-durable-receipt latency (`khata bench load`).
public enum LoadGenerator {
    public struct Configuration: Sendable {
        public var clients = 16
        public var duration: TimeInterval = 10
        /// Transfers per transaction: 1 (each transaction signed, sent as JSON) or
        /// more (sent as binary batches of `batchSize` transactions).
        public var transfersPerTransaction = 1
        public var batchSize = 1
        /// Offered transactions per second over all clients; 0 means as fast as answered.
        public var rate: Double = 0
        public init() {}
    }

    public struct Report: Codable, Sendable {
        public let clients: Int
        public let seconds: Double
        public let transactions: Int
        public let transfers: Int
        public let errors: Int
        public let transactionsPerSecond: Double
        public let transfersPerSecond: Double
        public let p50Milliseconds: Double
        public let p99Milliseconds: Double
        public let p999Milliseconds: Double

        enum CodingKeys: String, CodingKey {
            case clients, seconds, transactions, transfers, errors
            case transactionsPerSecond = "transactions_per_second"
            case transfersPerSecond = "transfers_per_second"
            case p50Milliseconds = "p50_ms"
            case p99Milliseconds = "p99_ms"
            case p999Milliseconds = "p99_9_ms"
        }
    }

    /// Payers with their keys; payments go to `payees`. Amounts are 1 minor unit.
    public struct Parties: Sendable {
        public let asset: AssetCode
        public let payers: [(AccountID, SigningKey)]
        public let payees: [AccountID]
        public init(asset: AssetCode, payers: [(AccountID, SigningKey)], payees: [AccountID]) {
            self.asset = asset
            self.payers = payers
            self.payees = payees
        }
    }

    public static func run(
        _ configuration: Configuration, client: KhataClient, parties: Parties, progress: @escaping @Sendable (String) -> Void
    ) -> Report {
        let recorder = Recorder()
        let deadline = Date().addingTimeInterval(configuration.duration)
        let started = DispatchTime.now().uptimeNanoseconds
        let perClientInterval = configuration.rate > 0 ? Double(configuration.clients * configuration.batchSize) / configuration.rate : 0
        let group = DispatchGroup()
        for worker in 0..<configuration.clients {
            group.enter()
            Thread {
                defer { group.leave() }
                var n: UInt64 = 0
                var next = DispatchTime.now().uptimeNanoseconds
                while Date() < deadline {
                    let batch = (0..<configuration.batchSize).map { _ -> Transaction in
                        n += 1
                        return makeTransaction(worker: worker, n: n, configuration: configuration, client: client, parties: parties)
                    }
                    if perClientInterval > 0 {
                        next += UInt64(perClientInterval * 1e9)
                        let now = DispatchTime.now().uptimeNanoseconds
                        if next > now { Thread.sleep(forTimeInterval: Double(next - now) / 1e9) }
                    }
                    let sent = DispatchTime.now().uptimeNanoseconds
                    do {
                        let receipts = try client.submit(batch, binary: configuration.batchSize > 1)
                        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - sent) / 1e6
                        recorder.record(latency: elapsed, transactions: receipts.count)
                    } catch {
                        recorder.recordError()
                    }
                }
            }.start()
        }
        var lastShown = Date()
        while group.wait(timeout: .now() + 1) == .timedOut {
            if Date().timeIntervalSince(lastShown) >= 1 {
                lastShown = Date()
                progress("\(recorder.transactions) transactions, \(recorder.errors) errors")
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let latencies = recorder.latencies.sorted()
        let percentile = { (p: Double) -> Double in latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        let transactions = recorder.transactions
        return Report(
            clients: configuration.clients, seconds: seconds, transactions: transactions,
            transfers: transactions * configuration.transfersPerTransaction, errors: recorder.errors,
            transactionsPerSecond: Double(transactions) / seconds,
            transfersPerSecond: Double(transactions * configuration.transfersPerTransaction) / seconds,
            p50Milliseconds: percentile(0.5), p99Milliseconds: percentile(0.99), p999Milliseconds: percentile(0.999))
    }

    public static func makeTransaction(worker: Int, n: UInt64, configuration: Configuration, client: KhataClient, parties: Parties) -> Transaction {
        let (payer, key) = parties.payers[(worker + Int(n)) % parties.payers.count]
        let operations = (0..<configuration.transfersPerTransaction).map { k in
            LedgerOperation.transfer(
                Transfer(
                    asset: parties.asset, debit: payer, credit: parties.payees[(Int(n) + k) % parties.payees.count], amount: Amount(1)))
        }
        // Ids are random so that repeated runs against one ledger never collide.
        return try! Transaction(id: .random(), operations: operations).signed(by: [key], origin: client.origin)
    }

    private final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var latencies: [Double] = []
        private var count = 0
        private var failures = 0
        var transactions: Int { lock.withLock { count } }
        var errors: Int { lock.withLock { failures } }

        func record(latency: Double, transactions: Int) {
            lock.withLock {
                latencies.append(latency)
                count += transactions
            }
        }

        func recordError() { lock.withLock { failures += 1 } }
    }
}
