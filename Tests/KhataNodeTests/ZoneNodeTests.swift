import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEd25519
import KhataTestSupport
import Testing

private typealias Z = ZoneFixture
private typealias F = Fixture

@Suite("Zones over HTTP", .serialized)
struct ZoneNodeTests {
    /// The zones, their laws and a proposal with its simulated effect are
    /// served; a payment's levies are quoted and paid as their own legs; a
    /// refusal by a law names the law's hash in its receipt.
    @Test func zonesLawsAndProposalsAreServed() async throws {
        try await withNode(genesis: Z.genesis) { node in
            let zones = try await offPool { try node.client.zones() }
            #expect(zones.map(\.id) == [0, Z.sez] && zones[1].lawHash == Z.sezLaw.hash)
            let sez = try await offPool { try node.client.zone(Z.sez) }
            #expect(sez.law.law == Z.sezLaw && sez.law.version == 1 && sez.governance == Z.governance && sez.pending.isEmpty)
            for (path, status) in [
                ("/v1/zones/9", 404), ("/v1/zones/x", 400), ("/v1/zones/65535", 400), ("/v1/proposals/1", 404), ("/v1/zones?x=1", 400),
            ] {
                #expect(try await offPool { try node.request("GET", path) }.status == status, "\(path)")
            }

            // A payment into the SEZ: quoted, then paid with its levies as their own legs.
            let quote = try await offPool { try node.client.levies(asset: inr, debit: F.alice, credit: Z.dave, amount: Amount(5_000)) }
            #expect(quote.levies.map(\.amount.units) == [50, 25] && quote.total == Amount(5_075))
            let pay = F.transaction(
                1,
                [F.transfer(5_000, from: F.alice, to: Z.dave)]
                    + quote.levies.map { .payLevy(PayLevy(operation: 0, zone: $0.zone, amount: $0.amount)) }, signedBy: [F.aliceKey])
            #expect(try await offPool { try node.client.submit([pay])[0].outcome } == .committed)
            // A payment over the cap: the receipt names the rule and the law.
            let over = F.transaction(2, [F.transfer(10_001, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])
            let refused = try await offPool { try node.client.submit([over])[0].outcome }
            #expect(refused == .rejected(.lawPaymentCap, operation: 0, law: Z.mainlandLaw.hash))

            // A proposal for the SEZ: a lower balance cap. Its page shows the
            // change, the tally, and its effect on the state now.
            var tight = Z.sezLaw
            tight.tiers = [TierLimits(daily: Amount(100_000), balance: Amount(400_000))]
            let propose = F.transaction(
                3, [.proposeLaw(ProposeLaw(zone: Z.sez, proposer: Z.governorKeys[0].publicKey, law: tight))], signedBy: [Z.governorKeys[0]])
            #expect(try await offPool { try node.client.submit([propose])[0].outcome } == .committed)
            let listed = try await offPool { try node.client.proposals(zone: Z.sez) }
            #expect(listed.map(\.id) == [1] && listed[0].status == "voting")
            let proposal = try await offPool { try node.client.proposal(1) }
            #expect(proposal.changes == [ParameterChange(parameter: "tiers.0.balance", from: "1000000", to: "400000")])
            #expect(proposal.tally.wouldBe == "no_quorum" && proposal.tally.threshold == 2)
            let effect = try #require(proposal.effect)
            #expect(effect.current.overBalanceCap.accounts == 0)
            #expect(effect.proposed.overBalanceCap.accounts == 1 && effect.proposed.overBalanceCap.amount == Amount(505_000 - 400_000))
            let levies = try #require(effect.levies)
            #expect(levies.payments == 1 && levies.current == Amount(25) && levies.proposed == Amount(25))
            #expect(try await offPool { try node.client.proposal(1, effect: false) }.effect == nil)
            #expect(try await offPool { try node.client.zone(Z.sez) }.pending.map(\.id) == [1])
            let history = try await offPool { try node.client.laws(of: Z.sez) }
            #expect(history.map(\.version) == [1] && history[0].hash == Z.sezLaw.hash && history[0].proposal == nil)
            // Dave's exit levy: 2 % of his ₹5,050.00, declared by the law he entered under.
            let exit = try await offPool { try node.client.exitLevy(of: Z.dave) }
            #expect(exit.levies.map(\.amount) == [Amount(10_100)] && exit.levies[0].zone == Z.sez && exit.total == Amount(10_100))
            #expect(try await offPool { try node.client.exitLevy(of: F.alice) }.levies.isEmpty)
            let mixedPath = "/v1/levies?account=" + Z.dave.hex + "&amount=5"
            let mixed = try await offPool { try node.request("GET", mixedPath) }
            #expect(mixed.status == 400)
        }
    }
}
