import KhataBytes
import KhataCore
import KhataEd25519
import KhataTestSupport
import Testing

typealias Z = ZoneFixture

/// Transaction ids for these tests, so that each test's are distinct.
private final class Counter {
    var next: UInt64 = 1_000
    func id() -> UInt64 {
        next += 1
        return next
    }
}

/// Applies `operations` signed by `signers` at `advance` ms after the last entry.
@discardableResult
private func run(
    _ state: inout LedgerState, _ operations: [LedgerOperation], _ signers: [SigningKey], _ ids: Counter, advance: UInt64 = 1
) -> Outcome {
    apply(&state, F.transaction(ids.id(), operations, signedBy: signers), advance: advance)
}

/// Runs at an absolute time (ms), which must not be before the last entry's.
@discardableResult
private func run(_ state: inout LedgerState, _ operations: [LedgerOperation], _ signers: [SigningKey], _ ids: Counter, at time: UInt64)
    -> Outcome
{
    run(&state, operations, signers, ids, advance: time - state.time.milliseconds)
}

private func attest(_ account: AccountID, tier: UInt8) -> LedgerOperation {
    .attestIdentity(AttestIdentity(provider: Z.kyc, account: account, tier: tier, expiresAt: Timestamp(milliseconds: 1 << 50)))
}

private let erin = accountID(0x320)
private let erinKey = testKey(60)

/// The zone fixture plus Erin, a second SEZ account, and Alice at tier 1.
private func zoneState(_ ids: Counter) -> LedgerState {
    var state = Z.genesisState()
    let setup: [LedgerOperation] = [
        .createAccount(CreateAccount(account: erin, controllers: KeySet(single: erinKey.publicKey), zone: Z.sez)),
        attest(F.alice, tier: 1), attest(erin, tier: 1),
    ]
    precondition(run(&state, setup, [Z.kycKey, erinKey], ids) == .committed)
    return state
}

