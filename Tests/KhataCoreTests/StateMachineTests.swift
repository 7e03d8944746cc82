import KhataBytes
import KhataCore
import KhataTestSupport
import Testing

/// Applies a transaction as the sequencer would: signatures checked first, then
/// the next index and a time `advance` milliseconds after the last entry.
@discardableResult
func apply(_ state: inout LedgerState, _ transaction: Transaction, advance: UInt64 = 1) -> Outcome {
    try! transaction.verifySignatures(origin: state.origin)
    return state.apply(
        transaction, contentDigest: transaction.contentDigest, index: LeafIndex(state.size),
        time: Timestamp(milliseconds: state.time.milliseconds + advance))
}

/// Everything a rejected transaction must leave untouched.
struct Books: Equatable {
    let balances: ShardedMap<BalanceKey, Balance>
    let accounts: ShardedMap<AccountID, Account>
    let assets: [AssetCode: Asset]
    let pendings: [PendingID: PendingRecord]
    let reserves: ReserveState
    let securities: SecuritiesState
    let zones: ZoneState
    let payments: PaymentState
    init(_ state: LedgerState) {
        balances = state.balances
        accounts = state.accounts
        assets = state.assets
        pendings = state.pendings
        reserves = state.reserves
        securities = state.securities
        zones = state.zones
        payments = state.payments
    }
}

typealias F = Fixture

/// A scenario that ends in one rejected transaction: `setup` commits, `failing` is refused.
struct RejectionScenario {
    var start = F.genesisState()
    var setup: [(Transaction, UInt64)] = []
    var failing: Transaction
    var advance: UInt64 = 1
    var operation: UInt16? = 0
    /// The law whose rule refuses, for a zone rule.
    var law: Digest32? = nil
}

func pending(_ amount: UInt64, from: AccountID, to: AccountID, timeout: UInt32 = 60) -> LedgerOperation {
    .pendingTransfer(PendingTransfer(transfer: Transfer(asset: inr, debit: from, credit: to, amount: Amount(amount)), timeoutSeconds: timeout))
}

