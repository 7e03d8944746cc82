import KhataBytes
import KhataCore
import KhataEd25519
import KhataTestSupport
import Testing

typealias A = ActionFixture

func actionScenario(for code: RejectionCode) -> RejectionScenario {
    let start = A.state()
    let declared = F.transaction(1, [A.declare(.cashDividend(amount: Amount(10), per: Amount(1)))], signedBy: [S.acmeKey])
    switch code {
    case .actionInvalid:
        // Bob is settled before Alice although his id is higher: out of order once Bob is done.
        return RejectionScenario(
            start: start, setup: [(declared, 1), (F.transaction(2, [A.commit(1, total: 300), A.settle(1, [F.bob])], signedBy: [F.ledgerKey]), 1)],
            failing: F.transaction(3, [A.settle(1, [F.alice])], signedBy: [F.ledgerKey]))
    case .instrumentSettling:
        let split = F.transaction(1, [A.declare(.split(numerator: 2, denominator: 1, cashInLieu: .zero))], signedBy: [S.acmeKey])
        return RejectionScenario(
            start: start, setup: [(split, 1)], failing: F.transaction(2, [S.share(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
    case .instrumentRedeemed:
        let redeem = F.transaction(1, [A.declare(.redemption(amount: Amount(100), per: Amount(1)))], signedBy: [S.acmeKey])
        let settle = F.transaction(2, [A.commit(1, total: 300), A.settle(1, [F.alice, F.bob])], signedBy: [F.ledgerKey])
        return RejectionScenario(
            start: start, setup: [(redeem, 1), (settle, 1)],
            failing: F.transaction(3, [S.share(1, from: S.acmeIssuance, to: F.alice)], signedBy: [S.acmeKey]))
    case .ballotClosed:
        let terms = BallotTerms(question: "q", options: ["a", "b"], closesAt: Timestamp(milliseconds: start.time.milliseconds + 10))
        let ballot = F.transaction(
            1, [.declareAction(DeclareAction(asset: S.shares, terms: .ballot(terms), escrowAccount: nil))], signedBy: [S.acmeKey])
        return RejectionScenario(
            start: start, setup: [(ballot, 1)], failing: F.transaction(2, [BallotTests.vote(F.alice, 0)], signedBy: [F.aliceKey]), advance: 10)
    case .pendingLinkInvalid:
        return RejectionScenario(
            start: LinkedPendingTests.state(), failing: LinkedPendingTests.legs(30, timeout: 60, paymentTimeout: 61), operation: 2)
    case .linkedPendingUnresolved:
        return RejectionScenario(
            start: LinkedPendingTests.state(), setup: [(LinkedPendingTests.legs(10), 1)],
            failing: F.transaction(11, [LinkedPendingTests.post(10, 0, amount: 100)], signedBy: [F.aliceKey]))
    case .registerMismatch:
        let commit = CommitRegister(action: 1, total: Amount(299), leafCount: 1024, root: Digest32.sha256([]))
        return RejectionScenario(
            start: start, setup: [(declared, 1)], failing: F.transaction(2, [.commitRegister(commit)], signedBy: [F.ledgerKey]))
    default:
        preconditionFailure("not an action rejection: \(code)")
    }
}

@Suite("Stockchain: corporate actions")
struct CorporateActionTests {
    /// ₹2.50 a share to one holder after another: declared from the issuer's
    /// account into escrow, paid in full, nothing left over.
    @Test func cashDividendPaysEveryHolder() {
        var state = A.state()
        let acmeBefore = state.balance(of: S.acme, in: inr).posted
        let aliceBefore = state.balance(of: F.alice, in: inr).posted
        #expect(apply(&state, F.transaction(1, [A.declare(.cashDividend(amount: Amount(250), per: Amount(1)))], signedBy: [S.acmeKey])) == .committed)
        let action = state.securities.actions[1]!
        #expect(action.outstanding == 300 && action.escrowed == 75_000 && action.holders == 2 && action.isOpen)
        #expect(state.balance(of: A.escrow, in: inr).posted == 75_000)
        // Nobody is paid before the register is in the log.
        #expect(apply(&state, F.transaction(9, [A.settle(1, [F.alice])], signedBy: [F.ledgerKey])) == .rejected(.actionInvalid, operation: 0))
        #expect(apply(&state, F.transaction(2, [A.commit(1, total: 300), A.settle(1, [F.alice])], signedBy: [F.ledgerKey])) == .committed)
        #expect(apply(&state, F.transaction(3, [A.settle(1, [F.bob])], signedBy: [F.ledgerKey])) == .committed)
        let done = state.securities.actions[1]!
        #expect(!done.isOpen && done.paid == 75_000 && done.settledHolders == 2)
        #expect(state.balance(of: F.alice, in: inr).posted == aliceBefore + 74_750 && state.balance(of: F.bob, in: inr).posted == 250)
        #expect(state.balance(of: S.acme, in: inr).posted == acmeBefore - 75_000)
        #expect(state.balance(of: A.escrow, in: inr).posted == 0)
        #expect(state.invariantViolations().isEmpty)
    }

    /// One paisa per 7 shares: Alice's 299 earn ⌊299/7⌋ = 42, Bob's 1 earns 0;
    /// the issuer set aside ⌊300/7⌋ = 42 and keeps the remainder (0 here);
    /// at 1 per 3, ⌊299/3⌋ + ⌊1/3⌋ = 99 of ⌊300/3⌋ = 100 is paid and 1 returns.
    @Test func roundingIsDownPerHolderAndTheRemainderReturns() {
        for (per, expectedPaid, declared) in [(UInt64(7), UInt64(42), UInt64(42)), (3, 99, 100)] {
            var state = A.state()
            let acmeBefore = state.balance(of: S.acme, in: inr).posted
            #expect(
                apply(&state, F.transaction(1, [A.declare(.cashDividend(amount: Amount(1), per: Amount(per)))], signedBy: [S.acmeKey])) == .committed)
            #expect(state.securities.actions[1]!.escrowed == declared)
            #expect(
                apply(&state, F.transaction(2, [A.commit(1, total: 300), A.settle(1, [F.alice, F.bob])], signedBy: [F.ledgerKey])) == .committed)
            let action = state.securities.actions[1]!
            #expect(action.paid == expectedPaid && !action.isOpen)
            #expect(state.balance(of: S.acme, in: inr).posted == acmeBefore - Int128(expectedPaid), "the remainder returned")
            #expect(action.paid + (declared - expectedPaid) == action.escrowed)
        }
    }

    /// A holding bought after the record date earns nothing; the seller is paid
    /// on what it held then.
    @Test func aHoldingBoughtAfterTheRecordDateEarnsNothing() {
        var state = A.state()
        #expect(apply(&state, F.transaction(1, [A.declare(.cashDividend(amount: Amount(100), per: Amount(1)))], signedBy: [S.acmeKey])) == .committed)
        // Carol is verified and buys 100 of Alice's shares after the record date.
        #expect(apply(&state, F.transaction(2, [S.attest(F.carol, tier: 1)], signedBy: [S.kycKey])) == .committed)
        #expect(apply(&state, F.transaction(3, [S.share(100, from: F.alice, to: F.carol)], signedBy: [F.aliceKey])) == .committed)
        #expect(A.everyone(state, 1) == [F.alice, F.bob])
        #expect(state.recordDateHolding(of: F.alice, in: state.securities.actions[1]!) == 299)
        #expect(apply(&state, F.transaction(6, [A.commit(1, total: 300)], signedBy: [F.ledgerKey])) == .committed)
        #expect(apply(&state, F.transaction(4, [A.settle(1, [F.carol])], signedBy: [F.ledgerKey])) == .rejected(.actionInvalid, operation: 0))
        #expect(apply(&state, F.transaction(5, [A.settle(1, [F.alice, F.bob])], signedBy: [F.ledgerKey])) == .committed)
        #expect(state.balance(of: F.carol, in: inr).posted == 0)
        #expect(state.securities.actions[1]!.paid == 30_000 && !state.securities.actions[1]!.isOpen)
    }

    /// A 1-for-3 reverse split: 299 → 99 with 2/3 of a share in cash, 1 → 0
    /// with 1/3; the authorised amount scales; transfers wait while it settles.
    @Test func reverseSplitWithCashInLieu() {
        var state = A.state()
        let split = A.declare(.split(numerator: 1, denominator: 3, cashInLieu: Amount(999)))
        #expect(apply(&state, F.transaction(1, [split], signedBy: [S.acmeKey])) == .committed)
        #expect(state.securities.actions[1]!.escrowed == 1_998)
        #expect(
            apply(&state, F.transaction(2, [S.share(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
                == .rejected(.instrumentSettling, operation: 0))
        #expect(apply(&state, F.transaction(3, [A.commit(1, total: 300), A.settle(1, [F.alice])], signedBy: [F.ledgerKey])) == .committed)
        #expect(apply(&state, F.transaction(4, [A.settle(1, [F.bob])], signedBy: [F.ledgerKey])) == .committed)
        #expect(state.balance(of: F.alice, in: S.shares).posted == 99 && state.balance(of: F.bob, in: S.shares).posted == 0)
        #expect(state.balance(of: F.bob, in: inr).posted == 333, "⌊1 × 999 / 3⌋")
        #expect(state.securities.actions[1]!.paid == 666 + 333, "Alice's ⌊2 × 999 / 3⌋ = 666")
        #expect(state.outstanding(of: S.shares) == 99 && state.securities.instruments[S.shares]!.authorised == 333)
        #expect(apply(&state, F.transaction(5, [S.share(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])) == .committed)
        #expect(state.invariantViolations().isEmpty)
    }

    /// Amounts whose product overflows 64 bits are computed in 128: 2^62 per
    /// 2^60 is 4 a share; a rate whose result does not fit is refused.
    @Test func productsBeyond64BitsAreExact() {
        var state = A.state()
        let big = A.declare(.cashDividend(amount: Amount(1 << 62), per: Amount(1 << 60)))
        #expect(apply(&state, F.transaction(1, [big], signedBy: [S.acmeKey])) == .committed)
        #expect(state.securities.actions[1]!.escrowed == 1_200)
        let huge = A.declare(.cashDividend(amount: Amount(1 << 62), per: Amount(1)), escrow: accountID(0x301))
        #expect(apply(&state, F.transaction(2, [huge], signedBy: [S.acmeKey])) == .rejected(.amountOverflow, operation: 0))
    }

    /// A bond's coupon comes from its terms; redemption pays the face value,
    /// cancels every unit and closes the instrument.
    @Test func couponAndRedemption() {
        var state = A.state()
        let bond = RegisterInstrument(
            asset: AssetCode("ACME29")!, issuer: S.acme, issuanceAccount: accountID(0x201), name: "Acme 7.5% 2029",
            document: Digest32.sha256([]), authorised: Amount(100), currency: inr,
            terms: .bond(
                BondTerms(faceValue: Amount(1_000), couponBasisPoints: 750, couponMonths: 6, maturity: S.farFuture, dayCount: .thirty360)))
        let code = bond.asset
        #expect(
            apply(
                &state,
                F.transaction(
                    1, [.registerInstrument(bond), F.transfer(10, from: bond.issuanceAccount, to: F.alice, asset: code)], signedBy: [S.acmeKey]))
                == .committed)
        // ₹10.00 face × 7.5 % × 6/12 = 37.5 paise a bond: 10 bonds earn 375.
        #expect(apply(&state, F.transaction(2, [A.declare(.coupon(days: 0), asset: code)], signedBy: [S.acmeKey])) == .committed)
        #expect(state.securities.actions[1]!.escrowed == 375)
        let aliceINR = state.balance(of: F.alice, in: inr).posted
        #expect(apply(&state, F.transaction(3, [A.commit(1, total: 10), A.settle(1, [F.alice])], signedBy: [F.ledgerKey])) == .committed)
        #expect(state.balance(of: F.alice, in: inr).posted == aliceINR + 375)
        // A coupon on an equity is not an action that fits.
        #expect(
            apply(&state, F.transaction(4, [A.declare(.coupon(days: 0), escrow: accountID(0x302))], signedBy: [S.acmeKey]))
                == .rejected(.actionInvalid, operation: 0))
        let redeem = A.declare(.redemption(amount: Amount(1_000), per: Amount(1)), asset: code, escrow: accountID(0x303))
        #expect(apply(&state, F.transaction(5, [redeem], signedBy: [S.acmeKey])) == .committed)
        #expect(apply(&state, F.transaction(6, [A.commit(2, total: 10), A.settle(2, [F.alice])], signedBy: [F.ledgerKey])) == .committed)
        #expect(state.balance(of: F.alice, in: code).posted == 0 && state.outstanding(of: code) == 0)
        #expect(state.balance(of: F.alice, in: inr).posted == aliceINR + 375 + 10_000)
        #expect(state.securities.instruments[code]!.isRedeemed)
        #expect(
            apply(&state, F.transaction(7, [F.transfer(1, from: bond.issuanceAccount, to: F.alice, asset: code)], signedBy: [S.acmeKey]))
                == .rejected(.instrumentRedeemed, operation: 0))
        #expect(state.invariantViolations().isEmpty)
    }

    /// Only the ledger key or the issuer settles; only the ledger key commits a
    /// register, whose total must be the outstanding amount at the record date.
    @Test func whoSettlesAndCommits() throws {
        var state = A.state()
        #expect(apply(&state, F.transaction(1, [A.declare(.cashDividend(amount: Amount(1), per: Amount(1)))], signedBy: [S.acmeKey])) == .committed)
        let byHolder = F.transaction(2, [A.settle(1, [F.alice])], signedBy: [F.aliceKey])
        #expect(state.refusal(of: byHolder)?.code == .insufficientSignatures)
        // Not the issuer either: the ledger alone settles, in order, so nobody can skip a holder.
        #expect(state.refusal(of: F.transaction(7, [A.settle(1, [F.alice])], signedBy: [S.acmeKey]))?.code == .insufficientSignatures)
        let commit = CommitRegister(action: 1, total: Amount(300), leafCount: 1024, root: Digest32.sha256([1]))
        #expect(state.refusal(of: F.transaction(3, [.commitRegister(commit)], signedBy: [S.acmeKey]))?.code == .insufficientSignatures)
        #expect(apply(&state, F.transaction(4, [.commitRegister(commit)], signedBy: [F.ledgerKey])) == .committed)
        #expect(state.securities.actions[1]!.register?.root == commit.root)
        #expect(apply(&state, F.transaction(5, [.commitRegister(commit)], signedBy: [F.ledgerKey])) == .rejected(.registerMismatch, operation: 0))
    }

    /// A state in the middle of an action (saved record-date holdings, a cursor,
    /// an open split) survives a snapshot and a replay of its entries.
    @Test func midActionStateSurvivesSnapshotAndReplay() throws {
        let start = A.state()
        var state = start
        var entries: [Entry] = []
        func step(_ transaction: Transaction) throws {
            let time = Timestamp(milliseconds: state.time.milliseconds + 1)
            let outcome = state.apply(transaction, contentDigest: transaction.contentDigest, index: LeafIndex(state.size), time: time)
            #expect(outcome == .committed)
            entries.append(
                try Entry(
                    decoding: Entry.encode(index: LeafIndex(state.size - 1), time: time, kind: 1, payload: transaction.encoded, outcome: outcome)))
        }
        try step(F.transaction(1, [A.declare(.cashDividend(amount: Amount(3), per: Amount(2)))], signedBy: [S.acmeKey]))
        try step(F.transaction(2, [S.share(50, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
        try step(F.transaction(3, [A.commit(1, total: 300), A.settle(1, [F.alice])], signedBy: [F.ledgerKey]))
        try step(
            F.transaction(
                4, [A.declare(.split(numerator: 3, denominator: 2, cashInLieu: Amount(7)), escrow: accountID(0x304))], signedBy: [S.acmeKey]))
        let restored = try LedgerState(snapshot: state.encodedSnapshot())
        #expect(restored.securities == state.securities && restored.digest == state.digest)
        #expect(restored.instrumentHoldings[S.shares]?.count == state.instrumentHoldings[S.shares]?.count)
        var replayed = start
        for entry in entries { #expect(try replayed.replay(entry)) }
        #expect(replayed.digest == state.digest)
        // Settle both actions to the end from the restored state: they complete.
        var finishing = restored
        #expect(apply(&finishing, F.transaction(5, [A.settle(1, [F.bob])], signedBy: [F.ledgerKey])) == .committed)
        #expect(
            apply(&finishing, F.transaction(6, [A.commit(2, total: 300), A.settle(2, A.everyone(finishing, 2))], signedBy: [F.ledgerKey]))
                == .committed)
        #expect(finishing.securities.openActions.isEmpty && finishing.invariantViolations().isEmpty)
        // 249 → ⌊373.5⌋ = 373 with ½ share in cash (⌊7/2⌋ = 3); 51 → ⌊76.5⌋ = 76, also 3.
        #expect(finishing.balance(of: F.alice, in: S.shares).posted == 373 && finishing.balance(of: F.bob, in: S.shares).posted == 76)
    }

    /// A random workload of trades, dividends, splits, settlements and votes
    /// of holdings keeps outstanding = the sum of holdings, paid + returned =
    /// declared, after every entry.
    @Test func randomActionsKeepTheBooks() {
        var state = A.state()
        var random = SeededGenerator(seed: 1515)
        let holders = [F.alice, F.bob, S.acme]
        let keys = [F.alice: F.aliceKey, F.bob: F.bobKey, S.acme: S.acmeKey]
        var nextEscrow: UInt64 = 0x400
        for step in 0..<600 {
            let id = 20_000 + UInt64(step)
            let transaction: Transaction
            switch random.next() % 5 {
            case 0:
                nextEscrow += 1
                let terms: ActionTerms =
                    random.next() % 2 == 0
                    ? .cashDividend(amount: Amount(random.next() % 50 + 1), per: Amount(random.next() % 9 + 1))
                    : .split(numerator: 3, denominator: UInt32(random.next() % 2 + 1), cashInLieu: Amount(random.next() % 100))
                transaction = F.transaction(id, [A.declare(terms, escrow: accountID(nextEscrow))], signedBy: [S.acmeKey])
            case 1, 2:
                guard let open = state.securities.openActions[S.shares]?.first, let action = state.securities.actions[open] else { continue }
                let remaining = state.register(of: action).map(\.account).filter { action.cursor == nil || $0 > action.cursor! }
                guard !remaining.isEmpty else { continue }
                let commit = action.register == nil ? [A.commit(open, total: action.outstanding)] : []
                transaction = F.transaction(id, commit + [A.settle(open, Array(remaining.prefix(2)))], signedBy: [F.ledgerKey])
            default:
                let from = holders[Int(random.next() % 3)]
                let to = holders.filter { $0 != from }[Int(random.next() % 2)]
                transaction = F.transaction(id, [S.share(random.next() % 40 + 1, from: from, to: to)], signedBy: [keys[from]!])
            }
            _ = apply(&state, transaction)
            let held = holders.map { state.balance(of: $0, in: S.shares).posted }.reduce(0, +)
            #expect(Int128(state.outstanding(of: S.shares)) == held, "after step \(step)")
            for action in state.securities.actions.values where !action.isOpen {
                #expect(action.paid <= action.escrowed)
                #expect(state.balance(of: action.declaration.escrowAccount!, in: inr).posted == 0, "escrow emptied at completion")
            }
            if step % 100 == 0 { #expect(state.invariantViolations().isEmpty) }
        }
        #expect(state.securities.actions.count > 10)
    }
}

/// Shareholder votes: weighted by the record-date holding, changeable until
/// the closing time, counted in the state for anyone to recompute.
@Suite("Stockchain: ballots")
struct BallotTests {
    static func open(closesIn milliseconds: UInt64, _ state: LedgerState) -> LedgerOperation {
        let terms = BallotTerms(
            question: "Approve the 2026 accounts?", options: ["yes", "no", "abstain"],
            closesAt: Timestamp(milliseconds: state.time.milliseconds + milliseconds))
        return .declareAction(DeclareAction(asset: S.shares, terms: .ballot(terms), escrowAccount: nil))
    }

    static func vote(_ account: AccountID, _ option: UInt8, action: UInt64 = 1) -> LedgerOperation {
        .castVote(CastVote(action: action, account: account, option: option))
    }

    @Test func votesAreWeightedByTheRecordDateHolding() throws {
        var state = A.state()
        #expect(apply(&state, F.transaction(1, [Self.open(closesIn: 1_000, state)], signedBy: [S.acmeKey])) == .committed)
        // After the record date Alice sells 100 to Bob: her vote still weighs 299, Bob's 1.
        #expect(apply(&state, F.transaction(2, [S.share(100, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])) == .committed)
        #expect(apply(&state, F.transaction(3, [Self.vote(F.alice, 1)], signedBy: [F.aliceKey])) == .committed)
        #expect(apply(&state, F.transaction(4, [Self.vote(F.bob, 0)], signedBy: [F.bobKey])) == .committed)
        #expect(state.securities.actions[1]!.tally == [1, 299, 0])
        // Alice changes her mind.
        #expect(apply(&state, F.transaction(5, [Self.vote(F.alice, 0)], signedBy: [F.aliceKey])) == .committed)
        #expect(state.securities.actions[1]!.tally == [300, 0, 0])
        // Someone else's vote, an option that does not exist, a voter with nothing at the record date.
        #expect(state.refusal(of: F.transaction(6, [Self.vote(F.alice, 1)], signedBy: [F.bobKey]))?.code == .insufficientSignatures)
        #expect(apply(&state, F.transaction(7, [Self.vote(F.alice, 3)], signedBy: [F.aliceKey])) == .rejected(.actionInvalid, operation: 0))
        #expect(
            apply(&state, F.transaction(8, [Self.vote(F.carol, 0)], signedBy: [F.carolKeys[0], F.carolKeys[1]]))
                == .rejected(.actionInvalid, operation: 0))
        let restored = try LedgerState(snapshot: state.encodedSnapshot())
        #expect(restored.securities == state.securities && restored.digest == state.digest)
        // At its closing time the ballot closes: a vote stamped then is refused, the tally stands.
        let remaining = state.securities.actions[1]!.declaration.terms.ballot!.closesAt.milliseconds - state.time.milliseconds
        #expect(
            apply(&state, F.transaction(9, [Self.vote(F.bob, 2)], signedBy: [F.bobKey]), advance: remaining) == .rejected(.ballotClosed, operation: 0)
        )
        let closed = state.securities.actions[1]!
        #expect(!closed.isOpen && closed.saved.isEmpty && closed.tally == [300, 0, 0])
        #expect(state.securities.openActions.isEmpty)
        #expect(try LedgerState(snapshot: state.encodedSnapshot()).securities == state.securities)
    }

    /// A ballot cannot close in the past, pays nothing and is not settled.
    @Test func ballotsAreNotSettled() {
        var state = A.state()
        var past = BallotTerms(question: "q", options: ["a", "b"], closesAt: state.time)
        #expect(
            apply(
                &state,
                F.transaction(1, [.declareAction(DeclareAction(asset: S.shares, terms: .ballot(past), escrowAccount: nil))], signedBy: [S.acmeKey]))
                == .rejected(.actionInvalid, operation: 0))
        past.closesAt = S.farFuture
        #expect(
            apply(
                &state,
                F.transaction(2, [.declareAction(DeclareAction(asset: S.shares, terms: .ballot(past), escrowAccount: nil))], signedBy: [S.acmeKey]))
                == .committed)
        #expect(apply(&state, F.transaction(3, [A.settle(1, [F.alice])], signedBy: [F.ledgerKey])) == .rejected(.actionInvalid, operation: 0))
        #expect(throws: MalformedInput.self) {
            try Transaction(
                id: transactionID(4), operations: [.declareAction(DeclareAction(asset: S.shares, terms: .ballot(past), escrowAccount: A.escrow))])
        }
    }
}

/// What the review of the first version found, each pinned.
@Suite("Stockchain: abuse")
struct StockchainAbuseTests {
    /// A forced transfer never cancels (that needs the issuer) and never touches a redeemed instrument.
    @Test func forcedTransferNeverCancels() {
        var state = A.state()
        let cancel = ForcedTransfer(transfer: Transfer(asset: S.shares, debit: F.alice, credit: S.acmeIssuance, amount: Amount(1), memo: "x"))
        #expect(
            apply(&state, F.transaction(1, [.forcedTransfer(cancel)], signedBy: [S.agentKey])) == .rejected(.issuanceAccountRestricted, operation: 0))
        #expect(state.outstanding(of: S.shares) == 300)
    }

    /// Nothing is declared while a split settles: a dividend then would pay in mixed units.
    @Test func noDeclarationWhileSettling() {
        var state = A.state()
        #expect(
            apply(&state, F.transaction(1, [A.declare(.split(numerator: 2, denominator: 1, cashInLieu: .zero))], signedBy: [S.acmeKey])) == .committed
        )
        let dividend = A.declare(.cashDividend(amount: Amount(1), per: Amount(1)), escrow: accountID(0x310))
        #expect(apply(&state, F.transaction(2, [dividend], signedBy: [S.acmeKey])) == .rejected(.instrumentSettling, operation: 0))
    }

    /// At most 16 actions open on one instrument: each costs every transfer of it.
    @Test func openActionsAreBounded() {
        var state = A.state()
        let ballot = { (n: UInt64) in
            LedgerOperation.declareAction(
                DeclareAction(
                    asset: S.shares, terms: .ballot(BallotTerms(question: "q\(n)", options: ["a", "b"], closesAt: S.farFuture)), escrowAccount: nil))
        }
        #expect(apply(&state, F.transaction(1, (0..<16).map(ballot), signedBy: [S.acmeKey])) == .committed)
        #expect(apply(&state, F.transaction(2, [ballot(16)], signedBy: [S.acmeKey])) == .rejected(.limitExceeded, operation: 0))
    }

    /// An escrow account takes no deposits, so paid + returned = set aside holds.
    @Test func escrowTakesNoDeposits() {
        var state = A.state()
        #expect(apply(&state, F.transaction(1, [A.declare(.cashDividend(amount: Amount(1), per: Amount(1)))], signedBy: [S.acmeKey])) == .committed)
        #expect(
            apply(&state, F.transaction(2, [F.transfer(5, from: F.alice, to: A.escrow)], signedBy: [F.aliceKey]))
                == .rejected(.issuanceAccountRestricted, operation: 0))
    }

    /// A split whose result would not fit is refused at declaration, not left unsettleable.
    @Test func anOverflowingSplitIsRefused() {
        var state = A.state()
        let split = A.declare(.split(numerator: 4_000_000_000, denominator: 1, cashInLieu: .zero))
        // 300 × 4·10⁹ fits; raise the outstanding amount past 2^63 / 4·10⁹ first.
        var rules = S.rules()
        rules.maxHolding = .zero
        #expect(
            apply(
                &state,
                F.transaction(
                    1, [.setInstrumentRules(SetInstrumentRules(asset: S.shares, rules: rules))], signedBy: [S.acmeKey])) == .committed)
        #expect(apply(&state, F.transaction(2, [split], signedBy: [S.acmeKey])) == .committed)
        var big = A.state()
        var registration = S.registration
        registration.asset = AssetCode("BIG")!
        registration.issuanceAccount = accountID(0x220)
        registration.authorised = Amount(Limits.maxLiabilityTotal)
        registration.rules = .open
        #expect(
            apply(
                &big,
                F.transaction(
                    3, [.registerInstrument(registration), F.transfer(1 << 40, from: accountID(0x220), to: S.acme, asset: AssetCode("BIG")!)],
                    signedBy: [S.acmeKey]))
                == .committed)
        let bigSplit = LedgerOperation.declareAction(
            DeclareAction(
                asset: AssetCode("BIG")!, terms: .split(numerator: 4_000_000_000, denominator: 1, cashInLieu: .zero), escrowAccount: accountID(0x311))
        )
        #expect(apply(&big, F.transaction(4, [bigSplit], signedBy: [S.acmeKey])) == .rejected(.amountOverflow, operation: 0))
    }

    /// A holder whose asset list someone filled with 64 junk assets is still paid.
    @Test func aFullAssetListStillTakesPayouts() {
        var state = A.state()
        // Bob holds ACME; Acme registers 63 instruments and sends Bob one unit of each.
        var operations: [LedgerOperation] = []
        for n in 0..<63 {
            var junk = S.registration
            junk.asset = AssetCode("J\(n)")!
            junk.issuanceAccount = accountID(0x1000 + UInt64(n))
            junk.rules = .open
            operations.append(.registerInstrument(junk))
            operations.append(F.transfer(1, from: junk.issuanceAccount, to: F.bob, asset: junk.asset))
        }
        #expect(apply(&state, F.transaction(1, operations, signedBy: [S.acmeKey])) == .committed)
        #expect(state.accounts[F.bob]!.assets.count == 64 && !state.accounts[F.bob]!.assets.contains(inr))
        #expect(apply(&state, F.transaction(2, [A.declare(.cashDividend(amount: Amount(100), per: Amount(1)))], signedBy: [S.acmeKey])) == .committed)
        #expect(apply(&state, F.transaction(3, [A.commit(1, total: 300), A.settle(1, [F.alice, F.bob])], signedBy: [F.ledgerKey])) == .committed)
        #expect(state.balance(of: F.bob, in: inr).posted == 100)
    }
}