func zoneScenario(for code: RejectionCode) -> RejectionScenario {
    let start = Z.genesisState()
    let mainland = Z.mainlandLaw.hash
    let sez = Z.sezLaw.hash
    let toDave = { (amount: UInt64) in F.transfer(amount, from: F.alice, to: Z.dave) }
    switch code {
    case .zoneInvalid:
        return RejectionScenario(
            start: start,
            failing: F.transaction(
                1, [.createAccount(CreateAccount(account: accountID(0x399), controllers: KeySet(single: F.bobKey.publicKey), zone: 9))],
                signedBy: [F.bobKey]))
    case .lawInvalid:
        var law = Z.sezLaw
        law.treasury = accountID(0x398)
        let register = LedgerOperation.registerZone(Z.registration(9, name: "Nowhere", law: law))
        return RejectionScenario(start: start, failing: F.transaction(1, [register], signedBy: [F.issuerKey]))
    case .lawAssetNotAllowed:
        return RejectionScenario(
            start: start, failing: F.transaction(1, [F.transfer(1, from: F.btcIssuance, to: Z.dave, asset: btc)], signedBy: [F.issuerKey]),
            law: sez)
    case .lawPaymentCap:
        return RejectionScenario(
            start: start, failing: F.transaction(1, [F.transfer(10_001, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]), law: mainland)
    case .lawCorridorCap:
        let tier1 = F.transaction(1, [attest(F.alice, tier: 1)], signedBy: [Z.kycKey])
        return RejectionScenario(
            start: start, setup: [(tier1, 1)], failing: F.transaction(2, [toDave(50_001)], signedBy: [F.aliceKey]), law: mainland)
    case .lawDailyCap:
        let twice = F.transaction(
            1, [F.transfer(10_000, from: F.alice, to: F.bob), F.transfer(10_000, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])
        return RejectionScenario(
            start: start, setup: [(twice, 1)], failing: F.transaction(2, [F.transfer(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]),
            law: mainland)
    case .lawMonthlyCap:
        let day = { (id: UInt64) in
            F.transaction(id, [F.transfer(10_000, from: F.alice, to: F.bob), F.transfer(10_000, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])
        }
        let third = F.transaction(3, [F.transfer(10_000, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])
        return RejectionScenario(
            start: start, setup: [(day(1), 1), (day(2), 86_400_000), (third, 86_400_000)],
            failing: F.transaction(4, [F.transfer(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]), law: mainland)
    case .lawBalanceCap:
        let fill = F.transaction(1, [F.transfer(500_000, from: F.inrIssuance, to: Z.dave)], signedBy: [F.issuerKey])
        return RejectionScenario(
            start: start, setup: [(fill, 1)], failing: F.transaction(2, [F.transfer(1, from: F.inrIssuance, to: Z.dave)], signedBy: [F.issuerKey]),
            law: sez)
    case .levyUnpaid:
        return RejectionScenario(start: start, failing: F.transaction(1, [toDave(1_000)], signedBy: [F.aliceKey]), law: mainland)
    case .levyMismatch:
        let wrong = LedgerOperation.payLevy(PayLevy(operation: 0, zone: 0, amount: Amount(11)))
        return RejectionScenario(
            start: start, failing: F.transaction(1, [toDave(1_000), wrong], signedBy: [F.aliceKey]), operation: 1, law: mainland)
    case .proposalInvalid:
        let vote = LedgerOperation.voteLaw(VoteLaw(proposal: 1, governor: Z.governorKeys[0].publicKey, choice: .yes))
        return RejectionScenario(start: start, failing: F.transaction(1, [vote], signedBy: [Z.governorKeys[0]]))
    case .proposalClosed:
        let propose = F.transaction(
            1, [.proposeLaw(ProposeLaw(zone: 0, proposer: Z.governorKeys[0].publicKey, law: LawChangeTests.untaxed))], signedBy: [Z.governorKeys[0]])
        let vote = LedgerOperation.voteLaw(VoteLaw(proposal: 1, governor: Z.governorKeys[1].publicKey, choice: .yes))
        return RejectionScenario(
            start: start, setup: [(propose, 1)], failing: F.transaction(2, [vote], signedBy: [Z.governorKeys[1]]), advance: 60_000)
    case .zoneEntryRefused:
        let move = LedgerOperation.moveZone(MoveZone(account: F.bob, zone: Z.sez))
        return RejectionScenario(start: start, failing: F.transaction(1, [move], signedBy: [F.bobKey]), law: sez)
    default:
        preconditionFailure("not a zone rejection: \(code.name)")
    }
}

@Suite struct ZoneRuleTests {
    /// Each cap passes a payment exactly at it and refuses one paisa over, naming the law.
    @Test func perPaymentCapBoundary() {
        let ids = Counter()
        var state = Z.genesisState()
        #expect(run(&state, [F.transfer(10_000, from: F.alice, to: F.bob)], [F.aliceKey], ids) == .committed)
        let before = Books(state)
        let refused = run(&state, [F.transfer(10_001, from: F.alice, to: F.bob)], [F.aliceKey], ids)
        #expect(refused == .rejected(.lawPaymentCap, operation: 0, law: Z.mainlandLaw.hash))
        #expect(Books(state) == before)
        #expect(state.balance(of: F.bob, in: inr).posted == 10_000)
    }

    /// A corridor's limit passes a payment exactly at it (with its levies).
    @Test func corridorCapBoundary() {
        let ids = Counter()
        var state = zoneState(ids)
        #expect(run(&state, Z.payment(50_000, from: F.alice, to: Z.dave, in: state), [F.aliceKey], ids) == .committed)
        let before = Books(state)
        #expect(
            run(&state, Z.payment(50_001, from: F.alice, to: Z.dave, in: state), [F.aliceKey], ids)
                == .rejected(.lawCorridorCap, operation: 0, law: Z.mainlandLaw.hash))
        #expect(Books(state) == before)
    }

    /// A hold within a zone, then the payee moves, then the post: the post
    /// crosses the border now, so the corridor's limit and the levies apply to it.
    @Test func aPostMeetsTheCorridorAsTheHomesAreNow() {
        let ids = Counter()
        var state = zoneState(ids)
        #expect(run(&state, [attest(F.bob, tier: 1)], [Z.kycKey], ids) == .committed)
        let hold = pending(60_000, from: F.alice, to: F.bob, timeout: 600)
        #expect(run(&state, [hold], [F.aliceKey], ids) == .committed)
        let id = PendingID(transaction: transactionID(ids.next), operation: 0)
        #expect(run(&state, [.moveZone(MoveZone(account: F.bob, zone: Z.sez))], [F.bobKey], ids) == .committed)
        let post = LedgerOperation.postPending(PostPending(pending: id, amount: Amount(60_000)))
        #expect(run(&state, [post], [F.aliceKey], ids) == .rejected(.lawCorridorCap, operation: 0, law: Z.mainlandLaw.hash))
        // A part within the limit posts, with the levies it owes now.
        let part = LedgerOperation.postPending(PostPending(pending: id, amount: Amount(40_000)))
        #expect(run(&state, [part], [F.aliceKey], ids) == .rejected(.levyUnpaid, operation: 0, law: Z.mainlandLaw.hash))
        let due = state.leviesDue(asset: inr, debit: F.alice, credit: F.bob, amount: Amount(40_000))
        #expect(run(&state, [part] + due.map { .payLevy(PayLevy(operation: 0, zone: $0.zone, amount: $0.amount)) }, [F.aliceKey], ids) == .committed)
        #expect(state.balance(of: Z.mainTreasury, in: inr).posted == 400 && state.balance(of: Z.sezTreasury, in: inr).posted == 200)
    }

    /// A quote asked for a time after a change's time lock uses the new law.
    @Test func quotesFollowTheLawInForceAtTheirTime() {
        let ids = Counter()
        var state = zoneState(ids)
        var cheaper = Z.mainlandLaw
        cheaper.corridors[0].levyBasisPoints = 10
        let propose = LedgerOperation.proposeLaw(ProposeLaw(zone: 0, proposer: Z.governorKeys[0].publicKey, law: cheaper))
        #expect(run(&state, [propose], [Z.governorKeys[0]], ids) == .committed)
        for governor in 0..<2 {
            #expect(
                run(
                    &state, [.voteLaw(VoteLaw(proposal: 1, governor: Z.governorKeys[governor].publicKey, choice: .yes))], [Z.governorKeys[governor]],
                    ids) == .committed)
        }
        let later = Timestamp(milliseconds: state.time.milliseconds + 200_000)
        #expect(state.leviesDue(asset: inr, debit: F.alice, credit: Z.dave, amount: Amount(20_000))[0].amount.units == 200)
        #expect(state.leviesDue(asset: inr, debit: F.alice, credit: Z.dave, amount: Amount(20_000), at: later)[0].amount.units == 20)
    }

    /// The day is the zone's, as logged: the mainland's starts at 00:00 UTC, the
    /// SEZ's at 18:30 UTC the day before (UTC+5:30), whatever the machine's clock.
    @Test func dailyWindowsRollAtTheZonesMidnight() {
        let ids = Counter()
        var state = zoneState(ids)
        // Alice is tier 1 on the mainland: ₹2,000 a day.
        #expect(
            run(&state, [F.transfer(100_000, from: F.alice, to: F.bob), F.transfer(100_000, from: F.alice, to: F.bob)], [F.aliceKey], ids)
                == .committed)
        #expect(
            run(&state, [F.transfer(1, from: F.alice, to: F.bob)], [F.aliceKey], ids, at: 86_399_999)
                == .rejected(.lawDailyCap, operation: 0, law: Z.mainlandLaw.hash))
        #expect(run(&state, [F.transfer(1, from: F.alice, to: F.bob)], [F.aliceKey], ids, at: 86_400_000) == .committed)

        // Dave (SEZ, tier 0): ₹1,000 a day, in SEZ time.
        var sez = zoneState(ids)
        #expect(run(&sez, [F.transfer(100_000, from: Z.dave, to: erin)], [Z.daveKey], ids) == .committed)
        let sezMidnight: UInt64 = 86_400_000 - 330 * 60_000
        #expect(
            run(&sez, [F.transfer(1, from: Z.dave, to: erin)], [Z.daveKey], ids, at: sezMidnight - 1)
                == .rejected(.lawDailyCap, operation: 0, law: Z.sezLaw.hash))
        #expect(run(&sez, [F.transfer(1, from: Z.dave, to: erin)], [Z.daveKey], ids, at: sezMidnight) == .committed)
    }

    /// The month is the zone's calendar month: February 1970 starts on day 31.
    @Test func monthlyWindowRollsOnTheFirst() {
        let ids = Counter()
        var state = Z.genesisState()
        let day: UInt64 = 86_400_000
        for n in 0..<2 {
            #expect(
                run(
                    &state, [F.transfer(10_000, from: F.alice, to: F.bob), F.transfer(10_000, from: F.alice, to: F.bob)], [F.aliceKey], ids,
                    at: UInt64(n) * day + 2_000) == .committed)
        }
        #expect(run(&state, [F.transfer(10_000, from: F.alice, to: F.bob)], [F.aliceKey], ids, at: 30 * day + 5_000) == .committed)
        #expect(
            run(&state, [F.transfer(1, from: F.alice, to: F.bob)], [F.aliceKey], ids, at: 31 * day - 1)
                == .rejected(.lawMonthlyCap, operation: 0, law: Z.mainlandLaw.hash))
        #expect(run(&state, [F.transfer(1, from: F.alice, to: F.bob)], [F.aliceKey], ids, at: 31 * day) == .committed)
    }

    /// The balance cap counts pending credits; a hold to the cap passes, a paisa more does not.
    @Test func balanceCapCountsPendingCredits() {
        let ids = Counter()
        var state = Z.genesisState()
        let hold = LedgerOperation.pendingTransfer(
            PendingTransfer(transfer: Transfer(asset: inr, debit: F.inrIssuance, credit: Z.dave, amount: Amount(500_000)), timeoutSeconds: 60))
        #expect(run(&state, [hold], [F.issuerKey], ids) == .committed)
        #expect(
            run(&state, [F.transfer(1, from: F.inrIssuance, to: Z.dave)], [F.issuerKey], ids)
                == .rejected(.lawBalanceCap, operation: 0, law: Z.sezLaw.hash))
    }

    /// Value crossing a border pays the payer's zone's outbound levy and the
    /// payee's zone's inbound levy, as their own legs: the payer pays amount +
    /// levies, the payee gets the amount, the treasuries the levies.
    @Test func leviesAreTheirOwnLegs() {
        let ids = Counter()
        var state = zoneState(ids)
        let due = state.leviesDue(asset: inr, debit: F.alice, credit: Z.dave, amount: Amount(20_000))
        #expect(due.map(\.zone) == [0, Z.sez] && due.map(\.amount.units) == [200, 100])
        let alice = state.balance(of: F.alice, in: inr).posted
        #expect(run(&state, Z.payment(20_000, from: F.alice, to: Z.dave, in: state), [F.aliceKey], ids) == .committed)
        #expect(state.balance(of: F.alice, in: inr).posted == alice - 20_300)
        #expect(state.balance(of: Z.dave, in: inr).posted == Int128(Z.daveOpeningINR) + 20_000)
        #expect(state.balance(of: Z.mainTreasury, in: inr).posted == 200)
        #expect(state.balance(of: Z.sezTreasury, in: inr).posted == 100)
        // The floor and the cap: 1 % of ₹5 is 5 paise, raised to 10; 1 % of ₹500 is ₹5, the cap.
        #expect(state.leviesDue(asset: inr, debit: F.alice, credit: Z.dave, amount: Amount(500))[0].amount.units == 10)
        #expect(state.leviesDue(asset: inr, debit: F.alice, credit: Z.dave, amount: Amount(50_000))[0].amount.units == 500)
        // Rounded down, never against the payer: 0.5 % of 199 paise is 0.995, so 0.
        #expect(state.leviesDue(asset: inr, debit: F.alice, credit: Z.dave, amount: Amount(199)).map(\.zone) == [0])
        // Within a zone, nothing.
        #expect(state.leviesDue(asset: inr, debit: F.alice, credit: F.bob, amount: Amount(20_000)).isEmpty)
    }

    /// A forced transfer, an issue and a levy itself are not payments of the
    /// holder: only the receiver's rules apply to the first two.
    @Test func issuesObeyOnlyTheReceiversRules() {
        let ids = Counter()
        var state = Z.genesisState()
        // The issuance account is in no zone: no levy and no payer cap (the mainland's
        // tier 0 pays at most ₹100 at once) on a mint of ₹5,000 to Dave in the SEZ.
        #expect(run(&state, [F.transfer(500_000, from: F.inrIssuance, to: Z.dave)], [F.issuerKey], ids) == .committed)
        #expect(state.balance(of: Z.mainTreasury, in: inr).posted == 0 && state.balance(of: Z.sezTreasury, in: inr).posted == 0)
        #expect(state.zones.outflows[F.inrIssuance] == nil)
        // The receiver's rules do apply: its balance cap (₹10,000 held) ...
        #expect(
            run(&state, [F.transfer(1, from: F.inrIssuance, to: Z.dave)], [F.issuerKey], ids)
                == .rejected(.lawBalanceCap, operation: 0, law: Z.sezLaw.hash))
        // ... and the assets it may receive (a mint of BTC).
        #expect(
            run(&state, [F.transfer(1, from: F.btcIssuance, to: Z.dave, asset: btc)], [F.issuerKey], ids)
                == .rejected(.lawAssetNotAllowed, operation: 0, law: Z.sezLaw.hash))
    }
}

