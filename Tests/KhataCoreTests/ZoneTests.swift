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
            1, [.proposeLaw(ProposeLaw(zone: 0, proposer: Z.governorKeys[0].publicKey, law: Z.sezLaw))], signedBy: [Z.governorKeys[0]])
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
        let before = state.digest
        let refused = run(&state, [F.transfer(10_001, from: F.alice, to: F.bob)], [F.aliceKey], ids)
        #expect(refused == .rejected(.lawPaymentCap, operation: 0, law: Z.mainlandLaw.hash))
        #expect(state.balance(of: F.bob, in: inr).posted == 10_000)
        _ = before
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
        // The issuance account is in no zone: no levy, no payer cap on a mint of ₹5,000 to Dave.
        #expect(run(&state, [F.transfer(500_000, from: F.inrIssuance, to: Z.dave)], [F.issuerKey], ids) == .committed)
    }
}

@Suite struct LawChangeTests {
    private static func propose(_ law: Law, zone: ZoneID = 0, by governor: Int = 0) -> LedgerOperation {
        .proposeLaw(ProposeLaw(zone: zone, proposer: Z.governorKeys[governor].publicKey, law: law))
    }

    private static func vote(_ proposal: UInt64, _ governor: Int, _ choice: VoteLaw.Choice) -> (LedgerOperation, SigningKey) {
        (.voteLaw(VoteLaw(proposal: proposal, governor: Z.governorKeys[governor].publicKey, choice: choice)), Z.governorKeys[governor])
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
