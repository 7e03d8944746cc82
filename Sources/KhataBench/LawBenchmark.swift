import Dispatch
import Foundation
import KhataBytes
import KhataCore
import KhataEd25519

/// `khata bench laws`: what a law change's simulated effect costs over many
/// accounts (goal: under 5 s for 1,000,000), and what the checks of a law in
/// force cost the state machine.
public enum LawBenchmark {
    public struct Report: Codable, Sendable {
        public let accounts: Int
        /// Building the state: creating and funding the accounts.
        public let buildSeconds: Double
        /// `LedgerState.effect(of:in:)` of a proposed law over every account, the median of 3.
        public let effectSeconds: Double
        /// Accounts the proposed law would find over its balance cap (a check that it looked at them).
        public let overBalanceCap: Int

        enum CodingKeys: String, CodingKey {
            case accounts
            case buildSeconds = "build_seconds"
            case effectSeconds = "effect_seconds"
            case overBalanceCap = "over_balance_cap"
        }
    }

    public static func run(accounts: Int, progress: (String) -> Void) -> Report {
        let workload = EngineBenchmark.Workload(withLaw: true)
        var state = workload.genesisState()
        let start = DispatchTime.now().uptimeNanoseconds
        let key = workload.payeeKey.publicKey
        let signature = { (signer: PublicKey) in TransactionSignature(key: signer, signature: Array(repeating: 0, count: 64)) }
        var id: UInt64 = 0
        func apply(_ operations: [LedgerOperation], signer: PublicKey) {
            id += 1
            let transaction = try! Transaction(id: TransactionID(high: 0x1A3, low: id), operations: operations, signatures: [signature(signer)])
            let outcome = state.apply(
                transaction, contentDigest: transaction.contentDigest, index: LeafIndex(state.size), time: Timestamp(milliseconds: 2))
            precondition(outcome == .committed, "LawBenchmark: \(outcome)")
        }
        let account = { (n: Int) in AccountID(high: 3, low: UInt64(n)) }
        progress("creating and funding \(accounts) accounts")
        for first in stride(from: 0, to: accounts, by: 1_000) {
            let range = first..<min(first + 1_000, accounts)
            apply(range.map { .createAccount(CreateAccount(account: account($0), controllers: KeySet(single: key))) }, signer: key)
            let payer = (first / 1_000) % workload.payerKeys.count
            apply(
                range.map {
                    .transfer(
                        Transfer(asset: workload.inr, debit: workload.payer(payer), credit: account($0), amount: Amount(UInt64(1 + $0 % 10_000))))
                },
                signer: workload.payerKeys[payer].publicKey)
        }
        let built = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var proposed = state.zones.zones[0]!.law.law
        proposed.tiers[0].balance = Amount(5_000)
        progress("the proposed law's effect over every account, 3 times")
        var times: [Double] = []
        var effect = LawEffect()
        for _ in 0..<3 {
            let began = DispatchTime.now().uptimeNanoseconds
            effect = state.effect(of: proposed, in: 0)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9)
        }
        precondition(effect.accounts >= accounts, "LawBenchmark: the effect counted \(effect.accounts) accounts")
        return Report(accounts: accounts, buildSeconds: built, effectSeconds: times.sorted()[1], overBalanceCap: effect.overBalanceCap.accounts)
    }
}