@Suite struct LawChangeTests {
    private static func propose(_ law: Law, zone: ZoneID = 0, by governor: Int = 0) -> LedgerOperation {
        .proposeLaw(ProposeLaw(zone: zone, proposer: Z.governorKeys[governor].publicKey, law: law))
    }

    private static func vote(_ proposal: UInt64, _ governor: Int, _ choice: VoteLaw.Choice) -> (LedgerOperation, SigningKey) {
        (.voteLaw(VoteLaw(proposal: proposal, governor: Z.governorKeys[governor].publicKey, choice: choice)), Z.governorKeys[governor])
    }

    /// The mainland's law without withholding.
    static var untaxed: Law {
        var law = Z.mainlandLaw
        law.withholdingBasisPoints = 0
        return law
    }

    /// A tighter mainland law: ₹50 a payment.
    private static var tighter: Law {
        var law = Z.mainlandLaw
        law.tiers[0].perPayment = Amount(5_000)
        return law
    }

    /// Runs a proposal with the given votes and returns the state after its
    /// voting ended, and the log so far (each transaction with its advance).
    private static func decide(_ votes: [(Int, VoteLaw.Choice)], ids: Counter) -> (LedgerState, [(Transaction, UInt64)]) {
        var state = Z.genesisState()
        var log: [(Transaction, UInt64)] = [(F.transaction(ids.id(), [propose(tighter)], signedBy: [Z.governorKeys[0]]), 1)]
        for (governor, choice) in votes {
            let (op, key) = vote(1, governor, choice)
            log.append((F.transaction(ids.id(), [op], signedBy: [key]), 1))
        }
        // The first entry at or after the end of voting tallies.
        log.append((F.transaction(ids.id(), [F.transfer(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]), 60_000))
        for (transaction, advance) in log { #expect(apply(&state, transaction, advance: advance) == .committed) }
        return (state, log)
    }

    @Test func quorumThresholdAndVetoDecide() {
        #expect(Self.decide([(0, .yes)], ids: Counter()).0.zones.proposals[1]?.status == .noQuorum)
        #expect(Self.decide([(0, .yes), (1, .no)], ids: Counter()).0.zones.proposals[1]?.status == .rejected)
        #expect(Self.decide([(0, .yes), (1, .yes), (2, .veto)], ids: Counter()).0.zones.proposals[1]?.status == .vetoed)
        // A later vote replaces an earlier one.
        #expect(Self.decide([(0, .yes), (1, .no), (1, .yes)], ids: Counter()).0.zones.proposals[1]?.status == .passed)
    }

    /// A passed change waits out its time lock under the old law, then binds
    /// from exactly one index; replaying the log reaches the same decisions.
    @Test func passedChangeTakesEffectAtOneIndexAfterTheTimeLock() throws {
        let ids = Counter()
        var (state, log) = Self.decide([(0, .yes), (1, .yes)], ids: ids)
        let proposal = try #require(state.zones.proposals[1])
        #expect(proposal.status == .passed)
        let enactsAt = try #require(proposal.enactsAt).milliseconds
        // During the time lock the old law binds: ₹100 passes, up to the last millisecond.
        let during = F.transaction(ids.id(), [F.transfer(10_000, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])
        log.append((during, enactsAt - 1 - state.time.milliseconds))
        #expect(apply(&state, during, advance: log.last!.1) == .committed)
        #expect(state.zones.zones[0]?.law.version == 1)
        let after = F.transaction(ids.id(), [F.transfer(10_000, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])
        log.append((after, 1))
        let index = state.size
        #expect(apply(&state, after, advance: 1) == .rejected(.lawPaymentCap, operation: 0, law: Self.tighter.hash))
        let version = try #require(state.zones.zones[0]?.law)
        #expect(version.version == 2 && version.inForceFrom.value == index && version.hash == Self.tighter.hash)
        #expect(state.zones.proposals[1]?.status == .enacted && state.zones.proposals[1]?.decidedAt?.value == index)

        // Replaying the same entries reaches the same outcomes and the same state;
        // so does a state restored from a snapshot.
        var replayed = Z.genesisState()
        var outcomes: [Outcome] = []
        for (transaction, advance) in log { outcomes.append(apply(&replayed, transaction, advance: advance)) }
        #expect(outcomes.last == .rejected(.lawPaymentCap, operation: 0, law: Self.tighter.hash))
        #expect(replayed.digest == state.digest)
        #expect(try LedgerState(snapshot: state.encodedSnapshot()).digest == state.digest)
    }

    @Test func guardianCancelsDuringTheTimeLock() {
        let ids = Counter()
        var (state, _) = Self.decide([(0, .yes), (1, .yes)], ids: ids)
        let cancel = LedgerOperation.cancelProposal(CancelProposal(proposal: 1))
        // A governor is not the guardian: refused before the log.
        let byGovernor = F.transaction(ids.id(), [cancel], signedBy: [Z.governorKeys[0]])
        #expect(state.refusal(of: byGovernor)?.code == .insufficientSignatures)
        #expect(run(&state, [cancel], [Z.guardianKey], ids) == .committed)
        #expect(state.zones.proposals[1]?.status == .cancelled)
        // Past the time lock, nothing takes effect; a second cancel is too late.
        #expect(run(&state, [F.transfer(10_000, from: F.alice, to: F.bob)], [F.aliceKey], ids, advance: 200_000) == .committed)
        #expect(state.zones.zones[0]?.law.version == 1)
        #expect(run(&state, [cancel], [Z.guardianKey], ids) == .rejected(.proposalClosed, operation: 0))
    }

    /// A proposal and its cancel in one transaction (the guardian signs with the governor).
    @Test func aProposalCanBeCancelledInItsOwnTransaction() {
        let ids = Counter()
        var state = Z.genesisState()
        let both: [LedgerOperation] = [Self.propose(Self.tighter), .cancelProposal(CancelProposal(proposal: 1))]
        let transaction = F.transaction(ids.id(), both, signedBy: [Z.governorKeys[0], Z.guardianKey])
        #expect(state.refusal(of: transaction) == nil)
        #expect(apply(&state, transaction) == .committed)
        #expect(state.zones.proposals[1]?.status == .cancelled)
        // Without the guardian, the state machine refuses the cancel.
        let alone = F.transaction(
            ids.id(), [Self.propose(Self.tighter), .cancelProposal(CancelProposal(proposal: 2))], signedBy: [Z.governorKeys[0]])
        #expect(apply(&state, alone) == .rejected(.insufficientSignatures, operation: 1))
    }

    /// The mainland takes every account: no law may raise its entry tier.
    @Test func theMainlandsEntryTierStaysZero() {
        let ids = Counter()
        var state = Z.genesisState()
        var closed = Z.mainlandLaw
        closed.entryMinimumTier = 1
        #expect(run(&state, [Self.propose(closed)], [Z.governorKeys[0]], ids) == .rejected(.lawInvalid, operation: 0))
        let registration = Z.registration(0, name: "Mainland", law: closed)
        var fresh = F.genesisState()
        let register: [LedgerOperation] = [
            .createAccount(CreateAccount(account: Z.mainTreasury, controllers: KeySet(single: Z.mainTreasuryKey.publicKey))),
            .createAccount(CreateAccount(account: Z.kyc, controllers: KeySet(single: Z.kycKey.publicKey))),
            .registerZone(registration),
        ]
        #expect(run(&fresh, register, [F.issuerKey, Z.mainTreasuryKey, Z.kycKey], ids) == .rejected(.lawInvalid, operation: 2))
    }

    @Test func onlyGovernorsProposeAndVote() {
        let ids = Counter()
        var state = Z.genesisState()
        let stranger = F.transaction(
            ids.id(), [.proposeLaw(ProposeLaw(zone: 0, proposer: F.aliceKey.publicKey, law: Self.tighter))], signedBy: [F.aliceKey])
        #expect(apply(&state, stranger) == .rejected(.proposalInvalid, operation: 0))
        // Naming a governor without its signature is refused before the log.
        let forged = F.transaction(ids.id(), [Self.propose(Self.tighter)], signedBy: [F.aliceKey])
        #expect(state.refusal(of: forged)?.code == .insufficientSignatures)
    }
}

@Suite struct LawEffectTests {
    /// What the node shows before a change equals what the change does when it
    /// takes effect on the same state: the standing under the proposed law is
    /// the standing under the law in force afterwards, and each predicted
    /// refusal happens.
    @Test func simulatedEffectEqualsTheEnactedEffect() throws {
        let ids = Counter()
        var state = zoneState(ids)
        // Erin gets ₹6,000; a BTC hold to Dave is pending (the SEZ law allows BTC for now).
        var open = Z.sezLaw
        open.allowedAssets = []
        var tight = Z.sezLaw
        tight.tiers = [TierLimits(daily: Amount(50_000), balance: Amount(400_000))]
        let propose = LedgerOperation.proposeLaw(ProposeLaw(zone: Z.sez, proposer: Z.governorKeys[0].publicKey, law: open))
        #expect(run(&state, [propose], [Z.governorKeys[0]], ids) == .committed)
        for governor in 0..<2 {
            #expect(
                run(
                    &state, [.voteLaw(VoteLaw(proposal: 1, governor: Z.governorKeys[governor].publicKey, choice: .yes))], [Z.governorKeys[governor]],
                    ids) == .committed)
        }
        #expect(run(&state, [F.transfer(60_000, from: Z.dave, to: erin)], [Z.daveKey], ids, advance: 200_000) == .committed)
        #expect(state.zones.zones[Z.sez]?.law.hash == open.hash)
        let hold = LedgerOperation.pendingTransfer(
            PendingTransfer(transfer: Transfer(asset: btc, debit: F.btcIssuance, credit: Z.dave, amount: Amount(7)), timeoutSeconds: 3_600))
        #expect(run(&state, [hold, F.transfer(3, from: F.btcIssuance, to: erin, asset: btc)], [F.issuerKey], ids) == .committed)
        let holdID = PendingID(transaction: transactionID(ids.next), operation: 0)

        // Propose the tight law: ₹4,000 balance cap, ₹500 a day, INR only.
        let proposal = LedgerOperation.proposeLaw(ProposeLaw(zone: Z.sez, proposer: Z.governorKeys[1].publicKey, law: tight))
        #expect(run(&state, [proposal], [Z.governorKeys[1]], ids) == .committed)
        let predicted = state.effect(of: tight, in: Z.sez)
        #expect(predicted.accounts == 2)
        #expect(predicted.overBalanceCap.accounts == 1 && predicted.overBalanceCap.amount.units == 40_000)
        #expect(predicted.overDailyCap.accounts == 1 && predicted.overDailyCap.amount.units == 10_000)
        #expect(predicted.disallowedHoldings == [LawEffect.AssetHolding(asset: btc, accounts: 1, amount: Amount(3))])
        #expect(predicted.failingPendings.count == 1 && predicted.failingPendings.pendings == [holdID])
        #expect(predicted != state.effect(of: state.zones.zones[Z.sez]!.law.law, in: Z.sez))

        for governor in 0..<2 {
            #expect(
                run(
                    &state, [.voteLaw(VoteLaw(proposal: 2, governor: Z.governorKeys[governor].publicKey, choice: .yes))], [Z.governorKeys[governor]],
                    ids) == .committed)
        }
        // The enacting entry changes nothing else (a transfer within the mainland, in the same SEZ day).
        #expect(run(&state, [F.transfer(1, from: F.alice, to: F.bob)], [F.aliceKey], ids, advance: 180_000) == .committed)
        #expect(state.zones.zones[Z.sez]?.law.hash == tight.hash)
        #expect(state.effect(of: state.zones.zones[Z.sez]!.law.law, in: Z.sez) == predicted)
        // And each predicted refusal happens.
        #expect(
            run(&state, [F.transfer(1, from: F.inrIssuance, to: Z.dave)], [F.issuerKey], ids)
                == .rejected(.lawBalanceCap, operation: 0, law: tight.hash))
        #expect(run(&state, [F.transfer(1, from: Z.dave, to: erin)], [Z.daveKey], ids) == .rejected(.lawDailyCap, operation: 0, law: tight.hash))
        #expect(
            run(&state, [.postPending(PostPending(pending: holdID, amount: Amount(7)))], [F.issuerKey], ids)
                == .rejected(.lawAssetNotAllowed, operation: 0, law: tight.hash))
    }
}

