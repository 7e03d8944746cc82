import Dispatch
import Foundation
import KhataAPI
import KhataBytes
import KhataCore
import KhataEd25519
import KhataVerify

/// `khata bench payments`: a remittance's cost against a plain transfer's, and
/// the corridor report over many remittances (docs/PAYMENTS.md).
///
/// Both kinds of transaction go through the same path, side by side in one run:
/// signatures checked (`SignatureVerifier`, every core) and applied by the
/// state machine; no journal, so that what differs is what each operation costs.
/// A transfer is a signed single transfer inside the mainland, under a law; a
/// remittance is a signed `remit` from the Overseas zone at an exchange's quote
/// (whose signature is checked too), with the levy leaving as its `pay_levy`
/// leg and the delivery's law checks.
public enum PaymentBenchmark {
    public struct Report: Codable, Sendable {
        public let transactions: Int
        public let transfersPerSecond: Double
        public let remittancesPerSecond: Double
        /// Goal ≥ 0.40.
        public let remittanceToTransferRatio: Double
        public let corridorRemittances: Int
        /// Decoding every entry and feeding the report, then its percentiles. Goal < 2 s for 1,000,000.
        public let corridorReportSeconds: Double
        public let corridorMedianCostPercent: Double?

        enum CodingKeys: String, CodingKey {
            case transactions
            case transfersPerSecond = "transfers_per_second"
            case remittancesPerSecond = "remittances_per_second"
            case remittanceToTransferRatio = "remittance_to_transfer_ratio"
            case corridorRemittances = "corridor_remittances"
            case corridorReportSeconds = "corridor_report_seconds"
            case corridorMedianCostPercent = "corridor_median_cost_percent"
        }
    }

    static let origin = "khata.bench/payments"
    static let usd = AssetCode("USD")!
    static let inr = AssetCode("INR")!

    struct Workload {
        let issuer = SigningKey()
        let exchangeKey = SigningKey()
        let senderKeys = (0..<64).map { _ in SigningKey() }
        let payeeKey = SigningKey()
        let central = AccountID(high: 0, low: 1)
        let exchange = AccountID(high: 0, low: 5)
        let treasury = AccountID(high: 0, low: 6)
        func sender(_ n: Int) -> AccountID { AccountID(high: 1, low: UInt64(n)) }
        func payee(_ n: Int) -> AccountID { AccountID(high: 2, low: UInt64(n)) }
        let payees = 700

        func law(currency: AssetCode) -> Law {
            let high = Amount(1 << 61)
            return try! Law(
                document: Digest32.sha256(Array("bench \(currency) law".utf8)), url: "", currency: currency,
                tiers: [TierLimits(perPayment: high, daily: high, monthly: high, balance: high)], treasury: treasury,
                corridors: [Corridor(direction: .outbound, zone: Corridor.anyZone, levyBasisPoints: 50, maxPerPayment: high)])
        }

        var genesis: Genesis {
            let governance = Governance(votingSeconds: 60, quorum: 1, threshold: 1, timelockSeconds: 60)
            var operations: [LedgerOperation] = [
                .createAccount(CreateAccount(account: central, controllers: KeySet(single: issuer.publicKey))),
                .createAccount(CreateAccount(account: treasury, controllers: KeySet(single: issuer.publicKey))),
                .registerAsset(
                    RegisterAsset(
                        asset: PaymentBenchmark.inr, kind: .currency, scale: 2, issuer: central, issuanceAccount: AccountID(high: 0, low: 2))),
                .registerAsset(
                    RegisterAsset(
                        asset: PaymentBenchmark.usd, kind: .currency, scale: 2, issuer: central, issuanceAccount: AccountID(high: 0, low: 3))),
                .registerZone(
                    try! RegisterZone(
                        zone: 0, name: "Mainland", governors: [issuer.publicKey], guardian: issuer.publicKey, governance: governance,
                        law: law(currency: PaymentBenchmark.inr))),
                .registerZone(
                    try! RegisterZone(
                        zone: 1, name: "Overseas", governors: [issuer.publicKey], guardian: issuer.publicKey, governance: governance,
                        law: law(currency: PaymentBenchmark.usd))),
                .createAccount(CreateAccount(account: exchange, controllers: KeySet(single: exchangeKey.publicKey))),
                .transfer(Transfer(asset: PaymentBenchmark.inr, debit: AccountID(high: 0, low: 2), credit: exchange, amount: Amount(1 << 60))),
                .registerProvider(try! RegisterProvider(name: "fx", displayName: "FX", account: exchange, roles: .exchange)),
            ]
            for (n, key) in senderKeys.enumerated() {
                // Mainland payers for the transfers, overseas senders for the remittances.
                operations.append(.createAccount(CreateAccount(account: payee(10_000 + n), controllers: KeySet(single: key.publicKey))))
                operations.append(
                    .transfer(
                        Transfer(asset: PaymentBenchmark.inr, debit: AccountID(high: 0, low: 2), credit: payee(10_000 + n), amount: Amount(1 << 50))))
                operations.append(.createAccount(CreateAccount(account: sender(n), controllers: KeySet(single: key.publicKey), zone: 1)))
                operations.append(
                    .transfer(Transfer(asset: PaymentBenchmark.usd, debit: AccountID(high: 0, low: 3), credit: sender(n), amount: Amount(1 << 50))))
            }
            for n in 0..<payees {
                operations.append(.createAccount(CreateAccount(account: payee(n), controllers: KeySet(single: payeeKey.publicKey))))
            }
            return try! Genesis(
                origin: PaymentBenchmark.origin, ledgerKey: issuer.publicKey, issuer: KeySet(single: issuer.publicKey), operations: operations)
        }

