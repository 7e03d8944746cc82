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

private typealias R = ReserveFixture

/// Polls `body` (off the cooperative pool) until it returns a value, for up to
/// `seconds`: a bound against hanging, not a timing assertion (a loaded 2-core
/// machine once needed more than 15 s), so it is generous.
private func eventually<T: Sendable>(_ seconds: Double = 120, _ body: @escaping @Sendable () throws -> T?) async throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let value = try await offPool(body) { return value }
        try await Task.sleep(nanoseconds: 100_000_000)
    }
    throw BlockingHTTP.Failure("timed out")
}

@Suite("Reserves over HTTP", .serialized)
struct ReserveNodeTests {
    /// The node commits its liabilities at start and then every interval; a
    /// holder's proof from the node verifies against the commitment in the
    /// audited log, the total is the supply, and the logged reserves cover it;
    /// a tampered proof fails.
    @Test func holderVerifiesInclusionAndCoverage() async throws {
        let genesis = R.genesis(at: Ledger.systemClock().milliseconds)
        try await withNode(genesis: genesis, liabilitiesInterval: 1) { node in
            let key = try NoteVerifierKey(name: Fixture.origin, type: .ed25519, publicKey: Fixture.ledgerKey.publicKey)
            // Bob receives a mint; wait for a commitment that includes it.
            let mint = Fixture.transaction(1, [R.mint(500)], signedBy: [Fixture.issuerKey])
            let receipt = try await offPool { try node.client.submit([mint])[0] }
            #expect(receipt.outcome == .committed)
            let served = try await eventually {
                let view = try node.client.reserves()
                guard let liabilities = view.liabilities, liabilities.proofsAvailable, liabilities.commitment.asOf > receipt.index.value else {
                    return nil as LiabilityProofView?
                }
                return try node.client.liabilityProof(Fixture.bob, key: Fixture.bobKey)
            }
            #expect(served.proof.balance == Amount(500))
            #expect(served.commitment.total == Amount(Fixture.aliceOpeningINR + 500))
            // Wait until a checkpoint covers the commitment, then audit and verify.
            let audited = try await eventually { () -> AuditReport? in
                let report = try Auditor(source: HTTPLogSource(baseURL: node.url), logKey: key).run().0
                return report.state.reserves.liabilities?.index == served.index ? report : nil
            }
            let verification = try ReserveVerifier.verify(served, account: Fixture.bob, audited: audited.state)
            #expect(verification.reserveValue == UInt128(R.reserveValue))
            #expect(verification.requiredCoverageBasisPoints == 10_000)
            // The node's proof with a lowered sibling sum, or for another account, fails.
            var siblings = served.proof.siblings
            let carrying = try #require(siblings.firstIndex { $0.sum.units > 0 })
            siblings[carrying] = .init(hash: siblings[carrying].hash, sum: Amount(siblings[carrying].sum.units - 1))
            let forged = LiabilityProofView(
                index: served.index, commitment: served.commitment,
                proof: LiabilityProof(
                    asset: inr, asOf: served.proof.asOf, leafCount: served.proof.leafCount, position: served.proof.position,
                    account: Fixture.bob, balance: served.proof.balance, salt: served.proof.salt, siblings: siblings))
            #expect(throws: ReserveVerifier.Failure.self) { try ReserveVerifier.verify(forged, account: Fixture.bob, audited: audited.state) }
            #expect(throws: ReserveVerifier.Failure.self) { try ReserveVerifier.verify(served, account: Fixture.alice, audited: audited.state) }
        }
    }

    /// Mints beyond coverage are refused over HTTP; when prices fall the node
    /// reports the currency undercovered in the API and the metrics, and mints
    /// stay refused while burns go through.
    @Test func undercoverageIsReportedEverywhere() async throws {
        let genesis = R.genesis(at: Ledger.systemClock().milliseconds)
        try await withNode(genesis: genesis) { node in
            let tooMuch = Fixture.transaction(1, [R.mint(R.reserveValue)], signedBy: [Fixture.issuerKey])
            #expect(try await offPool { try node.client.submit([tooMuch])[0].outcome } == .rejected(.coverageInsufficient, operation: 0))
            let initial = try await offPool { try node.client.reserves() }
            #expect(initial.status == "covered")
            #expect(initial.now.reserveValue == String(R.reserveValue))
            #expect(initial.now.supply == Amount(Fixture.aliceOpeningINR))
            #expect(initial.policy == R.policy())
            // Two oracles price BTC near zero: the lower median falls with them.
            let now = Ledger.systemClock().milliseconds
            let crash = Fixture.transaction(
                2, [R.price(0, btc, 1, at: now), R.price(1, btc, 1, at: now)], signedBy: Array(R.oracleKeys.prefix(2)))
            #expect(try await offPool { try node.client.submit([crash])[0].outcome } == .committed)
            // Gold alone (570,000,000 paise) still covers Alice's 1,000,000: mint past it.
            let mint = Fixture.transaction(3, [R.mint(570_000_000)], signedBy: [Fixture.issuerKey])
            #expect(try await offPool { try node.client.submit([mint])[0].outcome } == .rejected(.coverageInsufficient, operation: 0))
            // A price fall that leaves gold short of Alice's balance makes the currency undercovered.
            let goldCrash = Fixture.transaction(
                4, [R.price(0, xau, 1, at: now + 1), R.price(1, xau, 1, at: now + 1)], signedBy: Array(R.oracleKeys.prefix(2)))
            #expect(try await offPool { try node.client.submit([goldCrash])[0].outcome } == .committed)
            let status = try await eventually { () -> ReservesView? in
                let view = try node.client.reserves()
                return view.status == "undercovered" ? view : nil
            }
            #expect(status.now.covered == false)
            #expect(try await offPool { try node.client.ledger().reserveStatus } == "undercovered")
            let alarm = try await eventually { () -> String? in
                let metrics = String(decoding: try node.request("GET", "/metrics").body, as: UTF8.self)
                return metrics.contains("khata_reserve_alarm 1.0") ? metrics : nil
            }
            #expect(alarm.contains("khata_reserve_required_coverage_basis_points 10000.0"))
            let history = try await offPool {
                try JSONDecoder().decode(CoverageHistoryView.self, from: Data(try node.request("GET", "/v1/reserves/history").body))
            }
            #expect(history.samples.first?.status == "covered" && history.samples.last?.status == "undercovered")
            // Burns are always allowed.
            let burn = Fixture.transaction(5, [Fixture.transfer(10, from: Fixture.alice, to: Fixture.inrIssuance)], signedBy: [Fixture.aliceKey])
            #expect(try await offPool { try node.client.submit([burn])[0].outcome } == .committed)
        }
    }