/// Puts `law` into force in `zone` the way every law changes: proposed,
/// voted by two governors, past voting and time lock.
private func enact(_ law: Law, in zone: ZoneID, _ state: inout LedgerState, _ ids: Counter) {
    let id = state.zones.nextProposal
    let propose = LedgerOperation.proposeLaw(ProposeLaw(zone: zone, proposer: Z.governorKeys[0].publicKey, law: law))
    #expect(run(&state, [propose], [Z.governorKeys[0]], ids) == .committed)
    for governor in 0..<2 {
        let vote = LedgerOperation.voteLaw(VoteLaw(proposal: id, governor: Z.governorKeys[governor].publicKey, choice: .yes))
        #expect(run(&state, [vote], [Z.governorKeys[governor]], ids) == .committed)
    }
    // Any entry after the time lock puts it into force: here an attestation, which no law checks.
    #expect(run(&state, [attest(Z.kyc, tier: 1)], [Z.kycKey], ids, advance: 180_001) == .committed)
    #expect(state.zones.zones[zone]?.law.hash == law.hash)
}

/// Any law a vote can pass: every parameter drawn at random within its bounds.
private func randomLaw(_ random: inout SeededGenerator, treasury: AccountID, zone: ZoneID = Z.sez) -> Law {
    func maybe(_ bound: UInt64) -> Amount? { random.next() % 3 == 0 ? nil : Amount(random.next() % bound) }
    let currency: AssetCode? = random.next() % 4 == 0 ? nil : inr
    let tiers =
        currency == nil
        ? []
        : (0..<(random.next() % 4)).map { _ in
            TierLimits(perPayment: maybe(50_000), daily: maybe(100_000), monthly: maybe(500_000), balance: maybe(3_000_000))
        }
    let corridors: [Corridor] =
        currency == nil
        ? []
        : [Corridor.Direction.outbound, .inbound].filter { _ in random.next() % 2 == 0 }.map { direction in
            let floor = random.next() % 100
            return Corridor(
                direction: direction, zone: Corridor.anyZone, levyBasisPoints: UInt16(random.next() % 10_001), levyFloor: Amount(floor),
                levyCap: random.next() % 2 == 0 ? nil : Amount(floor + random.next() % 1_000), maxPerPayment: maybe(100_000))
        }
    let assets: [AssetCode] = [[], [inr], [btc], [btc, inr]][Int(random.next() % 4)]
    return try! Law(
        document: Digest32.sha256([UInt8(truncatingIfNeeded: random.next())]), url: "https://khata.example/laws/random",
        utcOffsetMinutes: Int16(Int(random.next() % 1_561) - 720), currency: currency,
        providers: random.next() % 2 == 0 ? [] : [ProviderGrant(account: Z.kyc, maxTier: UInt8(random.next() % 4))], tiers: tiers,
        allowedAssets: assets, withholdingBasisPoints: UInt16(random.next() % 10_001), treasury: treasury, corridors: corridors,
        exitLevyBasisPoints: currency == nil ? 0 : UInt16(random.next() % 10_001), entryMinimumTier: zone == 0 ? 0 : UInt8(random.next() % 4))
}

