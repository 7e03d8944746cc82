import Dispatch
import Foundation
import KhataBytes
import KhataCore
import KhataEd25519
import KhataEngine
import KhataStorage
import KhataVerify

/// `khata bench engine`: how fast the state machine applies transfers, and how
/// fast transfers are durably committed through the SQLite journal with
/// signature verification on every core, at several group-commit sizes.
public enum EngineBenchmark {
    public struct Configuration: Sendable {
        /// Where temporary ledgers are made (each run gets a fresh one).
        public var directory: String
        /// Multiplies every run's transaction count (0.01 for a smoke test).
        public var scale: Double = 1
        public var groupSizes = [1, 100, 8_000]
        public var workers = SignatureVerifier.activeProcessorCount

        public init(directory: String) { self.directory = directory }
    }

    public struct DurableRun: Codable, Sendable {
        public let transfersPerTransaction: Int
        public let groupCommit: Int
        public let transactions: Int
        public let transfers: Int
        public let seconds: Double
        public let transactionsPerSecond: Double
        public let transfersPerSecond: Double
        /// Entries in the journal after the run, checked against what was sent.
        public let entries: UInt64
    }

    public struct Report: Codable, Sendable {
        public let cores: Int
        public let sqliteVersion: String
        public let journal: String
        /// Ed25519 verifications per second on all cores as the ledger does them:
        /// the signers here are repeat signers, so with their precomputed tables.
        public let ed25519VerificationsPerSecond: Double
        /// The same through BoringSSL alone, as for a key's first signatures.
        public let ed25519BoringSSLVerificationsPerSecond: Double
        public let stateMachineTransfersPerSecond: [String: Double]
        public let durable: [DurableRun]
        /// Best durable rate of individually signed single transfers, divided by the
        /// Ed25519 verification rate on all cores, with tables and through BoringSSL
        /// (the goal of ≥ 0.70 was set when every signature went through BoringSSL).
        public let signedSingleToVerifyRatio: Double
        public let signedSingleToBoringSSLRatio: Double
        /// Best durable rate of transfers in 100-transfer transactions (goal: ≥ 300,000/s).
        public let hundredTransferBest: Double
        /// Signed single transfers durably committed (group commit 8,000) with a
        /// law of 10 rules in force, divided by the rate with no law: the median
        /// of alternating rounds (goal: ≥ 0.90).
        public let lawCheckedToUncheckedRatio: Double
        /// The same for the state machine alone, where nothing hides the checks' cost.
        public let lawStateMachineRatio: Double
    }

