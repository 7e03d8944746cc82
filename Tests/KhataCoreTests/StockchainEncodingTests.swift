import Foundation
import KhataBytes
import KhataCore
import KhataEd25519
import KhataTestSupport
import Testing

/// The stockchain's worked examples of docs/ENCODING.md ("Stockchain
/// operations"), one operation each, as `u8 tag ‖ fields`.
func stockchainExamples() -> [(name: String, operation: LedgerOperation)] {
    let S = StockchainFixture.self
    let bond = RegisterInstrument(
        asset: AssetCode("ACME29")!, issuer: S.acme, issuanceAccount: accountID(0x201), name: "Acme 7.5% 2029",
        document: Digest32(bytes: Array(repeating: 0x11, count: 32))!, authorised: Amount(100_000), currency: inr,
        terms: .bond(
            BondTerms(
                faceValue: Amount(100_000), couponBasisPoints: 750, couponMonths: 6, maturity: Timestamp(milliseconds: 1_893_369_600_000),
                dayCount: .thirty360)))
    let ballot = BallotTerms(question: "Approve?", options: ["yes", "no"], closesAt: Timestamp(milliseconds: 1_767_225_600_000))
    return [
        ("op-register-instrument", .registerInstrument(S.registration)),
        ("op-register-bond", .registerInstrument(bond)),
        ("op-set-instrument-rules", .setInstrumentRules(SetInstrumentRules(asset: S.shares, rules: .open))),
        (
            "op-attest-identity",
            .attestIdentity(AttestIdentity(provider: S.kyc, account: Fixture.alice, tier: 2, expiresAt: Timestamp(milliseconds: 1_893_456_000_000)))
        ),
        ("op-lock-holding", .lockHolding(LockHolding(asset: S.shares, account: Fixture.bob, amount: Amount(.max), reason: "court order"))),
        (
            "op-forced-transfer",
            .forcedTransfer(
                ForcedTransfer(transfer: Transfer(asset: S.shares, debit: Fixture.bob, credit: Fixture.alice, amount: Amount(300), memo: "recovery")))
        ),
        (
            "op-declare-dividend",
            .declareAction(DeclareAction(asset: S.shares, terms: .cashDividend(amount: Amount(250), per: Amount(1)), escrowAccount: accountID(0x300)))
        ),
        (
            "op-declare-split",
            .declareAction(
                DeclareAction(asset: S.shares, terms: .split(numerator: 1, denominator: 3, cashInLieu: Amount(999)), escrowAccount: accountID(0x301)))
        ),
        ("op-declare-coupon", .declareAction(DeclareAction(asset: AssetCode("ACME29")!, terms: .coupon(days: 0), escrowAccount: accountID(0x302)))),
        ("op-declare-ballot", .declareAction(DeclareAction(asset: S.shares, terms: .ballot(ballot), escrowAccount: nil))),
        ("op-settle-action", .settleAction(SettleAction(action: 1, accounts: [Fixture.alice, Fixture.bob]))),
        (
            "op-commit-register",
            .commitRegister(
                CommitRegister(action: 1, total: Amount(300), leafCount: 1_024, root: Digest32(bytes: Array(repeating: 0xAB, count: 32))!))
        ),
        ("op-cast-vote", .castVote(CastVote(action: 2, account: Fixture.alice, option: 1))),
        (
            "op-link-pending",
            .linkPending(
                LinkPending(pendings: [
                    PendingID(transaction: transactionID(10), operation: 0), PendingID(transaction: transactionID(10), operation: 1),
                ]))
        ),
    ]
}

@Suite("Canonical encoding: the stockchain")
struct StockchainEncodingTests {
    /// Each example's bytes are its golden file's and docs/ENCODING.md's block,
    /// and decode back to the same operation. `KHATA_WRITE_GOLDEN=1` writes the
    /// golden files (then annotate the doc's blocks by hand and check them here).
    @Test func examplesMatchGoldenFilesAndTheDocs() throws {
        let documented = try documentedExamples()
        for (name, operation) in stockchainExamples() + zoneExamples() + paymentExamples() {
            var writer = ByteWriter(capacity: 256)
            writer.write(operation: operation)
            let bytes = writer.bytes
            if ProcessInfo.processInfo.environment["KHATA_WRITE_GOLDEN"] == "1" {
                let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name).hex")
                try Data((Hex.encode(bytes) + "\n").utf8).write(to: source)
                continue
            }
            #expect(try golden(name) == bytes, "golden \(name)")
            #expect(documented[name] == bytes, "docs/ENCODING.md block \(name)")
            var reader = ByteReader(bytes)
            #expect(try reader.readOperation() == operation)
            try reader.expectEnd("the example")
        }
    }
}
