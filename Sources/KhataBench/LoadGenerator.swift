import Dispatch
import Foundation
import Histogram
import KhataBytes
import KhataClient
import KhataCore
import KhataEd25519
import KhataEngine
import KhataVerify

/// Drives a node over HTTP with concurrent clients and measures
/// submit-to-durable-receipt latency (`khata bench load`).
public enum LoadGenerator {
    public struct Configuration: Sendable {
        public var clients = 16
        public var duration: TimeInterval = 10
        /// Seconds of the same load before `duration` starts, not measured: a fresh
        /// process, fresh connections and a fresh journal are slower at first.
        public var warmup: TimeInterval = 0
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
        /// Seconds of load before the measured `seconds`, not counted.
        public var warmupSeconds: Double = 0
        /// CPU the generator itself used during the run, in cores (on a shared
        /// machine, what it took from the node).
        public var generatorCores: Double = 0
        /// CPU the node used during the run, in cores, from its
        /// `process_cpu_seconds_total`; nil if it does not export one.
        public var nodeCores: Double?

        enum CodingKeys: String, CodingKey {
            case clients, seconds, transactions, transfers, errors
            case transactionsPerSecond = "transactions_per_second"
            case transfersPerSecond = "transfers_per_second"
            case p50Milliseconds = "p50_ms"
            case p99Milliseconds = "p99_ms"
            case p999Milliseconds = "p99_9_ms"
            case warmupSeconds = "warmup_s"
            case generatorCores = "generator_cores"
            case nodeCores = "node_cores"
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

    /// A failure to open the payers `openPayers` was asked for.
    public struct SetupFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Opens `count` accounts, each controlled by a fresh key of its own and
    /// funded with `amount` of `asset` by `funder` (whose key signs too), and
    /// returns them as payers: a load whose signers are many and each signs
    /// rarely (every transfer a different key, in turn). One transaction per
    /// account (create, then fund), submitted in binary batches of up to 500;
    /// any receipt but committed stops it with the node's answer.
    public static func openPayers(
        count: Int, funder: (AccountID, SigningKey), asset: AssetCode, amount: Amount, client: KhataClient,
        progress: (Int) -> Void = { _ in }
    ) throws -> [(AccountID, SigningKey)] {
        precondition(count >= 1, "LoadGenerator.openPayers: at least one payer")
        var payers: [(AccountID, SigningKey)] = []
        payers.reserveCapacity(count)
        while payers.count < count {
            let batch = (payers.count..<min(count, payers.count + 500)).map { _ in (AccountID.random(), SigningKey()) }
            let transactions = try batch.map { account, key in
                try Transaction(
                    id: .random(),
                    operations: [
                        .createAccount(CreateAccount(account: account, controllers: KeySet(threshold: 1, keys: [key.publicKey]))),
                        .transfer(Transfer(asset: asset, debit: funder.0, credit: account, amount: amount)),
                    ]
                ).signed(by: [key, funder.1], origin: client.origin)
            }
            for receipt in try client.submit(transactions, binary: true) where receipt.outcome != .committed {
                throw SetupFailure(description: "opening payer accounts: the node answered \(receipt.outcome) for transaction \(receipt.transaction)")
            }
            payers += batch
            progress(payers.count)
        }
        return payers
    }