@Suite struct ExitTests {
    /// Whatever law a vote passes in the zone an account leaves, and whatever
    /// law the destination has, the exit commits for an account with no
    /// declared obligation (it entered before any exit levy), refused only by
    /// the destination's entry tier, which the mainland's law cannot raise: a
    /// move into the mainland always commits.
    @Test func noLawAVoteCanPassBlocksTheExit() {
        var random = SeededGenerator(seed: 0x4558_4954)
        var moved = 0
        var refusedAtEntry = 0
        for _ in 0..<60 {
            let ids = Counter()
            var state = Z.genesisState()
            // Alice spends and holds first, so that any cap or asset rule has something to bind.
            #expect(
                run(
                    &state, [attest(F.alice, tier: UInt8(random.next() % 3 + 1)), attest(Z.dave, tier: UInt8(random.next() % 3 + 1))], [Z.kycKey], ids
                ) == .committed)
            #expect(run(&state, [F.transfer(random.next() % 10_000 + 1, from: F.alice, to: F.bob)], [F.aliceKey], ids) == .committed)
            #expect(
                run(&state, [F.transfer(random.next() % 1_000 + 1, from: F.btcIssuance, to: F.alice, asset: btc)], [F.issuerKey], ids) == .committed)
            enact(randomLaw(&random, treasury: Z.mainTreasury, zone: 0), in: 0, &state, ids)
            enact(randomLaw(&random, treasury: Z.sezTreasury), in: Z.sez, &state, ids)
            // A pending payment out of Alice is open while she leaves.
            _ = run(&state, [pending(random.next() % 100 + 1, from: F.alice, to: F.bob)], [F.aliceKey], ids)
            for (account, key, destination) in [(F.alice, F.aliceKey, Z.sez), (Z.dave, Z.daveKey, ZoneID(0))] {
                let law = state.zones.zones[destination]!.law
                let qualifies = state.tier(of: account, under: law.law, at: state.time) >= law.law.entryMinimumTier
                // Alice was in the mainland before any exit levy; Dave entered the SEZ at
                // genesis, when its law declared 2 %: his exit pays it (or less, never more).
                let levies = state.zones.zones[state.accounts[account]!.zone].flatMap { state.exitLevy(of: state.accounts[account]!, leaving: $0) }
                if account == F.alice { #expect(levies == nil) }
                var operations: [LedgerOperation] = [.moveZone(MoveZone(account: account, zone: destination))]
                if let levy = levies {
                    #expect(levy.amount <= Z.daveOpeningINR * 200 / 10_000)
                    operations.append(.payLevy(PayLevy(operation: 0, zone: state.accounts[account]!.zone, amount: Amount(levy.amount))))
                }
                let outcome = run(&state, operations, [key], ids)
                // The mainland takes everyone: a move into it always commits.
                #expect(destination != 0 || qualifies)
                if qualifies {
                    #expect(outcome == .committed, "\(outcome)")
                    #expect(state.accounts[account]?.zone == destination)
                    moved += 1
                } else {
                    #expect(outcome == .rejected(.zoneEntryRefused, operation: 0, law: law.hash))
                    refusedAtEntry += 1
                }
                #expect(state.invariantViolations().isEmpty)
            }
        }
        #expect(moved > 40 && refusedAtEntry > 5, "moved \(moved), refused at entry \(refusedAtEntry)")
    }

    /// An exit levy binds only accounts that entered under it, and a later law
    /// can lower it but never raise it.
    @Test func exitLevyIsOnlyAsDeclaredOnEntry() {
        let ids = Counter()
        var state = zoneState(ids)
        // Dave entered under 2 %: leaving owes 2 % of ₹5,000 = ₹100, to the SEZ treasury.
        let leave = LedgerOperation.moveZone(MoveZone(account: Z.dave, zone: 0))
        #expect(run(&state, [leave], [Z.daveKey], ids) == .rejected(.levyUnpaid, operation: 0, law: Z.sezLaw.hash))
        // A hold made just before leaving does not lower it: the levy is on the
        // posted balance (2 % of ₹5,000, not of the ₹4,000 left available).
        let hold = pending(100_000, from: Z.dave, to: erin, timeout: 60)
        #expect(
            run(&state, [hold, leave, .payLevy(PayLevy(operation: 1, zone: Z.sez, amount: Amount(8_000)))], [Z.daveKey], ids)
                == .rejected(.levyMismatch, operation: 2, law: Z.sezLaw.hash))
        var higher = Z.sezLaw
        higher.exitLevyBasisPoints = 5_000
        enact(higher, in: Z.sez, &state, ids)
        #expect(state.exitLevy(of: state.accounts[Z.dave]!, leaving: state.zones.zones[Z.sez]!)?.amount == 10_000)
        var lower = Z.sezLaw
        lower.exitLevyBasisPoints = 100
        enact(lower, in: Z.sez, &state, ids)
        #expect(state.exitLevy(of: state.accounts[Z.dave]!, leaving: state.zones.zones[Z.sez]!)?.amount == 5_000)
        #expect(run(&state, [leave, .payLevy(PayLevy(operation: 0, zone: Z.sez, amount: Amount(5_000)))], [Z.daveKey], ids) == .committed)
        #expect(state.balance(of: Z.sezTreasury, in: inr).posted == 5_000)
        // Alice (tier 1) enters the SEZ now, under 1 %; a later 50 % does not bind her.
        #expect(run(&state, [.moveZone(MoveZone(account: F.alice, zone: Z.sez))], [F.aliceKey], ids) == .committed)
        enact(higher, in: Z.sez, &state, ids)
        let aliceLevy = state.exitLevy(of: state.accounts[F.alice]!, leaving: state.zones.zones[Z.sez]!)
        let held = UInt64(state.balance(of: F.alice, in: inr).available)
        #expect(aliceLevy?.amount == held / 100)
    }
}

