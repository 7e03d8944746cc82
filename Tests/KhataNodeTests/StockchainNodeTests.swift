import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLiabilities
import KhataLog
import KhataNode
import KhataTestSupport
import KhataVerify
import Testing

private typealias S = StockchainFixture
private typealias A = ActionFixture

/// Polls `body` off the cooperative pool until it returns a value: a bound
/// against hanging (generous, for a loaded machine), not a timing assertion.
private func eventually<T: Sendable>(_ seconds: Double = 120, _ body: @escaping @Sendable () throws -> T?) async throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let value = try await offPool(body) { return value }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
    throw BlockingHTTP.Failure("timed out")
}

@Suite("Stockchain over HTTP", .serialized)
struct StockchainNodeTests {
    /// The node settles a dividend by itself, commits its register, and a
    /// holder proves its entitlement against the audited log; the instrument,
    /// its holders and the action are served; a simulation answers without
    /// logging; a ballot's tally is served.
    @Test func dividendSettlesAndHoldersProveEntitlement() async throws {
        try await withNode { node in
            let setup = S.setup + A.setup
            for receipt in try await offPool({ try node.client.submit(setup) }) { #expect(receipt.outcome == .committed) }
            let declare = Fixture.transaction(1, [A.declare(.cashDividend(amount: Amount(250), per: Amount(1)))], signedBy: [S.acmeKey])
            #expect(try await offPool { try node.client.submit([declare])[0].outcome } == .committed)
            let done = try await eventually { () -> ActionView? in
                let view = try node.client.action(1)
                return !view.open && view.register != nil ? view : nil
            }
            #expect(done.paid == Amount(75_000) && done.settledHolders == 2)
            #expect(try await offPool { try node.client.account(Fixture.bob) }.balances.first { $0.asset == inr }?.balance == "2.50")
            // Alice proves what she was owed, against the audited log.
            let key = try NoteVerifierKey(name: Fixture.origin, type: .ed25519, publicKey: Fixture.ledgerKey.publicKey)
            let proof = try await offPool { try node.client.registerProof(of: Fixture.alice, in: S.shares, action: 1, key: Fixture.aliceKey) }
            let audited = try await eventually { () -> AuditReport? in
                let report = try Auditor(source: HTTPLogSource(baseURL: node.url), logKey: key).run().0
                return report.state.securities.actions[1]?.register != nil ? report : nil
            }
            let entitlement = try EntitlementVerifier.verify(proof, account: Fixture.alice, audited: audited.state)
            #expect(entitlement.units == Amount(299) && entitlement.owed == Amount(74_750))
            // Bob's key gets no proof of Alice's holding; nor does Alice's own request
            // for another proof (her liabilities proof, or another action) replayed here.
            #expect(throws: ClientError.self) {
                try node.client.registerProof(of: Fixture.alice, in: S.shares, action: 1, key: Fixture.bobKey)
            }
            for other in [HolderProofRequest.Resource.reserves, .register(instrument: S.shares, action: 2)] {
                let replayed = HolderProofRequest(
                    account: Fixture.alice, resource: other, time: KhataClient.now(), signedBy: Fixture.aliceKey, origin: Fixture.origin)
                let response = try await offPool {
                    try node.request("GET", "/v1/instruments/\(S.shares)/holders/\(Fixture.alice.hex)/proof?action=1&\(replayed.query)")
                }
                #expect(response.status == 403 && String(decoding: response.body, as: UTF8.self).contains("holder_signature_required"), "\(other)")
            }
            // The register at the record date, with its commitment: it sums to the committed total.
            let recordDate = try await offPool { try node.client.action(1) }.recordDate
            let atRecord = try await offPool { try node.client.holders(of: S.shares, at: recordDate, limit: 1) }
            let restAtRecord = try await offPool { try node.client.holders(of: S.shares, at: recordDate, from: atRecord.next ?? 0, limit: 1000) }
            #expect(atRecord.action == 1 && atRecord.register?.root == done.register?.root && atRecord.size == recordDate.value)
            #expect((atRecord.lines + restAtRecord.lines).reduce(0) { $0 + $1.units.units } == done.register?.total.units)
            let noRegister = try await offPool {
                try node.request("GET", "/v1/instruments/\(S.shares)/holders?at=\(recordDate.value + 1)")
            }
            #expect(noRegister.status == 404 && String(decoding: noRegister.body, as: UTF8.self).contains("no_register_at"))
            // Listings by code come a page at a time (anyone may register assets): limit, then after.
            let assets = try await offPool { try node.client.assets() }
            #expect(assets.count >= 2)
            let firstBody = try await offPool { try node.request("GET", "/v1/assets?limit=1") }.body
            let firstAsset = try JSONDecoder().decode([AssetView].self, from: Data(firstBody))
            let restBody = try await offPool { try node.request("GET", "/v1/assets?limit=1000&after=\(firstAsset[0].code)") }.body
            let restAssets = try JSONDecoder().decode([AssetView].self, from: Data(restBody))
            #expect(firstAsset.map(\.code) + restAssets.map(\.code) == assets.map(\.code))
            #expect(try await offPool { try node.client.instruments() }.map(\.asset) == [S.shares])
            let afterShares = try await offPool { try node.request("GET", "/v1/instruments?after=\(S.shares)") }
            #expect(afterShares.status == 200 && String(decoding: afterShares.body, as: UTF8.self).filter { !$0.isWhitespace } == "[]")
            for bad in ["/v1/instruments?limit=0", "/v1/assets?limit=1001", "/v1/instruments?after=not%20a%20code"] {
                #expect(try await offPool { try node.request("GET", bad) }.status == 400, "\(bad)")
            }
            // The instrument and its register now.
            let instrument = try await offPool { try node.client.instrument(S.shares) }
            #expect(instrument.outstanding == Amount(300) && instrument.holders == 2 && instrument.actions == [1])
            let page = try await offPool { try node.client.holders(of: S.shares, limit: 1) }
            #expect(page.lines.count == 1 && page.next != nil && page.holders == 2)
            let rest = try await offPool { try node.client.holders(of: S.shares, from: page.next!, limit: 10) }
            #expect(Set((page.lines + rest.lines).map(\.account)) == [Fixture.alice, Fixture.bob] && rest.next == nil)
            // Simulations: a transfer to an unverified account, then one that would commit; nothing is logged.
            let size = try await offPool { try node.client.state().size }
            let toCarol = Fixture.transaction(2, [S.share(5, from: Fixture.alice, to: Fixture.carol)], signedBy: [Fixture.aliceKey])
            let refused = try await offPool { try node.client.simulate(toCarol) }
            #expect(refused.result == "rejected" && refused.code == .identityNotVerified && refused.operation == 0)
            #expect(refused.detail.contains("identity attestation"))
            let toBob = Fixture.transaction(3, [S.share(5, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey])
            #expect(try await offPool { try node.client.simulate(toBob) }.result == "committed")
            let stranger = Fixture.transaction(4, [S.share(5, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.bobKey])
            #expect(try await offPool { try node.client.simulate(stranger) }.result == "refused")
            #expect(try await offPool { try node.client.simulate(declare) }.result == "logged")
            #expect(try await offPool { try node.client.state().size } == size)
            // A ballot: opened, voted on, its tally served.
            let terms = BallotTerms(question: "Approve the accounts?", options: ["yes", "no"], closesAt: S.farFuture)
            let open = Fixture.transaction(
                5, [.declareAction(DeclareAction(asset: S.shares, terms: .ballot(terms), escrowAccount: nil))], signedBy: [S.acmeKey])
            let vote = Fixture.transaction(6, [.castVote(CastVote(action: 2, account: Fixture.alice, option: 0))], signedBy: [Fixture.aliceKey])
            for receipt in try await offPool({ try node.client.submit([open, vote]) }) { #expect(receipt.outcome == .committed) }
            let ballots = try await offPool { try node.client.ballots() }
            #expect(ballots.map(\.id) == [2] && ballots[0].tally == [Amount(299), Amount(0)] && ballots[0].voters == 1)
        }
    }
}
