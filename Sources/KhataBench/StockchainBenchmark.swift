import Dispatch
import Foundation
import Histogram
import KhataBytes
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLiabilities
import KhataStorage
import KhataVerify

/// `khata bench stockchain`: delivery versus payment and a dividend to many
/// holders, through the engine and its SQLite journal (docs/STOCKCHAIN.md).
///
/// 1. **DvP**: signed two-party trades (a security one way, INR the other, two
///    signatures) durably committed, beside signed single INR transfers in the
///    same run, so their ratio is measured side by side.
/// 2. **Dividend**: a ledger of `holders` accounts holding shares (built with
///    multi-operation transactions); the declaration's time; the register's
///    Merkle-sum tree built on another thread while the sequencer settles; the
///    settlement rate (1,000 holders per entry); and, while it settles, the
///    latency of single transfers arriving at a fixed rate, each batched with
///    whatever settlement chunk is next, as the node's sequencer batches what is
///    queued — against the same transfers with no dividend.
public enum StockchainBenchmark {
    public struct Configuration: Sendable {
        public var directory: String
        /// Holders of the dividend (1,000,000 by default).
        public var holders = 1_000_000
        /// DvP trades and single transfers to commit, each.
        public var trades = 48_000
        /// Single transfers per second arriving during the dividend.
        public var transferRate = 2_000
        /// Holders per settlement entry, as the node's action service settles
        /// (`ActionService.holdersPerEntry`; at most `Limits.maxSettlementAccounts`).
        public var holdersPerEntry = ActionSettlement.holdersPerEntry
        public var workers = SignatureVerifier.activeProcessorCount

        public init(directory: String) { self.directory = directory }
    }

    public struct Report: Codable, Sendable {
        public let cores: Int
        public let journal: String
        public let dvpPerSecond: Double
        public let singleTransfersPerSecond: Double
        /// `dvpPerSecond / singleTransfersPerSecond`, each the median of three
        /// alternating rounds (goal: ≥ 0.45; a trade checks two signatures).
        public let dvpToSingleRatio: Double
        public let dividendHolders: Int
        public let dividendDeclareMilliseconds: Double
        public let dividendSettleHoldersPerSecond: Double
        /// Holders each settlement entry paid.
        public let holdersPerEntry: Int
        /// The longest batch with a settlement entry took to apply and commit.
        public let settleEntryMaxMilliseconds: Double
        public let recordDateTreeSeconds: Double
        public let transferP50MillisecondsDuringDividend: Double
        public let transferP99MillisecondsDuringDividend: Double
        public let transferP99MillisecondsWithoutDividend: Double
        public let transfersDuringDividend: Int
        /// The escrow set aside = paid + returned, and every holder settled.
        public let dividendBalanced: Bool
        /// One `simulate` of a single transfer on the ledger with every holder
        /// (the copy of what it writes included), median of 21.
        public let simulationMilliseconds: Double
    }

    /// Rounds of the DvP and single-transfer measurements, alternated.
    static let rounds = 3

