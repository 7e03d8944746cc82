import KhataAPI
import KhataCore
import KhataLiabilities
import KhataVerify

/// Checks a holder's proof of liabilities and the reserves behind it against a
/// ledger state obtained by replaying the log (an `Auditor` run, which checked
/// the checkpoint's signatures and quorum, every entry and every outcome), so
/// that nothing the node says about reserves is taken on trust:
///
/// 1. the node's proof names the latest commitment entry in the audited log;
/// 2. the proof verifies against that logged commitment (not against numbers
///    sent with it): the holder's leaf, every sum in range, the root and total;
/// 3. the committed total is the currency's supply at the commitment's size;
/// 4. each reserve asset's value recomputes exactly from the logged attestation
///    amounts, prices and haircuts, their sum is the recorded reserve value, and
///    that value covers the total at the policy's required coverage;
/// 5. every attestation and price relied on was logged before the commitment.
public enum ReserveVerifier {
    public struct Verification: Sendable {
        public let account: AccountID
        public let balance: Amount
        public let commitmentIndex: LeafIndex
        public let commitment: CommitLiabilities
        public let reserveValue: UInt128
        public let coverageBasisPoints: UInt64?
        public let requiredCoverageBasisPoints: UInt32
        public let fresh: Bool
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    public static func verify(_ served: LiabilityProofView, account: AccountID, audited state: LedgerState) throws(Failure) -> Verification {
        guard let record = state.reserves.liabilities else { throw Failure("the audited log holds no liabilities commitment") }
        guard served.index == record.index else {
            throw Failure(
                "the node's proof is for the commitment at entry \(served.index), but the latest one in the audited log is at entry \(record.index)"
                    + (served.index.value >= state.size ? " (audit again: the log has grown)" : ""))
        }
        guard served.proof.account == account else { throw Failure("the node sent a proof for \(served.proof.account), not \(account)") }
        let commitment = record.commitment
        do { try served.proof.verify(against: commitment) } catch {
            throw Failure("the proof does not verify against the logged commitment: \(error)")
        }
        guard state.reserves.supply(atSize: commitment.asOf) == commitment.total.units else {
            throw Failure("the committed total \(commitment.total.units) is not the supply at size \(commitment.asOf)")
        }
        let evaluation = record.evaluation
        var total: UInt128 = 0
        for asset in evaluation.assets {
            for index in asset.attestations.map(\.index) + asset.prices.map(\.index) where index >= record.index {
                throw Failure("\(asset.asset): an input at entry \(index) is not before the commitment at \(record.index)")
            }
            let value =
                asset.price.map {
                    CoverageArithmetic.haircutValue(amount: asset.amount, price: $0, scale: asset.scale, haircutBasisPoints: asset.haircutBasisPoints)
                } ?? 0
            guard value == asset.value else { throw Failure("\(asset.asset): the recorded value \(asset.value) does not recompute (\(value))") }
            total = CoverageArithmetic.saturatingAdd(total, value)
        }
        guard total == evaluation.reserveValue, evaluation.supply == commitment.total.units else {
            throw Failure("the recorded reserve value or supply does not add up")
        }
        guard evaluation.isCovered else {
            throw Failure(
                "the reserves (\(evaluation.reserveValue)) cover \(evaluation.coverageBasisPoints.map(String.init) ?? "∞") basis points of the liabilities, below the required \(evaluation.requiredCoverageBasisPoints)"
            )
        }
        return Verification(
            account: account, balance: served.proof.balance, commitmentIndex: record.index, commitment: commitment,
            reserveValue: evaluation.reserveValue, coverageBasisPoints: evaluation.coverageBasisPoints,
            requiredCoverageBasisPoints: evaluation.requiredCoverageBasisPoints, fresh: evaluation.isFresh)
    }
}