        var quote: Quote {
            try! Quote(
                provider: "fx", id: 1, from: PaymentBenchmark.usd, to: PaymentBenchmark.inr, rate: 8_300_000_000, fee: Amount(199),
                minAmount: Amount(1),
                maxAmount: Amount(1 << 40), capacity: Amount(1 << 60), expiresAt: Timestamp(milliseconds: 1 << 50), key: exchangeKey.publicKey
            ).signed(by: exchangeKey, origin: PaymentBenchmark.origin)
        }
    }

    public static func run(transactions: Int, corridorRemittances: Int, progress: (String) -> Void) -> Report {
        let workload = Workload()
        let quote = workload.quote
        progress("signing \(transactions) transfers and \(transactions) remittances")
        let transfers = (0..<transactions).map { n in
            try! Transaction(
                id: TransactionID(high: 0x7A, low: UInt64(n)),
                operations: [
                    .transfer(
                        Transfer(
                            asset: inr, debit: workload.payee(10_000 + n % 64), credit: workload.payee(n % workload.payees),
                            amount: Amount(UInt64(100 + n % 1_000))))
                ]
            ).signed(by: [workload.senderKeys[n % 64]], origin: origin)
        }
        let remittances = (0..<transactions).map { n in
            let amount = UInt64(10_000 + n % 1_000)
            let remit = try! Remit(
                quote: quote, sender: workload.sender(n % 64), recipient: workload.payee(n % workload.payees), amount: Amount(amount))
            return try! Transaction(
                id: TransactionID(high: 0x7B, low: UInt64(n)),
                operations: [.remit(remit), .payLevy(PayLevy(operation: 0, zone: 1, amount: Amount(amount * 50 / 10_000)))]
            ).signed(by: [workload.senderKeys[n % 64]], origin: origin)
        }
        func rate(_ batch: [Transaction]) -> Double {
            var state = LedgerState.genesis(workload.genesis, time: Timestamp(milliseconds: 1)).0
            let start = DispatchTime.now().uptimeNanoseconds
            for chunk in stride(from: 0, to: batch.count, by: 8_000) {
                let verified = SignatureVerifier.verify(Array(batch[chunk..<min(chunk + 8_000, batch.count)]), origin: origin)
                for result in verified {
                    let transaction = try! result.get()
                    let outcome = state.apply(
                        transaction.transaction, contentDigest: transaction.contentDigest, index: LeafIndex(state.size),
                        time: Timestamp(milliseconds: 2))
                    precondition(outcome == .committed, "PaymentBenchmark: \(outcome)")
                }
            }
            return Double(batch.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        progress("verifying and applying them, side by side (twice each, the better kept)")
        let transferRate = max(rate(transfers), rate(transfers))
        let remitRate = max(rate(remittances), rate(remittances))

        progress("encoding \(corridorRemittances) remittance entries for the corridor report")
        var entries: [[UInt8]] = []
        entries.reserveCapacity(corridorRemittances + 2)
        let policy = MonetaryPolicy(
            version: 1, currency: inr, governance: KeySet(single: workload.issuer.publicKey), requiredCoverageBasisPoints: 10_000,
            maxAttestationAgeSeconds: 3_600, maxPriceAgeSeconds: 3_600, minimumPrices: 1,
            reserves: [ReserveRule(asset: AssetCode("BTC")!, haircutBasisPoints: 0)],
            custodians: [Attestor(account: workload.central, assets: [AssetCode("BTC")!])],
            oracles: [Attestor(account: workload.central, assets: [AssetCode("BTC")!, usd])])
        let signature = [TransactionSignature(key: workload.issuer.publicKey, signature: Array(repeating: 0, count: 64))]
        let setup: [[LedgerOperation]] = [
            [
                .registerAsset(
                    RegisterAsset(asset: inr, kind: .currency, scale: 2, issuer: workload.central, issuanceAccount: AccountID(high: 0, low: 2))),
                .registerAsset(
                    RegisterAsset(asset: usd, kind: .currency, scale: 2, issuer: workload.central, issuanceAccount: AccountID(high: 0, low: 3))),
                .setMonetaryPolicy(SetMonetaryPolicy(policy: policy)),
            ],
            [.attestPrice(AttestPrice(oracle: workload.central, asset: usd, price: Amount(8_320), asOf: Timestamp(milliseconds: 1)))],
        ]
        for (n, operations) in setup.enumerated() {
            let transaction = try! Transaction(id: TransactionID(high: 0x7C, low: UInt64(n)), operations: operations, signatures: signature)
            entries.append(
                Entry(index: LeafIndex(UInt64(n)), time: Timestamp(milliseconds: 1), payload: .transaction(transaction), outcome: .committed).encoded)
        }
        for n in 0..<corridorRemittances {
            let remit = try! Remit(
                quote: quote, sender: workload.sender(n % 64), recipient: workload.payee(n % workload.payees),
                amount: Amount(UInt64(1_000 + n % 100_000)))
            let transaction = try! Transaction(
                id: TransactionID(high: 0x7D, low: UInt64(n)),
                operations: [.remit(remit), .payLevy(PayLevy(operation: 0, zone: 1, amount: Amount(5)))],
                signatures: signature)
            entries.append(
                Entry(
                    index: LeafIndex(UInt64(entries.count)), time: Timestamp(milliseconds: UInt64(2 + n)), payload: .transaction(transaction),
                    outcome: .committed
                )
                .encoded)
        }
        progress("the corridor report over \(corridorRemittances) remittances (decoding every entry)")
        let start = DispatchTime.now().uptimeNanoseconds
        var report = CorridorReport()
        try! report.add(encoded: entries)
        let view = report.view()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        precondition(
            view.corridors.first?.completed == corridorRemittances,
            "PaymentBenchmark: the report counted \(String(describing: view.corridors.first?.completed))")
        return Report(
            transactions: transactions, transfersPerSecond: transferRate, remittancesPerSecond: remitRate,
            remittanceToTransferRatio: remitRate / transferRate,
            corridorRemittances: corridorRemittances, corridorReportSeconds: seconds,
            corridorMedianCostPercent: view.corridors.first?.medianCostPercent)
    }
}

/// Address lookups over HTTP (`GET /v1/addresses/{address}`) by `clients`
/// threads, each on one keep-alive connection, for `seconds`.
public enum AddressLookupBenchmark {
    public struct Report: Codable, Sendable {
        public let clients: Int
        public let seconds: Double
        public let lookups: Int
        /// Goal ≥ 50,000.
        public let lookupsPerSecond: Double
        public let failures: Int

        enum CodingKeys: String, CodingKey {
            case clients, seconds, lookups
            case lookupsPerSecond = "lookups_per_second"
            case failures
        }
    }

    public static func run(host: String, port: UInt16, address: String, clients: Int, seconds: Double) throws -> Report {
        final class Counts: @unchecked Sendable {
            let lock = NSLock()
            var lookups = 0
            var failures = 0
            var error: Error?
        }
        let counts = Counts()
        let path = "/v1/addresses/\(address)"
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: clients) { _ in
            var done = 0
            var failed = 0
            do {
                let connection = try RawHTTPConnection(host: host, port: port)
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    if try connection.get(path) == 200 { done += 1 } else { failed += 1 }
                }
            } catch {
                counts.lock.withLock { counts.error = error }
            }
            counts.lock.withLock {
                counts.lookups += done
                counts.failures += failed
            }
        }
        if let error = counts.error { throw error }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Report(
            clients: clients, seconds: elapsed, lookups: counts.lookups, lookupsPerSecond: Double(counts.lookups) / elapsed, failures: counts.failures
        )
    }
}