    public static func run(_ configuration: Configuration, progress: (String) -> Void) throws -> Report {
        let workload = Workload(holders: configuration.holders)
        progress(
            "DvP: \(configuration.trades) signed trades, and as many single transfers, group commit 8000, alternating \(rounds) rounds each")
        // Alternating rounds, each side's median: on a shared machine one run of
        // each, one after the other, gave ratios from 0.40 to 0.57.
        var dvpRates: [Double] = []
        var singleRates: [Double] = []
        for _ in 0..<rounds {
            dvpRates.append(try durableRate(workload, trades: true, count: configuration.trades, configuration: configuration))
            singleRates.append(try durableRate(workload, trades: false, count: configuration.trades, configuration: configuration))
        }
        let dvp = dvpRates.sorted()[rounds / 2]
        let single = singleRates.sorted()[rounds / 2]
        let path = "\(configuration.directory)/bench-dividend-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ledger = try LedgerDirectory(path).create(genesis: workload.genesis)
        ledger.snapshotInterval = .max
        // As in the node (WALCheckpointService): the WAL is copied into the database
        // file beside the sequencer, not inside one of its commits.
        let checkpoints = try BackgroundCheckpoints(ledger)
        defer { checkpoints.stop() }
        progress("issuing to \(configuration.holders) holders")
        _ = try CommitPipeline.run(ledger: ledger, batches: workload.holderBatches(workers: configuration.workers), workers: configuration.workers)
        precondition(ledger.state.holders[workload.shares] == configuration.holders + workload.sellerKeys.count, "StockchainBenchmark: holders")
        progress("transfers with no dividend, \(configuration.transferRate)/s")
        let quiet = try transfersAlongside(ledger, workload, settling: nil, configuration: configuration, seconds: 2)
        progress("declaring the dividend")
        let declare = try Transaction(
            id: .random(),
            operations: [
                .declareAction(
                    DeclareAction(asset: workload.shares, terms: .cashDividend(amount: Amount(3), per: Amount(2)), escrowAccount: .random()))
            ]
        ).signed(by: [workload.issuer], origin: Workload.origin)
        let verifiedDeclare = try SignatureVerifier.verify([declare], origin: Workload.origin)[0].get()
        let declareStart = DispatchTime.now().uptimeNanoseconds
        let declared = try ledger.submit([verifiedDeclare])
        let declareMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - declareStart) / 1e6
        precondition(declared[0].receipt?.outcome == .committed, "StockchainBenchmark: the declaration \(declared[0])")
        let id = ledger.state.securities.nextAction - 1
        // The register and its tree, built on another thread while the sequencer settles.
        let (action, holdings) = ledger.state.registerSources(of: id)!
        let tree = TreeBuild()
        let builder = Thread {
            let start = DispatchTime.now().uptimeNanoseconds
            let entries = CorporateAction.register(holdings: holdings, saved: action.saved)
            var book = HoldingBook(asset: action.asset)
            for entry in entries { book.set(entry.account, posted: Int128(entry.units)) }
            let built = try! LiabilityTree.build(holdings: book.view, asOf: action.recordDate.value, saltKey: Array(repeating: 7, count: 32))
            tree.finish(seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, accounts: entries.map(\.account), tree: built)
        }
        builder.stackSize = 8 << 20
        builder.start()
        // Settlement chunks follow the register's order; the tree thread computes the
        // same register, so the sequencer waits for the first list only to know whom to pay.
        let accounts = tree.waitForAccounts()
        // The register goes into the log before anyone is paid from it.
        let built = tree.tree!
        let commit = try Transaction(
            id: .random(),
            operations: [.commitRegister(CommitRegister(action: id, total: Amount(built.total), leafCount: built.leafCount, root: built.root))]
        ).signed(by: [workload.ledgerKey], origin: Workload.origin)
        let committed = try ledger.submit([try SignatureVerifier.verify([commit], origin: Workload.origin)[0].get()])
        precondition(committed[0].receipt?.outcome == .committed, "StockchainBenchmark: the register \(committed[0])")
        let size = configuration.holdersPerEntry
        let chunks = stride(from: 0, to: accounts.count, by: size).map { Array(accounts[$0..<min($0 + size, accounts.count)]) }
        progress("settling \(accounts.count) holders in \(chunks.count) entries, with transfers alongside")
        let settling = Settling(action: id, chunks: chunks, ledgerKey: workload.ledgerKey)
        let busy = try transfersAlongside(ledger, workload, settling: settling, configuration: configuration, seconds: nil)
        let done = ledger.state.securities.actions[id]!
        let escrowLeft = ledger.state.balance(of: done.declaration.escrowAccount!, in: workload.inr).posted
        let returned = done.escrowed - done.paid
        let probe = workload.single(2_000_000_000)
        var simulations: [Double] = []
        for _ in 0..<21 {
            let start = DispatchTime.now().uptimeNanoseconds
            let simulated = ledger.state.simulate(probe, at: ledger.state.time)
            simulations.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            precondition(simulated == .outcome(.committed), "StockchainBenchmark: simulation \(simulated)")
        }
        return Report(
            cores: SignatureVerifier.activeProcessorCount, journal: "SQLite WAL, synchronous=FULL (fsync before every receipt)",
            dvpPerSecond: dvp, singleTransfersPerSecond: single, dvpToSingleRatio: dvp / max(single, 1e-9), dividendHolders: accounts.count,
            dividendDeclareMilliseconds: declareMilliseconds,
            dividendSettleHoldersPerSecond: Double(accounts.count) / max(settling.applySeconds, 1e-9), holdersPerEntry: size,
            settleEntryMaxMilliseconds: settling.maxApplySeconds * 1_000, recordDateTreeSeconds: tree.seconds,
            transferP50MillisecondsDuringDividend: busy.p50, transferP99MillisecondsDuringDividend: busy.p99,
            transferP99MillisecondsWithoutDividend: quiet.p99, transfersDuringDividend: busy.count,
            dividendBalanced: !done.isOpen && escrowLeft == 0 && done.paid + returned == done.escrowed && done.settledHolders == accounts.count,
            simulationMilliseconds: simulations.sorted()[10])
    }

    /// Durable transactions per second through the pipeline: trades (two
    /// transfers, two signatures) or single transfers (one and one).
    static func durableRate(_ workload: Workload, trades: Bool, count: Int, configuration: Configuration) throws -> Double {
        let transactions = parallelMap(Array(0..<count), workers: configuration.workers) { n in
            trades ? workload.trade(n) : workload.single(n)
        }
        let path = "\(configuration.directory)/bench-dvp-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ledger = try LedgerDirectory(path).create(genesis: workload.genesis)
        ledger.snapshotInterval = .max
        let group = 8_000
        let batches = stride(from: 0, to: count, by: group).map { Array(transactions[$0..<min($0 + group, count)]) }
        var committed = 0
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try CommitPipeline.run(ledger: ledger, batches: batches, workers: configuration.workers) { results in
            committed += results.filter { $0.receipt?.outcome == .committed }.count
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        precondition(committed == count, "StockchainBenchmark: \(committed) of \(count) committed")
        return Double(count) / seconds
    }

    /// The sequencer's loop with single transfers arriving at
    /// `configuration.transferRate` a second: each round takes the transfers
    /// that have arrived (verified, as the node does) and, while settling, the
    /// next settlement chunk, commits them as one batch, and records each
    /// transfer's latency from its arrival to its receipt. Runs until every
    /// chunk is settled, or for `seconds`.
    static func transfersAlongside(
        _ ledger: Ledger, _ workload: Workload, settling: Settling?, configuration: Configuration, seconds: Double?
    ) throws -> (p50: Double, p99: Double, count: Int) {
        var latencies = Histogram<UInt64>(highestTrackableValue: 60_000_000)
        let interval = 1e9 / Double(configuration.transferRate)
        let start = DispatchTime.now().uptimeNanoseconds
        var sent = 0
        var chunk = 0
        var serial = 0
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            let elapsed = Double(now - start)
            if let seconds, elapsed >= seconds * 1e9 { break }
            if let settling, chunk >= settling.chunks.count { break }
            // The transfers that arrived by now, each with its arrival time.
            let due = Int(elapsed / interval) + 1
            var batch: [Transaction] = []
            var arrivals: [UInt64] = []
            while sent < due && batch.count < 8_000 {
                batch.append(workload.single(1_000_000_000 + serial))
                arrivals.append(start + UInt64(Double(sent) * interval))
                sent += 1
                serial += 1
            }
            var settle: Transaction?
            if let settling {
                settle = try Transaction(
                    id: .random(), operations: [.settleAction(SettleAction(action: settling.action, accounts: settling.chunks[chunk]))]
                ).signed(by: [settling.ledgerKey], origin: Workload.origin)
                chunk += 1
            }
            let verified = try SignatureVerifier.verify(batch + (settle.map { [$0] } ?? []), origin: Workload.origin, workers: configuration.workers)
                .map { try $0.get() }
            let applyStart = DispatchTime.now().uptimeNanoseconds
            let results = try ledger.submit(verified)
            let finished = DispatchTime.now().uptimeNanoseconds
            if let settling, settle != nil {
                precondition(results.last?.receipt?.outcome == .committed, "StockchainBenchmark: a settlement \(results.last!)")
                settling.record(seconds: Double(finished - applyStart) / 1e9)

            }
            for (position, arrival) in arrivals.enumerated() {
                precondition(results[position].receipt?.outcome == .committed, "StockchainBenchmark: a transfer \(results[position])")
                _ = latencies.record(min((finished - min(arrival, finished)) / 1_000, 60_000_000))
            }
            if batch.isEmpty && settle == nil { usleep(200) }
        }
        let percentile = { (p: Double) in latencies.totalCount == 0 ? 0 : Double(latencies.valueAtPercentile(p)) / 1_000 }
        return (percentile(50), percentile(99), Int(latencies.totalCount))
    }

    /// A thread running passive WAL checkpoints every 50 ms until stopped.
    final class BackgroundCheckpoints: @unchecked Sendable {
        private let condition = NSCondition()
        private var stopped = false
        private var thread: Thread?

        init(_ ledger: Ledger) throws {
            guard let journal = ledger.journal as? SQLiteJournal else { return }
            let checkpointer = try journal.makeWALCheckpointer()
            let thread = Thread { [self] in
                while condition.withLock({ !stopped }) {
                    _ = try? checkpointer.checkpoint()
                    condition.withLock { _ = condition.wait(until: Date().addingTimeInterval(0.05)) }
                }
            }
            self.thread = thread
            thread.start()
        }

        func stop() {
            condition.withLock {
                stopped = true
                condition.broadcast()
            }
        }
    }

    final class Settling: @unchecked Sendable {
        let action: UInt64
        let chunks: [[AccountID]]
        let ledgerKey: SigningKey
        private(set) var applySeconds = 0.0
        private(set) var maxApplySeconds = 0.0

        init(action: UInt64, chunks: [[AccountID]], ledgerKey: SigningKey) {
            self.action = action
            self.chunks = chunks
            self.ledgerKey = ledgerKey
        }

        /// A batch's apply-and-commit time, settlement and transfers together: an
        /// upper bound on what the settlement entry held the sequencer for.
        func record(seconds: Double) {
            applySeconds += seconds
            maxApplySeconds = max(maxApplySeconds, seconds)
        }
    }

    final class TreeBuild: @unchecked Sendable {
        private let condition = NSCondition()
        private var accounts: [AccountID]?
        private(set) var seconds = 0.0
        private(set) var tree: LiabilityTree?

        func finish(seconds: Double, accounts: [AccountID], tree: LiabilityTree) {
            condition.withLock {
                self.seconds = seconds
                self.tree = tree
                self.accounts = accounts
                condition.broadcast()
            }
        }

        func waitForAccounts() -> [AccountID] {
            condition.withLock {
                while accounts == nil { condition.wait() }
                return accounts!
            }
        }
    }

    /// The benchmark's ledger: INR and a share (BENCH), 64 sellers holding
    /// both, 64 buyers holding INR, a payee, and `holders` accounts to issue to.
    public struct Workload: Sendable {
        public static let origin = "khata.bench/stockchain"
        public let inr = AssetCode("INR")!
        public let shares = AssetCode("BENCH")!
        public let issuer = SigningKey()
        public let ledgerKey = SigningKey()
        public let sellerKeys = (0..<64).map { _ in SigningKey() }
        public let buyerKeys = (0..<64).map { _ in SigningKey() }
        public let holderKey = SigningKey()
        public let holders: Int

        public init(holders: Int) { self.holders = holders }

        let central = AccountID(high: 0, low: 1)
        let inrIssuance = AccountID(high: 0, low: 2)
        let shareIssuance = AccountID(high: 0, low: 3)
        let payee = AccountID(high: 0, low: 4)
        func seller(_ n: Int) -> AccountID { AccountID(high: 1, low: UInt64(n)) }
        func buyer(_ n: Int) -> AccountID { AccountID(high: 2, low: UInt64(n)) }
        func holder(_ n: Int) -> AccountID { AccountID(high: 3, low: UInt64(n)) }

        public var genesis: Genesis {
            var operations: [LedgerOperation] = [
                .createAccount(CreateAccount(account: central, controllers: KeySet(single: issuer.publicKey))),
                .createAccount(CreateAccount(account: payee, controllers: KeySet(single: holderKey.publicKey))),
                .registerAsset(RegisterAsset(asset: inr, kind: .currency, scale: 2, issuer: central, issuanceAccount: inrIssuance)),
                .registerInstrument(
                    RegisterInstrument(
                        asset: shares, issuer: central, issuanceAccount: shareIssuance, name: "Bench shares", document: Digest32.sha256([]),
                        authorised: Amount(1 << 62), currency: inr, terms: .equity(EquityTerms(shareClass: "ordinary", parValue: Amount(100))))),
                .transfer(Transfer(asset: inr, debit: inrIssuance, credit: central, amount: Amount(1 << 50))),
            ]
            for n in 0..<64 {
                operations.append(.createAccount(CreateAccount(account: seller(n), controllers: KeySet(single: sellerKeys[n].publicKey))))
                operations.append(.createAccount(CreateAccount(account: buyer(n), controllers: KeySet(single: buyerKeys[n].publicKey))))
                operations.append(.transfer(Transfer(asset: shares, debit: shareIssuance, credit: seller(n), amount: Amount(1 << 40))))
                operations.append(.transfer(Transfer(asset: inr, debit: inrIssuance, credit: seller(n), amount: Amount(1 << 50))))
                operations.append(.transfer(Transfer(asset: inr, debit: inrIssuance, credit: buyer(n), amount: Amount(1 << 50))))
            }
            return try! Genesis(
                origin: Workload.origin, ledgerKey: ledgerKey.publicKey, issuer: KeySet(single: issuer.publicKey), operations: operations)
        }

        /// Seller n % 64 delivers one share to buyer (n / 64) % 64 for ₹1.00: both sign.
        func trade(_ n: Int) -> Transaction {
            let s = n % 64
            let b = (n / 64) % 64
            return try! Transaction(
                id: TransactionID(high: 0xD7, low: UInt64(n)),
                operations: [
                    .transfer(Transfer(asset: shares, debit: seller(s), credit: buyer(b), amount: Amount(1))),
                    .transfer(Transfer(asset: inr, debit: buyer(b), credit: seller(s), amount: Amount(100))),
                ]
            ).signed(by: [sellerKeys[s], buyerKeys[b]], origin: Workload.origin)
        }

        /// Seller n % 64 pays the payee ₹0.01: one signature.
        func single(_ n: Int) -> Transaction {
            try! Transaction(
                id: TransactionID(high: 0x51, low: UInt64(n)),
                operations: [.transfer(Transfer(asset: inr, debit: seller(n % 64), credit: payee, amount: Amount(1)))]
            ).signed(by: [sellerKeys[n % 64]], origin: Workload.origin)
        }

        /// Transactions that open the holders' accounts and issue each a share
        /// count of 1 to 100, 400 holders a transaction, in batches of 500.
        func holderBatches(workers: Int) -> [[Transaction]] {
            let perTransaction = 400
            let transactions = parallelMap(Array(0..<((holders + perTransaction - 1) / perTransaction)), workers: workers) { t in
                let range = (t * perTransaction)..<min(holders, (t + 1) * perTransaction)
                var operations: [LedgerOperation] = range.map {
                    .createAccount(CreateAccount(account: holder($0), controllers: KeySet(single: holderKey.publicKey)))
                }
                operations += range.map {
                    .transfer(Transfer(asset: shares, debit: shareIssuance, credit: holder($0), amount: Amount(UInt64(1 + $0 % 100))))
                }
                return try! Transaction(id: TransactionID(high: 0x40, low: UInt64(t)), operations: operations)
                    .signed(by: [holderKey, issuer], origin: Workload.origin)
            }
            return stride(from: 0, to: transactions.count, by: 500).map { Array(transactions[$0..<min($0 + 500, transactions.count)]) }
        }
    }
}

extension StockchainBenchmark.Report {
    enum CodingKeys: String, CodingKey {
        case cores, journal
        case dvpPerSecond = "dvp_per_second"
        case singleTransfersPerSecond = "single_transfers_per_second"
        case dvpToSingleRatio = "dvp_to_single_ratio"
        case dividendHolders = "dividend_holders"
        case dividendDeclareMilliseconds = "dividend_declare_ms"
        case dividendSettleHoldersPerSecond = "dividend_settle_holders_per_second"
        case settleEntryMaxMilliseconds = "settle_entry_max_ms"
        case holdersPerEntry = "holders_per_entry"
        case recordDateTreeSeconds = "record_date_tree_seconds"
        case transferP50MillisecondsDuringDividend = "transfer_p50_ms_during_dividend"
        case transferP99MillisecondsDuringDividend = "transfer_p99_ms_during_dividend"
        case transferP99MillisecondsWithoutDividend = "transfer_p99_ms_without_dividend"
        case transfersDuringDividend = "transfers_during_dividend"
        case dividendBalanced = "dividend_balanced"
        case simulationMilliseconds = "simulation_ms"
    }
}