    public static func run(_ configuration: Configuration, progress: (String) -> Void) throws -> Report {
        let workload = Workload()
        progress("measuring Ed25519 verification on \(configuration.workers) cores")
        let verifyRate = measureVerification(workers: configuration.workers, tables: true)
        let boringSSLRate = measureVerification(workers: configuration.workers, tables: false)
        progress("state machine alone")
        let single = measureStateMachine(workload.unsignedTransactions(count: 200_000, transfersEach: 1, scale: configuration.scale), workload)
        let hundred = measureStateMachine(workload.unsignedTransactions(count: 10_000, transfersEach: 100, scale: configuration.scale), workload)
        var durable: [DurableRun] = []
        for transfersEach in [1, 100] {
            for group in configuration.groupSizes {
                let base = transfersEach == 1 ? [1: 2_000, 100: 20_000][group] ?? 48_000 : [1: 1_000, 100: 5_000][group] ?? 16_000
                let count = max(group, Int(Double(base) * configuration.scale) / group * group)
                progress("durable: \(count) transactions of \(transfersEach) transfer\(transfersEach == 1 ? "" : "s"), group commit \(group)")
                durable.append(try measureDurable(workload, transfersEach: transfersEach, count: count, group: group, configuration: configuration))
            }
        }
        let bestSingle = durable.filter { $0.transfersPerTransaction == 1 }.map(\.transactionsPerSecond).max() ?? 0
        let lawful = Workload(withLaw: true)
        progress("a law of \(Workload.lawRules) rules in force against none: state machine, then durable, alternating")
        var machineRatios: [Double] = []
        var durableRatios: [Double] = []
        for _ in 0..<3 {
            let unchecked = measureStateMachine(workload.unsignedTransactions(count: 200_000, transfersEach: 1, scale: configuration.scale), workload)
            let checked = measureStateMachine(lawful.unsignedTransactions(count: 200_000, transfersEach: 1, scale: configuration.scale), lawful)
            machineRatios.append(checked / unchecked)
        }
        let lawCount = max(8_000, Int(48_000 * configuration.scale) / 8_000 * 8_000)
        for _ in 0..<3 {
            let unchecked = try measureDurable(workload, transfersEach: 1, count: lawCount, group: 8_000, configuration: configuration)
            let checked = try measureDurable(lawful, transfersEach: 1, count: lawCount, group: 8_000, configuration: configuration)
            durableRatios.append(checked.transactionsPerSecond / unchecked.transactionsPerSecond)
        }
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        return Report(
            cores: SignatureVerifier.activeProcessorCount, sqliteVersion: SQLiteJournal.libraryVersion,
            journal: "SQLite WAL, synchronous=FULL (fsync before every receipt)",
            ed25519VerificationsPerSecond: verifyRate, ed25519BoringSSLVerificationsPerSecond: boringSSLRate,
            stateMachineTransfersPerSecond: ["1_transfer_transactions": single, "100_transfer_transactions": hundred],
            durable: durable, signedSingleToVerifyRatio: bestSingle / verifyRate,
            signedSingleToBoringSSLRatio: bestSingle / boringSSLRate,
            hundredTransferBest: durable.filter { $0.transfersPerTransaction == 100 }.map(\.transfersPerSecond).max() ?? 0,
            lawCheckedToUncheckedRatio: median(durableRatios), lawStateMachineRatio: median(machineRatios))
    }

    /// Ed25519 verifications per second with `workers` threads, over 2 seconds of
    /// work: by the ledger's verifier in batches as the engine checks them (one
    /// key, so with its table), or by BoringSSL alone.
    static func measureVerification(workers: Int, tables: Bool) -> Double {
        let key = SigningKey()
        let messages = (0..<4_000).map { i in Array("khata bench message \(i)".utf8) }
        let signed = messages.map { ($0, key.sign($0)) }
        let keyBytes = key.publicKey.bytes
        var total = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed: UInt64 = 0
        while elapsed < 2_000_000_000 {
            let results = parallelChunks(signed, workers: workers) { chunk in
                tables
                    ? Ed25519Verifier.shared.areValid(chunk.map { .init(signature: $0.1, message: $0.0, publicKey: keyBytes) })
                    : chunk.map { Ed25519Verifier.isValidSignatureWithBoringSSL($0.1, for: $0.0, publicKey: keyBytes) }
            }
            precondition(results.allSatisfy { $0 }, "EngineBenchmark: a valid signature failed to verify")
            total += results.count
            elapsed = DispatchTime.now().uptimeNanoseconds - start
        }
        return Double(total) / (Double(elapsed) / 1e9)
    }

