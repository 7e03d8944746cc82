import Foundation
import KhataBytes
import KhataCore
import KhataEd25519
import KhataTestSupport
import Testing

typealias S = StockchainFixture

func securitiesScenario(for code: RejectionCode) -> RejectionScenario {
    let start = S.state()
    switch code {
    case .instrumentInvalid:
        // INR is an asset but not an instrument: it has no agent and no locks.
        let lock = LockHolding(asset: inr, account: F.alice, amount: Amount(1), reason: "no")
        return RejectionScenario(start: start, failing: F.transaction(1, [.lockHolding(lock)], signedBy: [S.agentKey]))
    case .exceedsAuthorisedAmount:
        // 300 issued; 701 more to Acme's own account (exempt from the holding limit) passes 1,000.
        return RejectionScenario(start: start, failing: F.transaction(1, [S.share(701, from: S.acmeIssuance, to: S.acme)], signedBy: [S.acmeKey]))
    case .holdingLocked:
        return RejectionScenario(
            start: start, setup: [(F.transaction(1, [S.lock(F.alice, 250)], signedBy: [S.agentKey]), 1)],
            failing: F.transaction(2, [S.share(100, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
    case .identityNotVerified:
        return RejectionScenario(start: start, failing: F.transaction(1, [S.share(10, from: F.alice, to: F.carol)], signedBy: [F.aliceKey]))
    case .maxHoldingExceeded:
        return RejectionScenario(start: start, failing: F.transaction(1, [S.share(201, from: S.acmeIssuance, to: F.alice)], signedBy: [S.acmeKey]))
    case .maxHoldersExceeded:
        let oneHolder = SetInstrumentRules(asset: S.shares, rules: S.rules(maxHolders: 1))
        return RejectionScenario(
            start: start, setup: [(F.transaction(1, [.setInstrumentRules(oneHolder)], signedBy: [S.acmeKey]), 1)],
            failing: F.transaction(2, [S.share(10, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
    default:
        preconditionFailure("not a securities rejection: \(code)")
    }
}

@Suite("Stockchain: instruments and transfer rules")
struct SecuritiesTests {
    @Test func registrationCreatesTheInstrumentAndItsIssuanceAccount() throws {
        let state = S.state()
        let instrument = try #require(state.securities.instruments[S.shares])
        #expect(instrument.terms == S.registration && instrument.issuer == S.acme)
        #expect(state.assets[S.shares]?.kind == .equity && state.assets[S.shares]?.scale == 0)
        #expect(state.accounts[S.acmeIssuance]?.issuedAsset == S.shares)
        #expect(state.outstanding(of: S.shares) == 300 && state.supply(of: S.shares) == 300)
        #expect(state.invariantViolations().isEmpty)
    }

    /// Only the issuer registers its instrument: the ledger's operator's keys are
    /// not asked, and a stranger's are refused before sequencing.
    @Test func onlyTheIssuerRegisters() {
        var state = F.genesisState()
        let setup = S.setup[0]
        #expect(apply(&state, setup) == .committed)
        let stranger = F.transaction(1, [.registerInstrument(S.registration)], signedBy: [F.aliceKey])
        #expect(state.refusal(of: stranger)?.code == .insufficientSignatures)
        #expect(apply(&state, stranger) == .rejected(.insufficientSignatures, operation: 0))
        #expect(state.securities.instruments.isEmpty)
    }

    /// No path issues past the authorised amount: not a transfer, not a pending
    /// transfer (pending issues count as outstanding), not two in one transaction.
    @Test func issuanceNeverExceedsTheAuthorisedAmount() {
        var state = S.state()
        let hold = LedgerOperation.pendingTransfer(
            PendingTransfer(transfer: Transfer(asset: S.shares, debit: S.acmeIssuance, credit: S.acme, amount: Amount(600)), timeoutSeconds: 60))
        #expect(apply(&state, F.transaction(1, [hold], signedBy: [S.acmeKey])) == .committed)
        #expect(state.outstanding(of: S.shares) == 900)
        #expect(
            apply(&state, F.transaction(2, [S.share(101, from: S.acmeIssuance, to: S.acme)], signedBy: [S.acmeKey]))
                == .rejected(.exceedsAuthorisedAmount, operation: 0))
        #expect(
            apply(
                &state,
                F.transaction(
                    3, [S.share(50, from: S.acmeIssuance, to: S.acme), S.share(51, from: S.acmeIssuance, to: S.acme)], signedBy: [S.acmeKey]))
                == .rejected(.exceedsAuthorisedAmount, operation: 1))
        #expect(apply(&state, F.transaction(4, [S.share(100, from: S.acmeIssuance, to: S.acme)], signedBy: [S.acmeKey])) == .committed)
        #expect(state.outstanding(of: S.shares) == 1_000)
        #expect(state.invariantViolations().isEmpty)
    }

    /// Cancelling (a transfer back to the issuance account) needs the issuer's
    /// signatures as well as the holder's; it lowers what is outstanding.
    @Test func cancellationNeedsTheIssuer() {
        var state = S.state()
        let cancel = S.share(100, from: F.alice, to: S.acmeIssuance)
        let holderOnly = F.transaction(1, [cancel], signedBy: [F.aliceKey])
        #expect(state.refusal(of: holderOnly)?.code == .insufficientSignatures)
        #expect(apply(&state, holderOnly) == .rejected(.insufficientSignatures, operation: 0))
        #expect(apply(&state, F.transaction(2, [cancel], signedBy: [F.aliceKey, S.acmeKey])) == .committed)
        #expect(state.outstanding(of: S.shares) == 200 && state.balance(of: F.alice, in: S.shares).posted == 200)
    }

    /// A lock-up holds until its time, then frees the holding; a freeze holds
    /// until lifted; the locked part is what cannot move, the rest can.
    @Test func locksHoldUntilTheirTime() {
        var state = S.state()
        let until = Timestamp(milliseconds: state.time.milliseconds + 10_000)
        #expect(apply(&state, F.transaction(1, [S.lock(F.alice, 250, until: until)], signedBy: [S.agentKey])) == .committed)
        #expect(apply(&state, F.transaction(2, [S.share(50, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])) == .committed)
        #expect(
            apply(&state, F.transaction(3, [S.share(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
                == .rejected(.holdingLocked, operation: 0))
        // At the lock's end it no longer binds.
        let atEnd = until.milliseconds - state.time.milliseconds
        #expect(apply(&state, F.transaction(4, [S.share(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]), advance: atEnd) == .committed)
        // A freeze of everything, then lifted.
        #expect(apply(&state, F.transaction(5, [S.lock(F.bob, UInt64.max)], signedBy: [S.agentKey])) == .committed)
        #expect(
            apply(&state, F.transaction(6, [S.share(1, from: F.bob, to: F.alice)], signedBy: [F.bobKey]))
                == .rejected(.holdingLocked, operation: 0))
        #expect(apply(&state, F.transaction(7, [S.lock(F.bob, 0)], signedBy: [S.agentKey])) == .committed)
        #expect(state.securities.locks[BalanceKey(account: F.bob, asset: S.shares)] == nil)
        #expect(apply(&state, F.transaction(8, [S.share(1, from: F.bob, to: F.alice)], signedBy: [F.bobKey])) == .committed)
        // A holder cannot lock or unlock: only the agent.
        let byHolder = F.transaction(9, [S.lock(F.alice, 0)], signedBy: [F.aliceKey])
        #expect(state.refusal(of: byHolder)?.code == .insufficientSignatures)
    }

    /// A forced transfer needs the agent, states a reason, ignores locks (it is
    /// how a frozen holding is recovered) and still obeys the receiver's rules.
    @Test func forcedTransferAndRecovery() throws {
        var state = S.state()
        #expect(apply(&state, F.transaction(1, [S.lock(F.alice, UInt64.max)], signedBy: [S.agentKey])) == .committed)
        let recover = LedgerOperation.forcedTransfer(
            ForcedTransfer(transfer: Transfer(asset: S.shares, debit: F.alice, credit: F.bob, amount: Amount(300), memo: "recovery: lost keys")))
        for (id, signers) in [[F.aliceKey], [F.bobKey], [S.acmeKey]].enumerated() {
            let attempt = F.transaction(20 + UInt64(id), [recover], signedBy: signers)
            #expect(state.refusal(of: attempt)?.code == .insufficientSignatures)
            #expect(apply(&state, attempt) == .rejected(.insufficientSignatures, operation: 0))
        }
        #expect(apply(&state, F.transaction(3, [recover], signedBy: [S.agentKey])) == .committed)
        #expect(state.balance(of: F.bob, in: S.shares).posted == 300 && state.balance(of: F.alice, in: S.shares).posted == 0)
        // To an unverified account: refused by the receiver's rule.
        let toCarol = LedgerOperation.forcedTransfer(
            ForcedTransfer(transfer: Transfer(asset: S.shares, debit: F.bob, credit: F.carol, amount: Amount(1), memo: "court order")))
        #expect(apply(&state, F.transaction(4, [toCarol], signedBy: [S.agentKey])) == .rejected(.identityNotVerified, operation: 0))
        // Never an issue.
        let mint = LedgerOperation.forcedTransfer(
            ForcedTransfer(transfer: Transfer(asset: S.shares, debit: S.acmeIssuance, credit: F.bob, amount: Amount(1), memo: "no")))
        #expect(apply(&state, F.transaction(5, [mint], signedBy: [S.agentKey])) == .rejected(.issuanceAccountRestricted, operation: 0))
        // Without a reason it does not even decode.
        #expect(throws: MalformedInput.self) {
            try Transaction(
                id: transactionID(6),
                operations: [.forcedTransfer(ForcedTransfer(transfer: Transfer(asset: S.shares, debit: F.bob, credit: F.alice, amount: Amount(1))))])
        }
        #expect(state.invariantViolations().isEmpty)
    }

    /// An identity attestation counts until it expires, only from a provider
    /// the instrument names, and only at the minimum tier; tier 0 withdraws it.
    @Test func identityRules() {
        var state = S.state()
        let soon = Timestamp(milliseconds: state.time.milliseconds + 5)
        #expect(apply(&state, F.transaction(1, [S.attest(F.carol, tier: 1, until: soon)], signedBy: [S.kycKey])) == .committed)
        #expect(apply(&state, F.transaction(2, [S.share(1, from: F.alice, to: F.carol)], signedBy: [F.aliceKey])) == .committed)
        #expect(
            apply(&state, F.transaction(3, [S.share(1, from: F.alice, to: F.carol)], signedBy: [F.aliceKey]), advance: 5)
                == .rejected(.identityNotVerified, operation: 0))
        // Withdrawn: Bob may no longer receive.
        #expect(apply(&state, F.transaction(4, [S.attest(F.bob, tier: 0, until: Timestamp(milliseconds: 0))], signedBy: [S.kycKey])) == .committed)
        #expect(
            apply(&state, F.transaction(5, [S.share(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
                == .rejected(.identityNotVerified, operation: 0))
        // A tier-2 rule: Alice (tier 2) may receive, Carol re-verified at tier 1 may not.
        let tier2 = SetInstrumentRules(asset: S.shares, rules: S.rules(minimumTier: 2))
        #expect(
            apply(&state, F.transaction(6, [.setInstrumentRules(tier2), S.attest(F.carol, tier: 1)], signedBy: [S.acmeKey, S.kycKey])) == .committed)
        #expect(
            apply(&state, F.transaction(7, [S.share(1, from: F.carol, to: F.alice)], signedBy: [F.carolKeys[0], F.carolKeys[1]])) == .committed)
        // An attestation by someone the instrument does not name counts for nothing.
        let other = AttestIdentity(provider: F.bob, account: F.carol, tier: 9, expiresAt: S.farFuture)
        #expect(apply(&state, F.transaction(8, [.attestIdentity(other)], signedBy: [F.bobKey])) == .committed)
        #expect(
            apply(&state, F.transaction(9, [S.share(1, from: F.alice, to: F.carol)], signedBy: [F.aliceKey]))
                == .rejected(.identityNotVerified, operation: 0))
    }

    /// The holder limit counts the payer out when a transfer empties its holding,
    /// and a pending transfer to a new holder is checked when it is posted.
    @Test func holderLimitCountsPreciselyAndAtPost() {
        var state = S.state()
        let one = SetInstrumentRules(asset: S.shares, rules: S.rules(maxHolders: 1))
        #expect(apply(&state, F.transaction(1, [.setInstrumentRules(one)], signedBy: [S.acmeKey])) == .committed)
        #expect(apply(&state, F.transaction(2, [S.share(300, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])) == .committed)
        #expect(state.holders[S.shares] == 1)
        let hold = LedgerOperation.pendingTransfer(
            PendingTransfer(transfer: Transfer(asset: S.shares, debit: F.bob, credit: F.alice, amount: Amount(10)), timeoutSeconds: 60))
        #expect(apply(&state, F.transaction(3, [hold], signedBy: [F.bobKey])) == .committed)
        let post = LedgerOperation.postPending(PostPending(pending: PendingID(transaction: transactionID(3), operation: 0), amount: Amount(10)))
        #expect(apply(&state, F.transaction(4, [post], signedBy: [F.bobKey])) == .rejected(.maxHoldersExceeded, operation: 0))
        #expect(state.invariantViolations().isEmpty)
    }

    /// Delivery versus payment: shares one way and rupees the other in one
    /// transaction signed by both; if either leg fails, neither moves.
    @Test func deliveryVersusPaymentIsAtomic() {
        var state = S.state()
        let before = (state.balance(of: F.alice, in: S.shares), state.balance(of: F.bob, in: inr))
        let bobBroke = F.transaction(
            1, [S.share(100, from: F.alice, to: F.bob), F.transfer(50_000, from: F.bob, to: F.alice)], signedBy: [F.aliceKey, F.bobKey])
        #expect(apply(&state, bobBroke) == .rejected(.exceedsAvailableBalance, operation: 1))
        #expect((state.balance(of: F.alice, in: S.shares), state.balance(of: F.bob, in: inr)) == before)
        // Only the buyer signs: refused before sequencing, nothing logged.
        let oneSide = F.transaction(2, [S.share(100, from: F.alice, to: F.bob), F.transfer(1, from: F.bob, to: F.alice)], signedBy: [F.bobKey])
        #expect(state.refusal(of: oneSide)?.code == .insufficientSignatures)
        #expect(apply(&state, F.transaction(3, [F.transfer(60_000, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])) == .committed)
        let trade = F.transaction(
            4, [S.share(100, from: F.alice, to: F.bob), F.transfer(50_000, from: F.bob, to: F.alice)], signedBy: [F.aliceKey, F.bobKey])
        #expect(apply(&state, trade) == .committed)
        #expect(state.balance(of: F.bob, in: S.shares).posted == 100 && state.balance(of: F.bob, in: inr).posted == 10_000)
    }

    /// A simulation answers what applying would, and changes nothing.
    @Test func simulationAnswersWithoutChanging() {
        let state = S.state()
        let digest = state.digest
        let cases: [Transaction] = [
            F.transaction(1, [S.share(10, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]),
            F.transaction(2, [S.share(10, from: F.alice, to: F.carol)], signedBy: [F.aliceKey]),
            F.transaction(3, [S.share(701, from: S.acmeIssuance, to: S.acme)], signedBy: [S.acmeKey]),
            F.transaction(4, [S.lock(F.alice, 1)], signedBy: [F.aliceKey]),
        ]
        for transaction in cases {
            var applied = state
            let expected: Simulation =
                state.refusal(of: transaction).map { .refused($0) } ?? .outcome(apply(&applied, transaction))
            #expect(state.simulate(transaction, at: Timestamp(milliseconds: state.time.milliseconds + 1)) == expected)
        }
        #expect(state.simulate(S.setup[3], at: state.time) == .logged(state.record(of: S.setup[3].id)!))
        #expect(state.digest == digest)
    }

    /// Every new operation and the securities state survive the binary and JSON
    /// forms and a snapshot; replay reaches the same digest.
    @Test func encodingsRoundTrip() throws {
        var state = S.state()
        let bond = RegisterInstrument(
            asset: AssetCode("ACME29")!, issuer: S.acme, issuanceAccount: accountID(0x201), name: "Acme 7.5% 2029",
            document: Digest32.sha256(Array("bond terms".utf8)), authorised: Amount(10_000), currency: inr,
            terms: .bond(
                BondTerms(
                    faceValue: Amount(100_000), couponBasisPoints: 750, couponMonths: 6, maturity: Timestamp(milliseconds: 1_861_920_000_000),
                    dayCount: .thirty360)))
        let fund = RegisterInstrument(
            asset: AssetCode("ACMEF")!, scale: 3, issuer: S.acme, issuanceAccount: accountID(0x202), name: "Acme fund",
            document: Digest32.sha256([]), authorised: Amount(1_000_000), currency: inr, terms: .fund)
        let transaction = F.transaction(
            1,
            [
                .registerInstrument(bond), .registerInstrument(fund), S.lock(F.alice, 10, until: S.farFuture),
                .setInstrumentRules(SetInstrumentRules(asset: S.shares, rules: S.rules(maxHolders: 7))),
            ], signedBy: [S.acmeKey, S.agentKey])
        #expect(apply(&state, transaction) == .committed)
        for candidate in S.setup + [transaction] {
            #expect(try Transaction(decoding: candidate.encoded) == candidate)
            let json = try JSONEncoder().encode(candidate)
            #expect(try JSONDecoder().decode(Transaction.self, from: json) == candidate)
        }
        let restored = try LedgerState(snapshot: state.encodedSnapshot())
        #expect(restored.digest == state.digest && restored.securities == state.securities)
    }

    /// Malformed instrument bytes and JSON are refused with a reason.
    @Test func malformedInstrumentsAreRefused() throws {
        #expect(throws: MalformedInput.self) { try InstrumentRules(minimumTier: 1) }
        #expect(throws: MalformedInput.self) { try InstrumentRules(identityProviders: [F.bob, F.alice]) }
        var zeroAuthorised = S.registration
        zeroAuthorised.authorised = .zero
        #expect(throws: MalformedInput.self) { try Transaction(id: transactionID(1), operations: [.registerInstrument(zeroAuthorised)]) }
        var badCoupon = S.registration
        badCoupon.terms = .bond(
            BondTerms(faceValue: Amount(1), couponBasisPoints: 500, couponMonths: 5, maturity: S.farFuture, dayCount: .actual365))
        #expect(throws: MalformedInput.self) { try Transaction(id: transactionID(1), operations: [.registerInstrument(badCoupon)]) }
        let unknownField =
            #"{"type":"lock_holding","asset":"ACME","account":"00000000000000000000000000000002","amount":"1","reason":"x","freeze":true}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(LedgerOperation.self, from: Data(unknownField.utf8)) }
    }

    /// A random workload of issues, trades, cancellations, locks and forced
    /// transfers keeps, after every entry: outstanding = the sum of holdings,
    /// never above the authorised amount, and the ledger's invariants.
    @Test func randomWorkloadKeepsOutstandingEqualToHoldings() throws {
        var state = S.state()
        let start = state
        var entries: [Entry] = []
        var random = SeededGenerator(seed: 15)
        let holders = [F.alice, F.bob, S.acme]
        let keys = [F.alice: F.aliceKey, F.bob: F.bobKey, S.acme: S.acmeKey]
        for step in 0..<2_000 {
            let pick = { (n: Int) in Int(random.next() % UInt64(n)) }
            let amount = random.next() % 120 + 1
            let from = holders[pick(3)]
            var to = holders[pick(3)]
            if to == from { to = holders[(holders.firstIndex(of: from)! + 1) % 3] }
            let operation: LedgerOperation
            var signers: [SigningKey]
            switch pick(6) {
            case 0: (operation, signers) = (S.share(amount, from: S.acmeIssuance, to: to), [S.acmeKey])
            case 1: (operation, signers) = (S.share(amount, from: from, to: S.acmeIssuance), [keys[from]!, S.acmeKey])
            case 2: (operation, signers) = (S.lock(from, random.next() % 200), [S.agentKey])
            case 3:
                let forced = Transfer(asset: S.shares, debit: from, credit: to, amount: Amount(amount), memo: "order \(step)")
                (operation, signers) = (.forcedTransfer(ForcedTransfer(transfer: forced)), [S.agentKey])
            default: (operation, signers) = (S.share(amount, from: from, to: to), [keys[from]!])
            }
            if from == S.acme && signers.count == 2 { signers = [S.acmeKey] }
            let transaction = F.transaction(10_000 + UInt64(step), [operation], signedBy: signers)
            try transaction.verifySignatures(origin: state.origin)
            let time = Timestamp(milliseconds: state.time.milliseconds + 1)
            let outcome = state.apply(transaction, contentDigest: transaction.contentDigest, index: LeafIndex(state.size), time: time)
            entries.append(
                try Entry(
                    decoding: Entry.encode(index: LeafIndex(state.size - 1), time: time, kind: 1, payload: transaction.encoded, outcome: outcome)))
            let held = holders.map { state.balance(of: $0, in: S.shares).posted }.reduce(0, +)
            #expect(Int128(state.outstanding(of: S.shares)) == held, "after step \(step)")
            #expect(state.outstanding(of: S.shares) <= 1_000)
            if step % 200 == 0 { #expect(state.invariantViolations().isEmpty) }
        }
        // Replay from the logged entries, each checked against its logged outcome.
        var replayed = start
        for entry in entries { #expect(try replayed.replay(entry)) }
        #expect(replayed.digest == state.digest)
        #expect(try LedgerState(snapshot: state.encodedSnapshot()).digest == state.digest)
    }
}

/// Two-phase delivery versus payment: both legs pending and linked, then
/// posted together, voided together, or expired together.
@Suite("Stockchain: linked pending transfers")
struct LinkedPendingTests {
    static func legs(_ id: UInt64, timeout: UInt32 = 60, paymentTimeout: UInt32? = nil) -> Transaction {
        let delivery = PendingTransfer(
            transfer: Transfer(asset: S.shares, debit: F.alice, credit: F.bob, amount: Amount(100)), timeoutSeconds: timeout)
        let payment = PendingTransfer(
            transfer: Transfer(asset: inr, debit: F.bob, credit: F.alice, amount: Amount(50_000)), timeoutSeconds: paymentTimeout ?? timeout)
        let ids = [PendingID(transaction: transactionID(id), operation: 0), PendingID(transaction: transactionID(id), operation: 1)]
        return F.transaction(
            id, [.pendingTransfer(delivery), .pendingTransfer(payment), .linkPending(LinkPending(pendings: ids))], signedBy: [F.aliceKey, F.bobKey])
    }

    static func post(_ matched: UInt64, _ leg: UInt16, amount: UInt64) -> LedgerOperation {
        .postPending(PostPending(pending: PendingID(transaction: transactionID(matched), operation: leg), amount: Amount(amount)))
    }

    static func state() -> LedgerState {
        var state = S.state()
        precondition(apply(&state, F.transaction(1, [F.transfer(100_000, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])) == .committed)
        return state
    }

    @Test func legsPostTogetherOrNotAtAll() throws {
        var state = Self.state()
        #expect(apply(&state, Self.legs(10)) == .committed)
        let before = (state.balance(of: F.alice, in: inr), state.balance(of: F.bob, in: S.shares))
        // The seller posts only the delivery: refused as a whole, nothing moves.
        #expect(
            apply(&state, F.transaction(11, [Self.post(10, 0, amount: 100)], signedBy: [F.aliceKey]))
                == .rejected(.linkedPendingUnresolved, operation: 0))
        #expect((state.balance(of: F.alice, in: inr), state.balance(of: F.bob, in: S.shares)) == before)
        // Both payers post both legs in one transaction.
        #expect(
            apply(&state, F.transaction(12, [Self.post(10, 0, amount: 100), Self.post(10, 1, amount: 50_000)], signedBy: [F.aliceKey, F.bobKey]))
                == .committed)
        #expect(state.balance(of: F.bob, in: S.shares).posted == 100 && state.balance(of: F.alice, in: inr).posted == before.0.posted + 50_000)
        #expect(try LedgerState(snapshot: state.encodedSnapshot()).securities == state.securities)
        #expect(state.invariantViolations().isEmpty)
    }

    /// A payer cannot link its hold for a payee with a hold of its own and void
    /// that one to take the first back: every payee signs a link.
    @Test func everyPayeeAgreesToALink() {
        var state = Self.state()
        let toBob = PendingTransfer(transfer: Transfer(asset: inr, debit: F.alice, credit: F.bob, amount: Amount(100)), timeoutSeconds: 60)
        let toCarol = PendingTransfer(transfer: Transfer(asset: inr, debit: F.alice, credit: F.carol, amount: Amount(1)), timeoutSeconds: 60)
        #expect(apply(&state, F.transaction(40, [.pendingTransfer(toBob), .pendingTransfer(toCarol)], signedBy: [F.aliceKey])) == .committed)
        let ids = [PendingID(transaction: transactionID(40), operation: 0), PendingID(transaction: transactionID(40), operation: 1)]
        let link = F.transaction(41, [.linkPending(LinkPending(pendings: ids))], signedBy: [F.aliceKey])
        #expect(state.refusal(of: link)?.code == .insufficientSignatures)
        #expect(apply(&state, link) == .rejected(.insufficientSignatures, operation: 0))
    }

    @Test func aVoidVoidsEveryLeg() {
        var state = Self.state()
        #expect(apply(&state, Self.legs(20)) == .committed)
        // The payee of the payment (Alice) gives it up: the delivery is voided with it.
        let void = LedgerOperation.voidPending(VoidPending(pending: PendingID(transaction: transactionID(20), operation: 1)))
        #expect(apply(&state, F.transaction(21, [void], signedBy: [F.aliceKey])) == .committed)
        #expect(state.pendings[PendingID(transaction: transactionID(20), operation: 0)]?.state == .voided)
        #expect(state.balance(of: F.alice, in: S.shares).debitsPending == 0 && state.balance(of: F.bob, in: inr).debitsPending == 0)
        #expect(state.invariantViolations().isEmpty)
    }

    @Test func legsExpireTogetherAndMustBeAbleTo() {
        var state = Self.state()
        #expect(apply(&state, Self.legs(30, timeout: 60, paymentTimeout: 61)) == .rejected(.pendingLinkInvalid, operation: 2))
        #expect(apply(&state, Self.legs(31)) == .committed)
        #expect(
            apply(
                &state, F.transaction(32, [Self.post(31, 0, amount: 100), Self.post(31, 1, amount: 50_000)], signedBy: [F.aliceKey, F.bobKey]),
                advance: 60_000)
                == .rejected(.pendingExpired, operation: 0))
        #expect(state.pendings[PendingID(transaction: transactionID(31), operation: 1)]?.state == .expired)
        // Only the payers link: the buyer alone cannot bind the seller's leg.
        let stranger = F.transaction(
            33,
            [
                .linkPending(
                    LinkPending(pendings: [
                        PendingID(transaction: transactionID(31), operation: 0), PendingID(transaction: transactionID(31), operation: 1),
                    ]))
            ],
            signedBy: [F.bobKey])
        #expect(state.refusal(of: stranger)?.code == .insufficientSignatures)
    }
}
