import Foundation
import KhataBytes
import KhataCore
import KhataEd25519
import KhataTestSupport
import Testing

/// The law of docs/ENCODING.md's worked examples ("Zones and laws"): a small
/// SEZ law with one of each kind of rule.
func exampleLaw() -> Law {
    try! Law(
        document: Digest32(bytes: Array(repeating: 0x22, count: 32))!, url: "https://l.example/sez", utcOffsetMinutes: 330, currency: inr,
        providers: [ProviderGrant(account: accountID(0x313), maxTier: 2)],
        tiers: [TierLimits(perPayment: Amount(10_000), balance: Amount(1_000_000))], allowedAssets: [inr], withholdingBasisPoints: 1_000,
        treasury: accountID(0x311),
        corridors: [Corridor(direction: .inbound, zone: Corridor.anyZone, levyBasisPoints: 50, levyFloor: Amount(10), maxPerPayment: Amount(50_000))],
        exitLevyBasisPoints: 200, entryMinimumTier: 1)
}

/// The zone operations' worked examples of docs/ENCODING.md, one operation each.
func zoneExamples() -> [(name: String, operation: LedgerOperation)] {
    let registration = try! RegisterZone(
        zone: 7, name: "SEZ", governors: [testKey(40).publicKey], guardian: testKey(43).publicKey,
        governance: Governance(votingSeconds: 60, quorum: 1, threshold: 1, vetoes: 1, timelockSeconds: 120), law: exampleLaw())
    return [
        ("op-register-zone", .registerZone(registration)),
        ("op-propose-law", .proposeLaw(ProposeLaw(zone: 7, proposer: testKey(40).publicKey, law: exampleLaw()))),
        ("op-vote-law", .voteLaw(VoteLaw(proposal: 1, governor: testKey(40).publicKey, choice: .veto))),
        ("op-cancel-proposal", .cancelProposal(CancelProposal(proposal: 1))),
        ("op-move-zone", .moveZone(MoveZone(account: Fixture.alice, zone: 7))),
        ("op-pay-levy", .payLevy(PayLevy(operation: 0, zone: 7, amount: Amount(250)))),
    ]
}

@Suite("Canonical encoding: zones and laws")
struct ZoneEncodingTests {
    /// A law's hash is SHA-256 of its encoding (docs/ENCODING.md, "Laws"), pinned here.
    @Test func lawHashIsItsEncodingsHash() throws {
        var writer = ByteWriter(capacity: 256)
        writer.write(law: exampleLaw())
        #expect(exampleLaw().hash == Digest32.sha256(writer.bytes))
        let documented = try documentedExamples()
        #expect(documented["law"] == writer.bytes, "docs/ENCODING.md block law")
        #expect(documented["law-hash"] == exampleLaw().hash.bytes, "docs/ENCODING.md block law-hash: \(exampleLaw().hash.hex)")
    }

    /// A rejection by a law's rule logs the law's hash: outcome kind 2.
    @Test func lawRejectionOutcomeCarriesTheHash() throws {
        let outcome = Outcome.rejected(.lawPaymentCap, operation: 0, law: exampleLaw().hash)
        var writer = ByteWriter(capacity: 64)
        writer.write(outcome: outcome)
        #expect(writer.bytes.count == Outcome.maxEncodedBytes)
        #expect(writer.bytes.prefix(5) == [2, 0, 44, 0, 0])
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readOutcome() == outcome)
        let json = try JSONEncoder().encode(outcome)
        #expect(try JSONDecoder().decode(Outcome.self, from: json) == outcome)
        #expect(String(decoding: json, as: UTF8.self).contains(exampleLaw().hash.hex))
    }

    /// Laws that break a bound are refused as malformed, with a message.
    @Test func malformedLawsAreRefused() {
        var law = exampleLaw()
        law.utcOffsetMinutes = 841
        #expect(throws: MalformedInput.self) { try law.validate() }
        law = exampleLaw()
        law.withholdingBasisPoints = 10_001
        #expect(throws: MalformedInput.self) { try law.validate() }
        law = exampleLaw()
        law.treasury = nil
        #expect(throws: MalformedInput.self) { try law.validate() }
        law = exampleLaw()
        law.corridors = [law.corridors[0], law.corridors[0]]
        #expect(throws: MalformedInput.self) { try law.validate() }
        law = exampleLaw()
        law.corridors[0].levyCap = Amount(5)
        #expect(throws: MalformedInput.self) { try law.validate() }
        #expect(throws: MalformedInput.self) {
            try RegisterZone(
                zone: 1, name: "", governors: [testKey(1).publicKey], guardian: testKey(2).publicKey,
                governance: Governance(votingSeconds: 60, quorum: 1, threshold: 1, timelockSeconds: 0), law: exampleLaw())
        }
        #expect(throws: MalformedInput.self) {
            try RegisterZone(
                zone: 1, name: "Z", governors: [testKey(1).publicKey], guardian: testKey(2).publicKey,
                governance: Governance(votingSeconds: 60, quorum: 2, threshold: 1, timelockSeconds: 0), law: exampleLaw())
        }
    }
}