    /// Runs the load. Each client holds one keep-alive connection (a raw socket,
    /// so the generator's own cost stays small). With a `rate`, every client sends
    /// on a fixed schedule of pre-signed requests (open loop), all driven by one
    /// polling thread (`OpenLoopDriver`), and latency counts from the scheduled
    /// send time, so a slow answer cannot hide the queueing it causes; the requests
    /// of all clients together are spread evenly (one every 1/rate seconds), not
    /// sent in bursts; without a rate,
    /// each client has a thread and sends as soon as it is answered.
    public static func run(
        _ configuration: Configuration, client: KhataClient, parties: Parties, progress: @escaping @Sendable (String) -> Void
    ) -> Report {
        let recorder = Recorder()
        guard let (host, port) = hostAndPort(client.baseURL) else {
            progress("\(client.baseURL) is not an http://host:port URL")
            return recorder.report(configuration, seconds: 0)
        }
        let requestRate = configuration.rate / Double(configuration.batchSize)
        // The schedule starts after the bodies are signed; its length is known now.
        let warmup = UInt64(max(0, configuration.warmup) * 1e9)
        let length = warmup + UInt64(configuration.duration * 1e9)
        let requestsPerClient = { (worker: Int) in
            OpenLoopSchedule(start: 0, end: length, connections: configuration.clients, rate: requestRate).requests(connection: worker)
        }
        let presigned: [[[UInt8]]] =
            requestRate > 0
            ? (0..<configuration.clients).map { worker in
                (0..<requestsPerClient(worker)).map { k in
                    body(worker: worker, first: UInt64(k * configuration.batchSize), configuration, client, parties)
                }
            } : []
        let group = DispatchGroup()
        let started = DispatchTime.now().uptimeNanoseconds
        let end = started + length
        // Only what is sent (scheduled, in the open loop) from here on is measured.
        let measuredFrom = started + warmup
        let type = configuration.batchSize > 1 ? "application/octet-stream" : "application/json"
        if requestRate > 0 {
            // Open loop: one thread polls every connection.
            group.enter()
            Thread {
                defer { group.leave() }
                var connections: [RawHTTPConnection] = []
                for _ in 0..<configuration.clients {
                    guard let connection = try? RawHTTPConnection(host: host, port: port) else { return recorder.recordError() }
                    connections.append(connection)
                }
                let driver = OpenLoopDriver(
                    connections: connections, bodies: presigned,
                    schedule: OpenLoopSchedule(start: started, end: end, connections: configuration.clients, rate: requestRate),
                    contentType: type, transactionsPerRequest: configuration.batchSize)
                driver.run { latency, transactions, scheduled in
                    guard let latency else { return recorder.recordError() }
                    if scheduled >= measuredFrom { recorder.record(latency: latency, transactions: transactions) }
                }
            }.start()
        } else {
            // Closed loop: each client sends as soon as it is answered.
            for worker in 0..<configuration.clients {
                group.enter()
                Thread {
                    defer { group.leave() }
                    guard let connection = try? RawHTTPConnection(host: host, port: port) else { return recorder.recordError() }
                    var k = 0
                    while DispatchTime.now().uptimeNanoseconds < end {
                        let sent = DispatchTime.now().uptimeNanoseconds
                        let request = body(worker: worker, first: UInt64(k * configuration.batchSize), configuration, client, parties)
                        k += 1
                        do {
                            guard try connection.post("/v1/transactions", contentType: type, body: request) == 200 else {
                                recorder.recordError()
                                continue
                            }
                            if sent >= measuredFrom {
                                recorder.record(
                                    latency: Double(DispatchTime.now().uptimeNanoseconds - sent) / 1e6, transactions: configuration.batchSize)
                            }
                        } catch {
                            recorder.recordError()
                            return
                        }
                    }
                }.start()
            }
        }
        while DispatchTime.now().uptimeNanoseconds < measuredFrom {
            progress("warming up, \(recorder.errors) errors")
            if group.wait(
                timeout: .now() + .nanoseconds(Int(min(1_000_000_000, measuredFrom - min(measuredFrom, DispatchTime.now().uptimeNanoseconds)))))
                == .success
            {
                break
            }
        }
        let nodeCPUBefore = nodeCPUSeconds(client)
        let cpuBefore = processCPUSeconds()
        let measuring = DispatchTime.now().uptimeNanoseconds
        while group.wait(timeout: .now() + 1) == .timedOut {
            progress("\(recorder.transactions) transactions, \(recorder.errors) errors")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - measuring) / 1e9
        var report = recorder.report(configuration, seconds: seconds)
        report.warmupSeconds = Double(warmup) / 1e9
        report.generatorCores = (processCPUSeconds() - cpuBefore) / max(seconds, 1e-9)
        if let before = nodeCPUBefore, let after = nodeCPUSeconds(client) { report.nodeCores = (after - before) / max(seconds, 1e-9) }
        return report
    }