@Suite struct ZoneWorkloadTests {
    /// A random workload across both zones (payments with and without their
    /// levies, holds and posts, moves, law changes): conservation holds per
    /// asset after every entry, and a replay of the log reaches the same state.
    @Test func conservationHoldsUnderCrossZoneLoad() throws {
        var random = SeededGenerator(seed: 0x5A4F_4E45)
        let ids = Counter()
        var state = zoneState(ids)
        let start = state
        var log: [(Transaction, UInt64)] = []
        let people: [(AccountID, SigningKey)] = [(F.alice, F.aliceKey), (F.bob, F.bobKey), (Z.dave, Z.daveKey), (erin, erinKey)]
        var holds: [(PendingID, AccountID, AccountID, UInt64, SigningKey)] = []
        var outcomes: [String: Int] = [:]
        for _ in 0..<1_500 {
            let (payer, key) = people[Int(random.next() % 4)]
            let payee = people[Int(random.next() % 4)].0
            let amount = random.next() % 30_000 + 1
            var operations: [LedgerOperation]
            var signers = [key]
            switch random.next() % 10 {
            case 0:
                operations = [pending(amount, from: payer, to: payee, timeout: UInt32(random.next() % 600 + 1))]
                holds.append((PendingID(transaction: transactionID(ids.next + 1), operation: 0), payer, payee, amount, key))
            case 1 where !holds.isEmpty:
                let (id, from, to, held, holder) = holds.remove(at: Int(random.next() % UInt64(holds.count)))
                let posting = random.next() % held + 1
                operations = [.postPending(PostPending(pending: id, amount: Amount(posting)))]
                operations += state.leviesDue(asset: inr, debit: from, credit: to, amount: Amount(posting)).map {
                    .payLevy(PayLevy(operation: 0, zone: $0.zone, amount: $0.amount))
                }
                signers = [holder]
            case 2:
                let zone: ZoneID = state.accounts[payer]!.zone == 0 ? Z.sez : 0
                operations = [.moveZone(MoveZone(account: payer, zone: zone))]
                if let levy = state.zones.zones[state.accounts[payer]!.zone].flatMap({ state.exitLevy(of: state.accounts[payer]!, leaving: $0) }) {
                    operations.append(.payLevy(PayLevy(operation: 0, zone: state.accounts[payer]!.zone, amount: Amount(levy.amount))))
                }
            case 3:
                // Without its levies, or with a wrong one.
                operations = [F.transfer(amount, from: payer, to: payee)]
                if random.next() % 2 == 0 { operations.append(.payLevy(PayLevy(operation: 0, zone: 0, amount: Amount(random.next() % 500 + 1)))) }
            case 4 where random.next() % 10 == 0:
                operations = [
                    .proposeLaw(
                        ProposeLaw(
                            zone: random.next() % 2 == 0 ? 0 : Z.sez, proposer: Z.governorKeys[0].publicKey,
                            law: randomLaw(&random, treasury: Z.mainTreasury)))
                ]
                signers = [Z.governorKeys[0]]
            case 5 where !state.zones.activeProposals(of: 0).isEmpty || !state.zones.activeProposals(of: Z.sez).isEmpty:
                let open = state.zones.activeProposals(of: 0) + state.zones.activeProposals(of: Z.sez)
                let choice: VoteLaw.Choice = random.next() % 4 == 0 ? .no : .yes
                operations = (0..<2).map { .voteLaw(VoteLaw(proposal: open[0].id, governor: Z.governorKeys[$0].publicKey, choice: choice)) }
                signers = Array(Z.governorKeys.prefix(2))
            default:
                operations = Z.payment(amount, from: payer, to: payee, in: state)
            }
            guard let transaction = try? Transaction(id: transactionID(ids.id()), operations: operations).signed(by: signers, origin: F.origin),
                state.refusal(of: transaction) == nil
            else { continue }
            let advance = random.next() % 8 == 0 ? random.next() % 40_000_000 : random.next() % 5_000 + 1
            let outcome = apply(&state, transaction, advance: advance)
            log.append((transaction, advance))
            switch outcome {
            case .committed: outcomes["committed", default: 0] += 1
            case .rejected(let code, _, _): outcomes[code.name, default: 0] += 1
            }
            let violations = state.invariantViolations()
            #expect(violations.isEmpty, "after entry \(state.size): \(violations)")
            if !violations.isEmpty { break }
        }
        // Every rule and both law steps happened.
        for name in ["committed", "law_daily_cap", "law_payment_cap", "levy_unpaid", "levy_mismatch"] {
            #expect(outcomes[name, default: 0] > 0, "no \(name) in \(outcomes)")
        }
        #expect(state.zones.proposals.values.contains { $0.status == .enacted }, "no law was enacted")
        var replayed = start
        for (transaction, advance) in log { apply(&replayed, transaction, advance: advance) }
        #expect(replayed.digest == state.digest)
        #expect(try LedgerState(snapshot: state.encodedSnapshot()).digest == state.digest)
    }
}