    /// Transfers per second applied by `LedgerState` alone: no signatures, no I/O.
    static func measureStateMachine(_ transactions: [Transaction], _ workload: Workload) -> Double {
        var state = workload.genesisState()
        let digests = transactions.map(\.contentDigest)
        let start = DispatchTime.now().uptimeNanoseconds
        var transfers = 0
        for (position, transaction) in transactions.enumerated() {
            let outcome = state.apply(transaction, contentDigest: digests[position], index: LeafIndex(state.size), time: Timestamp(milliseconds: 2))
            precondition(outcome == .committed, "EngineBenchmark: \(outcome)")
            transfers += transaction.operations.count
        }
        return Double(transfers) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    static func measureDurable(
        _ workload: Workload, transfersEach: Int, count: Int, group: Int, configuration: Configuration
    ) throws -> DurableRun {
        let transactions = workload.signedTransactions(count: count, transfersEach: transfersEach, workers: configuration.workers)
        let path = "\(configuration.directory)/bench-\(transfersEach)x\(group)-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ledger = try LedgerDirectory(path).create(genesis: workload.genesis)
        ledger.snapshotInterval = .max
        let batches = stride(from: 0, to: transactions.count, by: group).map { Array(transactions[$0..<min($0 + group, transactions.count)]) }
        var committed = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let stats = try CommitPipeline.run(ledger: ledger, batches: batches, workers: configuration.workers) { receipts in
            committed += receipts.filter { $0.receipt?.outcome == .committed }.count
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        precondition(stats.refused == 0 && committed == count, "EngineBenchmark: \(stats.refused) refused, \(committed) of \(count) committed")
        return DurableRun(
            transfersPerTransaction: transfersEach, groupCommit: group, transactions: count, transfers: count * transfersEach,
            seconds: seconds, transactionsPerSecond: Double(count) / seconds, transfersPerSecond: Double(count * transfersEach) / seconds,
            entries: ledger.journal.entryCount)
    }

    /// The benchmark's ledger: 64 funded payers with their own keys and 800 payees.
    /// The engine benchmark's ledger and transactions, also used by the
    /// micro-benchmarks in `Benchmarks/`.
    public struct Workload: Sendable {
        /// With a law of `lawRules` rules in force in zone 0, where every account is.
        public let withLaw: Bool
        public init(withLaw: Bool = false) { self.withLaw = withLaw }

        /// Tiers' four caps, two tiers from an identity provider who verified
        /// every payer (so each payer's and payee's attestation is looked up), allowed assets, a corridor's levy and
        /// its limit, withholding and the exit levy: every check a payment within
        /// the zone makes runs (none refuses: the caps are high).
        public static let lawRules = 10

        /// The benchmark's law.
        public func law(treasury: AccountID) -> Law {
            let high = Amount(1 << 61)
            return try! Law(
                document: Digest32.sha256(Array("bench law".utf8)), url: "https://khata.example/bench", utcOffsetMinutes: 330, currency: inr,
                providers: [ProviderGrant(account: treasury, maxTier: 2)],
                tiers: [
                    TierLimits(perPayment: high, daily: high, monthly: high, balance: high),
                    TierLimits(perPayment: high, daily: high, monthly: high, balance: high),
                ], allowedAssets: [inr],
                withholdingBasisPoints: 1_000, treasury: treasury,
                corridors: [Corridor(direction: .outbound, zone: Corridor.anyZone, levyBasisPoints: 50, maxPerPayment: high)],
                exitLevyBasisPoints: 100)
        }
        public static let origin = "khata.bench/engine"
        public let inr = AssetCode("INR")!
        public let issuer = SigningKey()
        public let ledgerKey = SigningKey()
        public let payerKeys = (0..<64).map { _ in SigningKey() }
        public let payeeKey = SigningKey()
        public let payeeCount = 800

        public func payer(_ n: Int) -> AccountID { AccountID(high: 1, low: UInt64(n)) }
        public func payee(_ n: Int) -> AccountID { AccountID(high: 2, low: UInt64(n)) }

        public var genesis: Genesis {
            let central = AccountID(high: 0, low: 1)
            let issuance = AccountID(high: 0, low: 2)
            var operations: [LedgerOperation] = [
                .createAccount(CreateAccount(account: central, controllers: KeySet(single: issuer.publicKey))),
                .registerAsset(RegisterAsset(asset: inr, kind: .currency, scale: 2, issuer: central, issuanceAccount: issuance)),
            ]
            for (n, key) in payerKeys.enumerated() {
                operations.append(.createAccount(CreateAccount(account: payer(n), controllers: KeySet(single: key.publicKey))))
                operations.append(.transfer(Transfer(asset: inr, debit: issuance, credit: payer(n), amount: Amount(1 << 50))))
            }
            for n in 0..<payeeCount {
                operations.append(.createAccount(CreateAccount(account: payee(n), controllers: KeySet(single: payeeKey.publicKey))))
            }
            if withLaw {
                // Every payer verified to tier 1 by the law's provider (a genesis holds
                // at most 1,024 operations), so that each payment looks up two
                // attestations: the payer's, found, and the payee's, not.
                let year = Timestamp(milliseconds: 1 << 50)
                for account in (0..<payerKeys.count).map(payer) {
                    operations.append(.attestIdentity(AttestIdentity(provider: central, account: account, tier: 1, expiresAt: year)))
                }
                operations.append(
                    .registerZone(
                        try! RegisterZone(
                            zone: 0, name: "Bench", governors: [issuer.publicKey], guardian: issuer.publicKey,
                            governance: Governance(votingSeconds: 60, quorum: 1, threshold: 1, timelockSeconds: 60), law: law(treasury: central))))
            }
            return try! Genesis(
                origin: Workload.origin, ledgerKey: ledgerKey.publicKey, issuer: KeySet(single: issuer.publicKey), operations: operations)
        }

        public func genesisState() -> LedgerState { LedgerState.genesis(genesis, time: Timestamp(milliseconds: 1)).0 }

        public func operations(_ n: Int, transfersEach: Int) -> [LedgerOperation] {
            (0..<transfersEach).map { k in
                .transfer(
                    Transfer(
                        asset: inr, debit: payer(n % payerKeys.count), credit: payee((n &* 7 &+ k) % payeeCount),
                        amount: Amount(UInt64(1 + (n + k) % 1_000))))
            }
        }

        public func id(_ n: Int) -> TransactionID { TransactionID(high: 0xBE0C, low: UInt64(n)) }

        /// Transactions carrying the payer's key with a dummy signature: enough for
        /// the state machine, which counts signers but never checks signatures.
        public func unsignedTransactions(count: Int, transfersEach: Int, scale: Double) -> [Transaction] {
            let count = max(1, Int(Double(count) * scale))
            return (0..<count).map { n in
                let signature = TransactionSignature(key: payerKeys[n % payerKeys.count].publicKey, signature: Array(repeating: 0, count: 64))
                return try! Transaction(id: id(n), operations: operations(n, transfersEach: transfersEach), signatures: [signature])
            }
        }

        public func signedTransactions(count: Int, transfersEach: Int, workers: Int) -> [Transaction] {
            parallelMap(Array(0..<count), workers: workers) { n in
                try! Transaction(id: id(n), operations: operations(n, transfersEach: transfersEach))
                    .signed(by: [payerKeys[n % payerKeys.count]], origin: Workload.origin)
            }
        }
    }
}

extension EngineBenchmark.DurableRun {
    enum CodingKeys: String, CodingKey {
        case transfersPerTransaction = "transfers_per_transaction"
        case groupCommit = "group_commit"
        case transactions, transfers, seconds, entries
        case transactionsPerSecond = "transactions_per_second"
        case transfersPerSecond = "transfers_per_second"
    }
}

extension EngineBenchmark.Report {
    enum CodingKeys: String, CodingKey {
        case cores, journal, durable
        case sqliteVersion = "sqlite_version"
        case ed25519VerificationsPerSecond = "ed25519_verifications_per_second"
        case stateMachineTransfersPerSecond = "state_machine_transfers_per_second"
        case ed25519BoringSSLVerificationsPerSecond = "ed25519_boringssl_verifications_per_second"
        case signedSingleToVerifyRatio = "signed_single_to_verify_ratio"
        case signedSingleToBoringSSLRatio = "signed_single_to_boringssl_ratio"
        case hundredTransferBest = "hundred_transfer_best_transfers_per_second"
        case lawCheckedToUncheckedRatio = "law_checked_to_unchecked_ratio"
        case lawStateMachineRatio = "law_state_machine_ratio"
    }
}