func scenario(for code: RejectionCode) -> RejectionScenario {
    let hold = F.transaction(500, [pending(100, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])
    let holdID = PendingID(transaction: transactionID(500), operation: 0)
    let post = { (id: UInt64, amount: UInt64) in
        F.transaction(id, [.postPending(PostPending(pending: holdID, amount: Amount(amount)))], signedBy: [F.aliceKey])
    }
    switch code {
    case .exceedsAvailableBalance:
        return RejectionScenario(failing: F.transaction(1, [F.transfer(1, from: F.bob, to: F.alice)], signedBy: [F.bobKey]))
    case .accountNotFound:
        return RejectionScenario(failing: F.transaction(1, [F.transfer(1, from: F.alice, to: accountID(999))], signedBy: [F.aliceKey]))
    case .assetNotFound:
        return RejectionScenario(
            failing: F.transaction(1, [F.transfer(1, from: F.alice, to: F.bob, asset: AssetCode("EUR")!)], signedBy: [F.aliceKey]))
    case .assetMismatch:
        return RejectionScenario(failing: F.transaction(1, [F.transfer(1, from: F.btcIssuance, to: F.alice, asset: inr)], signedBy: [F.issuerKey]))
    case .insufficientSignatures:
        // Carol's account needs 2 of 3 keys; one signs. Alice funds her first.
        return RejectionScenario(
            setup: [(F.transaction(1, [F.transfer(50, from: F.alice, to: F.carol)], signedBy: [F.aliceKey]), 1)],
            failing: F.transaction(2, [F.transfer(10, from: F.carol, to: F.bob)], signedBy: [F.carolKeys[0]]))
    case .pendingNotFound:
        return RejectionScenario(failing: post(1, 1))
    case .pendingAlreadyPosted:
        return RejectionScenario(setup: [(hold, 1), (post(1, 100), 1)], failing: post(2, 100))
    case .pendingAlreadyVoided:
        let void = F.transaction(1, [.voidPending(VoidPending(pending: holdID))], signedBy: [F.bobKey])
        return RejectionScenario(setup: [(hold, 1), (void, 1)], failing: post(2, 100))
    case .pendingExpired:
        // The hold times out after 60 s; the post comes 60 s later, exactly at expiry.
        return RejectionScenario(setup: [(hold, 1)], failing: post(1, 100), advance: 60_000)
    case .amountZero:
        return RejectionScenario(failing: F.transaction(1, [F.transfer(0, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
    case .amountOverflow:
        return RejectionScenario(failing: F.transaction(1, [F.transfer(UInt64.max, from: F.inrIssuance, to: F.bob)], signedBy: [F.issuerKey]))
    case .accountClosed:
        let close = F.transaction(1, [.closeAccount(CloseAccount(account: F.bob))], signedBy: [F.bobKey])
        return RejectionScenario(setup: [(close, 1)], failing: F.transaction(2, [F.transfer(5, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
    case .idReusedWithDifferentContent:
        return RejectionScenario(
            setup: [(F.transaction(1, [F.transfer(5, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]), 1)],
            failing: F.transaction(1, [F.transfer(6, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]), operation: nil)
    case .limitExceeded:
        // Alice holds INR; 63 more assets fill her to the limit of 64, the 64th is one too many.
        var registrations: [LedgerOperation] = []
        var mints: [LedgerOperation] = []
        for n in 0..<64 {
            let code = AssetCode("T\(n)")!
            let issuance = accountID(0x1000 + UInt64(n))
            registrations.append(
                .registerAsset(RegisterAsset(asset: code, kind: .equity, scale: 0, issuer: F.centralBank, issuanceAccount: issuance)))
            mints.append(.transfer(Transfer(asset: code, debit: issuance, credit: F.alice, amount: Amount(1))))
        }
        return RejectionScenario(
            setup: [(F.transaction(1, registrations + Array(mints.prefix(63)), signedBy: [F.issuerKey]), 1)],
            failing: F.transaction(2, [mints[63]], signedBy: [F.issuerKey]))
    case .accountExists:
        return RejectionScenario(
            failing: F.transaction(
                1, [.createAccount(CreateAccount(account: F.alice, controllers: KeySet(single: F.bobKey.publicKey)))], signedBy: [F.bobKey]))
    case .assetExists:
        return RejectionScenario(
            failing: F.transaction(
                1, [.registerAsset(RegisterAsset(asset: inr, kind: .currency, scale: 2, issuer: F.centralBank, issuanceAccount: accountID(77)))],
                signedBy: [F.issuerKey]))
    case .sameAccount:
        return RejectionScenario(failing: F.transaction(1, [F.transfer(1, from: F.alice, to: F.alice)], signedBy: [F.aliceKey]))
    case .accountNotEmpty:
        return RejectionScenario(failing: F.transaction(1, [.closeAccount(CloseAccount(account: F.alice))], signedBy: [F.aliceKey]))
    case .exceedsPendingAmount:
        return RejectionScenario(setup: [(hold, 1)], failing: post(1, 101))
    case .issuanceAccountRestricted:
        return RejectionScenario(failing: F.transaction(1, [.closeAccount(CloseAccount(account: F.inrIssuance))], signedBy: [F.issuerKey]))
    case .zoneInvalid, .lawInvalid, .lawAssetNotAllowed, .lawPaymentCap, .lawCorridorCap, .lawDailyCap, .lawMonthlyCap, .lawBalanceCap,
        .levyUnpaid, .levyMismatch, .proposalInvalid, .proposalClosed, .zoneEntryRefused:
        return zoneScenario(for: code)
    case .instrumentInvalid, .exceedsAuthorisedAmount, .holdingLocked, .identityNotVerified, .maxHoldingExceeded, .maxHoldersExceeded:
        return securitiesScenario(for: code)
    case .actionInvalid, .instrumentSettling, .instrumentRedeemed, .registerMismatch, .ballotClosed, .pendingLinkInvalid, .linkedPendingUnresolved:
        return actionScenario(for: code)
    case .attestorNotRegistered, .governanceThresholdNotMet, .coverageInsufficient, .reserveDataStale, .policyInvalid, .asOfInvalid,
        .liabilitiesMismatch:
        return reserveScenario(for: code)
    case .providerInvalid, .addressTaken, .addressNotFound, .requestInvalid, .mandateInvalid, .mandateInactive, .mandateAmountCap,
        .mandateTooFrequent, .quoteExpired, .quoteOutOfRange, .quoteInvalid, .remittanceInvalid:
        return paymentScenario(for: code)
    }
}

/// The rejections of the reserve operations, on a ledger with a monetary policy.
func reserveScenario(for code: RejectionCode) -> RejectionScenario {
    typealias R = ReserveFixture
    let state = R.genesisState()
    let later = R.genesisTime + 1
    switch code {
    case .attestorNotRegistered:
        // A key nobody registered attests holdings for itself.
        let attest = AttestReserve(custodian: R.stranger, asset: btc, amount: Amount(1), asOf: Timestamp(milliseconds: later))
        return RejectionScenario(start: state, failing: F.transaction(1, [.attestReserve(attest)], signedBy: [R.strangerKey]))
    case .governanceThresholdNotMet:
        let change = SetMonetaryPolicy(policy: R.policy(version: 2, coverage: 1))
        return RejectionScenario(start: state, failing: F.transaction(1, [.setMonetaryPolicy(change)], signedBy: [R.governanceKeys[0]]))
    case .coverageInsufficient:
        // One paisa more than the reserves cover.
        let mint = R.mint(R.reserveValue - F.aliceOpeningINR + 1)
        return RejectionScenario(start: state, failing: F.transaction(1, [mint], signedBy: [F.issuerKey]))
    case .reserveDataStale:
        // Prices may be 600 s old; this mint comes 600.001 s after them.
        return RejectionScenario(start: state, failing: F.transaction(1, [R.mint(1)], signedBy: [F.issuerKey]), advance: 600_001)
    case .policyInvalid:
        let skipping = SetMonetaryPolicy(policy: R.policy(version: 3))
        return RejectionScenario(
            start: state, failing: F.transaction(1, [.setMonetaryPolicy(skipping)], signedBy: Array(R.governanceKeys.prefix(2))))
    case .asOfInvalid:
        // Dated ten seconds after the entry that carries it.
        let attest = AttestReserve(custodian: R.btcVault, asset: btc, amount: Amount(1), asOf: Timestamp(milliseconds: later + 10_000))
        return RejectionScenario(start: state, failing: F.transaction(1, [.attestReserve(attest)], signedBy: [R.btcVaultKey]))
    case .liabilitiesMismatch:
        // A total one paisa short of the supply after genesis.
        let commit = CommitLiabilities(
            asset: inr, asOf: 1, total: Amount(F.aliceOpeningINR - 1), leafCount: 1024, root: Digest32.sha256([UInt8]()))
        return RejectionScenario(start: state, failing: F.transaction(1, [.commitLiabilities(commit)], signedBy: [F.ledgerKey]))
    default:
        preconditionFailure("not a reserve rejection: \(code)")
    }
}

@Suite("State machine")
struct StateMachineTests {
    /// Every rejection code is reachable, names the failing operation, and the
    /// rejected transaction changes no balance, account, asset or pending transfer.
    @Test(arguments: RejectionCode.allCases)
    func rejectionChangesNothing(code: RejectionCode) {
        let scenario = scenario(for: code)
        var state = scenario.start
        for (transaction, advance) in scenario.setup {
            #expect(apply(&state, transaction, advance: advance) == .committed, "setup for \(code.name)")
        }
        let before = Books(state)
        let outcome = apply(&state, scenario.failing, advance: scenario.advance)
        #expect(outcome == .rejected(code, operation: scenario.operation, law: scenario.law))
        if code == .pendingExpired {
            // The expiry itself released the hold: that is the entry's time passing, not the rejected post.
            #expect(state.balance(of: F.alice, in: inr).debitsPending == 0)
            #expect(state.pendings[PendingID(transaction: transactionID(500), operation: 0)]?.state == .expired)
        } else if code == .ballotClosed {
            // The entry's time closed the ballot; the refused vote counted nothing.
            #expect(Books(state).balances == before.balances && state.securities.actions[1]?.isOpen == false)
            #expect(state.securities.actions[1]?.votes.isEmpty == true)
        } else if code == .proposalClosed {
            // The entry's time ended the vote (no quorum); the refused vote counted nothing.
            #expect(Books(state).balances == before.balances && state.zones.proposals[1]?.status == .noQuorum)
            #expect(state.zones.proposals[1]?.votes.isEmpty == true)
        } else {
            #expect(Books(state) == before)
        }
        #expect(state.invariantViolations().isEmpty)
    }

    /// Operations commit all or none: a failing second operation undoes the first.
    @Test func transactionIsAtomic() {
        var state = F.genesisState()
        let before = Books(state)
        let transaction = F.transaction(
            1,
            [
                F.transfer(10, from: F.alice, to: F.bob),
                .createAccount(CreateAccount(account: accountID(50), controllers: KeySet(single: F.aliceKey.publicKey))),
                F.transfer(10, from: F.bob, to: accountID(999)),
            ], signedBy: [F.aliceKey, F.bobKey])
        #expect(apply(&state, transaction) == .rejected(.accountNotFound, operation: 2))
        #expect(Books(state) == before)
    }

    /// A two-phase payment: hold, post part, the rest returns to the payer.
    @Test func partialPostReleasesTheRest() {
        var state = F.genesisState()
        #expect(apply(&state, F.transaction(1, [pending(300, from: F.alice, to: F.bob)], signedBy: [F.aliceKey])) == .committed)
        #expect(state.balance(of: F.alice, in: inr).available == Int128(F.aliceOpeningINR - 300))
        let id = PendingID(transaction: transactionID(1), operation: 0)
        let post = F.transaction(2, [.postPending(PostPending(pending: id, amount: Amount(120)))], signedBy: [F.aliceKey])
        #expect(apply(&state, post) == .committed)
        #expect(
            state.balance(of: F.alice, in: inr) == Balance(debitsPosted: 120, creditsPosted: F.aliceOpeningINR, debitsPending: 0, creditsPending: 0))
        #expect(state.balance(of: F.bob, in: inr) == Balance(debitsPosted: 0, creditsPosted: 120, debitsPending: 0, creditsPending: 0))
        #expect(state.pendings[id]?.postedAmount == Amount(120))
    }

    /// A pending transfer expires by the stamped time of a later entry, even one
    /// that does not mention it, and the hold returns to the payer.
    @Test func expiryFollowsStampedTime() {
        var state = F.genesisState()
        apply(&state, F.transaction(1, [pending(300, from: F.alice, to: F.bob, timeout: 5)], signedBy: [F.aliceKey]))
        apply(&state, F.transaction(2, [F.transfer(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]), advance: 4_998)
        #expect(state.balance(of: F.alice, in: inr).debitsPending == 300)
        // The hold was stamped at t+1 with a 5 s timeout; this entry is at t+1+5000.
        apply(&state, F.transaction(3, [F.transfer(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]), advance: 2)
        #expect(state.balance(of: F.alice, in: inr).debitsPending == 0)
        #expect(state.balance(of: F.bob, in: inr).creditsPending == 0)
    }

    /// Minting and burning are transfers from and to the issuance account; the
    /// issuance account carries the negative side and supply follows.
    @Test func mintAndBurnMoveSupply() {
        var state = F.genesisState()
        #expect(apply(&state, F.transaction(1, [F.transfer(500, from: F.inrIssuance, to: F.bob)], signedBy: [F.issuerKey])) == .committed)
        #expect(state.supply(of: inr) == F.aliceOpeningINR + 500)
        #expect(apply(&state, F.transaction(2, [F.transfer(200, from: F.bob, to: F.inrIssuance)], signedBy: [F.bobKey])) == .committed)
        #expect(state.supply(of: inr) == F.aliceOpeningINR + 300)
        #expect(state.balance(of: F.inrIssuance, in: inr).posted == -Int128(F.aliceOpeningINR + 300))
        // Only the issuer's keys may mint.
        #expect(
            apply(&state, F.transaction(3, [F.transfer(1, from: F.inrIssuance, to: F.bob)], signedBy: [F.bobKey]))
                == .rejected(.insufficientSignatures, operation: 0))
    }

    /// After a controller change, the old key no longer authorises and the new one does.
    @Test func changedControllersTakeEffect() {
        var state = F.genesisState()
        let newKey = testKey(9)
        let change = ChangeControllers(account: F.alice, controllers: KeySet(single: newKey.publicKey))
        #expect(apply(&state, F.transaction(1, [.changeControllers(change)], signedBy: [F.aliceKey])) == .committed)
        #expect(
            apply(&state, F.transaction(2, [F.transfer(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
                == .rejected(.insufficientSignatures, operation: 0))
        #expect(apply(&state, F.transaction(3, [F.transfer(1, from: F.alice, to: F.bob)], signedBy: [newKey])) == .committed)
    }

    /// Two of Carol's three keys are enough.
    @Test func thresholdOfTwoIsMet() {
        var state = F.genesisState()
        apply(&state, F.transaction(1, [F.transfer(50, from: F.alice, to: F.carol)], signedBy: [F.aliceKey]))
        #expect(
            apply(&state, F.transaction(2, [F.transfer(10, from: F.carol, to: F.bob)], signedBy: [F.carolKeys[0], F.carolKeys[2]])) == .committed)
    }

    /// A failed id stays failed: the same id retried is a reuse, even after the
    /// condition that failed it has gone.
    @Test func failedIdStaysFailed() {
        var state = F.genesisState()
        let attempt = F.transaction(1, [F.transfer(5, from: F.bob, to: F.alice)], signedBy: [F.bobKey])
        #expect(apply(&state, attempt) == .rejected(.exceedsAvailableBalance, operation: 0))
        apply(&state, F.transaction(2, [F.transfer(10, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
        #expect(state.record(of: transactionID(1))?.outcome == .rejected(.exceedsAvailableBalance, operation: 0))
        #expect(apply(&state, attempt) == .rejected(.idReusedWithDifferentContent, operation: nil))
        #expect(state.balance(of: F.bob, in: inr).posted == 10)
    }

    /// A snapshot restores a state whose digest and snapshot bytes are identical.
    @Test func snapshotRoundTrips() throws {
        var state = F.genesisState()
        apply(&state, F.transaction(1, [pending(300, from: F.alice, to: F.bob, timeout: 5)], signedBy: [F.aliceKey]))
        apply(&state, F.transaction(2, [F.transfer(7, from: F.alice, to: F.carol)], signedBy: [F.aliceKey]))
        let restored = try LedgerState(snapshot: state.encodedSnapshot())
        #expect(restored.digest == state.digest)
        #expect(Books(restored) == Books(state))
        // The pending transfer's expiry survives the snapshot.
        var later = restored
        apply(&later, F.transaction(3, [F.transfer(1, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]), advance: 10_000)
        #expect(later.balance(of: F.alice, in: inr).debitsPending == 0)
    }
}

@Suite("Holder counts")
struct HolderCountTests {
    /// Holder counts follow balances through payments, rollbacks and snapshots.
    @Test func holdersFollowBalances() throws {
        var state = F.genesisState()
        #expect(state.holders[inr] == 1)
        apply(&state, F.transaction(1, [F.transfer(10, from: F.alice, to: F.bob)], signedBy: [F.aliceKey]))
        #expect(state.holders[inr] == 2)
        // A rejected transaction that would have added a holder leaves the count alone.
        apply(
            &state,
            F.transaction(
                2, [F.transfer(5, from: F.alice, to: F.carol), F.transfer(1, from: F.bob, to: accountID(999))], signedBy: [F.aliceKey, F.bobKey]))
        #expect(state.holders[inr] == 2)
        apply(&state, F.transaction(3, [F.transfer(10, from: F.bob, to: F.alice)], signedBy: [F.bobKey]))
        #expect(state.holders[inr] == 1)
        #expect(try LedgerState(snapshot: state.encodedSnapshot()).holders == state.holders)
    }
}