    /// The reserve routes refuse what they cannot answer, with problem codes.
    @Test func reserveRoutesRefuseClearly() async throws {
        try await withNode { node in
            // The fixture ledger has no monetary policy.
            let none = try await offPool { try node.request("GET", "/v1/reserves") }
            #expect(none.status == 404 && String(decoding: none.body, as: UTF8.self).contains("no_monetary_policy"))
        }
        let genesis = R.genesis(at: Ledger.systemClock().milliseconds)
        try await withNode(genesis: genesis) { node in
            let malformed = try await offPool { try node.request("GET", "/v1/reserves/proof/xyz") }
            #expect(malformed.status == 400)
            _ = try await eventually { try node.client.reserves().liabilities?.proofsAvailable == true ? true : nil }
            // Carol holds no INR: her own signed request finds no leaf.
            await #expect(throws: ClientError.self) { try await offPool { try node.client.liabilityProof(Fixture.carol, key: Fixture.carolKeys[1]) } }
            let missing = try await offPool {
                try node.request(
                    "GET",
                    "/v1/reserves/proof/\(Fixture.carol.hex)?"
                        + HolderProofRequest(
                            account: Fixture.carol, resource: .reserves, time: KhataClient.now(), signedBy: Fixture.carolKeys[1],
                            origin: Fixture.origin
                        ).query)
            }
            #expect(missing.status == 404 && String(decoding: missing.body, as: UTF8.self).contains("not_a_holder"))
            // Nothing outside the node can make it build a tree: the old trigger is gone.
            #expect(try await offPool { try node.request("POST", "/v1/reserves/commitments") }.status == 404)
        }
    }

    /// A liabilities proof is the holder's alone: a request must be signed, now,
    /// by one of the account's controller keys, for this proof. Unsigned, signed
    /// by a stranger, by a key of another account, stale, for another proof (a
    /// register proof's request replayed here), or with a bad signature: 403,
    /// and the body says what is needed; the holder's own request is answered.
    @Test func proofIsServedOnlyToItsHolder() async throws {
        let genesis = R.genesis(at: Ledger.systemClock().milliseconds)
        try await withNode(genesis: genesis) { node in
            _ = try await eventually { try node.client.reserves().liabilities?.proofsAvailable == true ? true : nil }
            let now = KhataClient.now()
            func status(_ query: String) async throws -> (Int, String) {
                let response = try await offPool { try node.request("GET", "/v1/reserves/proof/\(Fixture.alice.hex)" + query) }
                return (response.status, String(decoding: response.body, as: UTF8.self))
            }
            func signed(
                _ key: SigningKey, at time: Timestamp = now, origin: String = Fixture.origin, for resource: HolderProofRequest.Resource = .reserves
            ) -> String {
                "?" + HolderProofRequest(account: Fixture.alice, resource: resource, time: time, signedBy: key, origin: origin).query
            }
            let holder = try await status(signed(Fixture.aliceKey))
            #expect(holder.0 == 200 && holder.1.contains("\"balance\""), "\(holder)")
            var forged = HolderProofRequest(
                account: Fixture.alice, resource: .reserves, time: now, signedBy: Fixture.aliceKey, origin: Fixture.origin)
            forged = HolderProofRequest(
                account: Fixture.alice, resource: .reserves, time: Timestamp(milliseconds: now.milliseconds + 1), key: forged.key,
                signature: forged.signature)
            for (why, query) in [
                ("unsigned", ""),
                ("a stranger's key", signed(testKey(77))),
                ("another account's key", signed(Fixture.bobKey)),
                ("ten minutes old", signed(Fixture.aliceKey, at: Timestamp(milliseconds: now.milliseconds - 600_000))),
                ("for another ledger", signed(Fixture.aliceKey, origin: "khata.test/other")),
                ("for another proof", signed(Fixture.aliceKey, for: .register(instrument: AssetCode("ACME")!, action: 1))),
                ("a signature over another time", "?" + forged.query),
            ] {
                let (code, body) = try await status(query)
                #expect(code == 403 && body.contains("holder_signature_required"), "\(why): \(code) \(body)")
                #expect(!body.contains("\"salt\""), "\(why)")
            }
            #expect(try await status("?time=1&key=zz&signature=00").0 == 400)
            #expect(try await status("?time=-1&key=\(Fixture.aliceKey.publicKey.hex)&signature=00").0 == 400)
        }
    }
}