@Suite struct WithholdingTests {
    /// A cash dividend to a mainland holder withholds 10 % as its own leg, to
    /// the treasury, rounded down (never more than the rate).
    @Test func dividendsWithholdAsTheirOwnLeg() {
        var state = ActionFixture.state()
        let treasuryKey = testKey(52)
        var law = Z.mainlandLaw
        law.providers = []
        let register: [LedgerOperation] = [
            .createAccount(CreateAccount(account: Z.mainTreasury, controllers: KeySet(single: treasuryKey.publicKey))),
            .registerZone(Z.registration(0, name: "Mainland", law: law)),
        ]
        #expect(apply(&state, F.transaction(900, register, signedBy: [F.issuerKey, treasuryKey])) == .committed)
        let aliceBefore = state.balance(of: F.alice, in: inr).posted
        #expect(apply(&state, F.transaction(1, [A.declare(.cashDividend(amount: Amount(25), per: Amount(1)))], signedBy: [S.acmeKey])) == .committed)
        #expect(apply(&state, F.transaction(2, [A.commit(1, total: 300), A.settle(1, [F.alice, F.bob])], signedBy: [F.ledgerKey])) == .committed)
        // Alice: 299 × 25 = 7,475, withheld 747 (747.5 rounded down); Bob: 25, withheld 2.
        #expect(state.balance(of: F.alice, in: inr).posted == aliceBefore + 7_475 - 747)
        #expect(state.balance(of: F.bob, in: inr).posted == 25 - 2)
        #expect(state.balance(of: Z.mainTreasury, in: inr).posted == 749)
        #expect(state.securities.actions[1]!.paid == 7_500 && state.securities.actions[1]!.withheld == 749)
        #expect(state.invariantViolations().isEmpty)
    }
}