    /// The node's `process_cpu_seconds_total`, if it serves one.
    static func nodeCPUSeconds(_ client: KhataClient) -> Double? {
        guard let metrics = try? client.get("/metrics") else { return nil }
        let prefix = "process_cpu_seconds_total "
        return String(decoding: metrics.body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap {
            Double($0.dropFirst(prefix.count))
        }
    }

    /// One request body: a JSON transaction, or a binary batch of `batchSize`.
    static func body(worker: Int, first: UInt64, _ configuration: Configuration, _ client: KhataClient, _ parties: Parties) -> [UInt8] {
        let batch = (0..<UInt64(configuration.batchSize)).map {
            makeTransaction(worker: worker, n: first + $0, configuration: configuration, client: client, parties: parties)
        }
        return configuration.batchSize > 1 ? TransactionBatch.encode(batch) : Array((try? JSONEncoder().encode(batch[0])) ?? Data())
    }

    static func hostAndPort(_ url: String) -> (String, UInt16)? {
        guard let parsed = URL(string: url), parsed.scheme == "http", let host = parsed.host else { return nil }
        return (host, UInt16(parsed.port ?? 80))
    }

    public static func makeTransaction(worker: Int, n: UInt64, configuration: Configuration, client: KhataClient, parties: Parties) -> Transaction {
        // Payers take turns across all clients (request k of client w is the
        // (k·clients + w)-th sent), so with many payers each signs once per
        // `payers.count` requests, spread out rather than in bursts.
        let turn = (n &* UInt64(max(1, configuration.clients)) &+ UInt64(worker)) % UInt64(parties.payers.count)
        let (payer, key) = parties.payers[Int(turn)]
        let operations = (0..<configuration.transfersPerTransaction).map { k in
            LedgerOperation.transfer(
                Transfer(
                    asset: parties.asset, debit: payer, credit: parties.payees[(Int(n) + k) % parties.payees.count], amount: Amount(1)))
        }
        // Ids are random so that repeated runs against one ledger never collide.
        return try! Transaction(id: .random(), operations: operations).signed(by: [key], origin: client.origin)
    }

    /// Latencies in an HdrHistogram (microseconds, three significant digits, up
    /// to a minute): constant memory however long the run, and percentiles
    /// without sorting every sample.
    private final class Recorder: @unchecked Sendable {
        static let highestMicroseconds: UInt64 = 60_000_000
        private let lock = NSLock()
        private var latencies = Histogram<UInt64>(highestTrackableValue: Recorder.highestMicroseconds)
        private var count = 0
        private var failures = 0
        var transactions: Int { lock.withLock { count } }
        var errors: Int { lock.withLock { failures } }

        func record(latency: Double, transactions: Int) {
            // Clamped as a Double first: converting a Double outside UInt64's range would trap.
            let microseconds = UInt64(min(max(0, latency * 1_000), Double(Recorder.highestMicroseconds)).rounded())
            lock.withLock {
                _ = latencies.record(microseconds)
                count += transactions
            }
        }

        func recordError() { lock.withLock { failures += 1 } }

        func report(_ configuration: Configuration, seconds: Double) -> Report {
            let latencies = lock.withLock { self.latencies }
            let percentile = { (p: Double) -> Double in
                latencies.totalCount == 0 ? 0 : Double(latencies.valueAtPercentile(p * 100)) / 1_000
            }
            let transactions = self.transactions
            let elapsed = max(seconds, 1e-9)
            return Report(
                clients: configuration.clients, seconds: seconds, transactions: transactions,
                transfers: transactions * configuration.transfersPerTransaction, errors: errors,
                transactionsPerSecond: Double(transactions) / elapsed,
                transfersPerSecond: Double(transactions * configuration.transfersPerTransaction) / elapsed,
                p50Milliseconds: percentile(0.5), p99Milliseconds: percentile(0.99), p999Milliseconds: percentile(0.999))
        }
    }
}