/// The refusal before the log and the state machine agree on who may sign
/// each zone operation: whatever `refusal(of:)` lets through is never
/// rejected for its signatures, and whatever it refuses never commits.
@Suite struct ZoneAuthorityDifferentialTests {
    @Test func refusalAndApplyAgreeOnZoneOperations() {
        var random = SeededGenerator(seed: 0x474F_5645)
        let keys = Z.governorKeys + [Z.guardianKey, F.issuerKey, F.aliceKey, Z.daveKey]
        let accounts = [F.alice, F.bob, Z.dave, accountID(0x399)]
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        var state = Z.genesisState()
        var letThrough = 0
        var refused = 0
        for n in 0..<2_000 {
            let operations: [LedgerOperation] = (0..<(1 + random.next() % 2)).map { _ in
                switch random.next() % 6 {
                case 0: .proposeLaw(ProposeLaw(zone: pick([0, Z.sez, 9]), proposer: pick(keys).publicKey, law: Z.sezLaw))
                case 1: .voteLaw(VoteLaw(proposal: 1 + random.next() % 3, governor: pick(keys).publicKey, choice: pick([.yes, .no, .veto])))
                case 2: .cancelProposal(CancelProposal(proposal: 1 + random.next() % 3))
                case 3: .moveZone(MoveZone(account: pick(accounts), zone: pick([0, Z.sez])))
                case 4: .registerZone(Z.registration(UInt16(10 + random.next() % 3), name: "Z", law: Z.sezLaw))
                default: F.transfer(1 + random.next() % 100, from: pick(accounts), to: pick(accounts))
                }
            }
            let signers = keys.filter { _ in random.next() % 3 != 0 }
            let transaction = F.transaction(UInt64(50_000 + n), operations, signedBy: signers.isEmpty ? [pick(keys)] : signers)
            var trial = state
            let outcome = apply(&trial, transaction, advance: random.next() % 30_000)
            if let refusal = state.refusal(of: transaction) {
                refused += 1
                #expect(outcome != .committed, "refused (\(refusal.code.name)) but apply commits \(operations)")
            } else {
                letThrough += 1
                if case .rejected(let code, _, _) = outcome {
                    #expect(code != .insufficientSignatures, "let through but apply says \(code.name): \(operations)")
                }
                state = trial
            }
        }
        #expect(letThrough > 200 && refused > 200, "let through \(letThrough), refused \(refused)")
    }
}
