import KhataBytes
import KhataCore
import KhataEd25519
import KhataTestSupport
import Testing

typealias P = PaymentFixture

private let asha = F.alice
private let ashaAddress = PaymentAddress(text: "asha@kbank")!

private func bind(_ address: PaymentAddress = ashaAddress, to account: AccountID = asha, name: String = "Asha Verma") -> LedgerOperation {
    .bindAddress(try! BindAddress(address: address, account: account, displayName: name))
}

/// Applies `operations` signed by `signers`, `advance` ms after the last entry,
/// with an id of its own (from the entry's index).
@discardableResult
private func run(_ state: inout LedgerState, _ operations: [LedgerOperation], _ signers: [SigningKey], advance: UInt64 = 1) -> Outcome {
    apply(&state, F.transaction(90_000 + state.size, operations, signedBy: signers), advance: advance)
}

/// The id `run` gave the last entry.
private func lastTransaction(_ state: LedgerState) -> TransactionID { transactionID(90_000 + state.size - 1) }

private func mandate(max: UInt64 = 5_000, period: UInt32 = 3_600, start: UInt64, end: UInt64) -> LedgerOperation {
    .createMandate(
        try! CreateMandate(
            payer: asha, payee: F.bob, asset: inr, maxPerDebit: Amount(max), periodSeconds: period, start: Timestamp(milliseconds: start),
            end: Timestamp(milliseconds: end), memo: "gym"))
}

private func collect(_ mandate: OperationRef, _ amount: UInt64) -> LedgerOperation {
    .collectMandate(try! CollectMandate(mandate: mandate, amount: Amount(amount)))
}

/// The rejections of the payment operations, on the payment fixture.
func paymentScenario(for code: RejectionCode) -> RejectionScenario {
    let start = P.genesisState()
    let bound = F.transaction(1, [bind()], signedBy: [P.kbankKey, F.aliceKey])
    let mandateID = OperationRef(transaction: transactionID(1), operation: 0)
    let created = F.transaction(1, [mandate(start: 1_000, end: 1_000_000_000)], signedBy: [F.aliceKey])
    switch code {
    case .providerInvalid:
        return RejectionScenario(
            start: start, failing: F.transaction(2, [bind(PaymentAddress(text: "asha@nobank")!)], signedBy: [P.kbankKey, F.aliceKey]))
    case .addressTaken:
        return RejectionScenario(
            start: start, setup: [(bound, 1)], failing: F.transaction(2, [bind(to: F.bob, name: "Bob")], signedBy: [P.kbankKey, F.bobKey]))
    case .addressNotFound:
        return RejectionScenario(
            start: start, failing: F.transaction(2, [.unbindAddress(UnbindAddress(address: ashaAddress))], signedBy: [F.aliceKey]))
    case .requestInvalid:
        let request = try! RequestPayment(payee: F.bob, payer: asha, asset: inr, amount: Amount(500), memo: "lunch", expiresInSeconds: 60)
        let requested = F.transaction(1, [.requestPayment(request)], signedBy: [F.bobKey])
        let answer = AnswerRequest(request: OperationRef(transaction: transactionID(1), operation: 0), accept: true)
        // Answered 60 s after it was made: it has expired.
        return RejectionScenario(
            start: start, setup: [(requested, 1)], failing: F.transaction(2, [.answerRequest(answer)], signedBy: [F.aliceKey]), advance: 60_000)
    case .mandateInvalid:
        let stranger = OperationRef(transaction: transactionID(77), operation: 0)
        // Unknown to the state: `apply` refuses it (the sequencer's pre-check would not log it).
        return RejectionScenario(start: start, failing: F.transaction(2, [.revokeMandate(RevokeMandate(mandate: stranger))], signedBy: [F.aliceKey]))
    case .mandateInactive:
        let revoke = F.transaction(2, [.revokeMandate(RevokeMandate(mandate: mandateID))], signedBy: [F.aliceKey])
        return RejectionScenario(
            start: start, setup: [(created, 1), (revoke, 1)], failing: F.transaction(3, [collect(mandateID, 100)], signedBy: [F.bobKey]))
    case .mandateAmountCap:
        return RejectionScenario(start: start, setup: [(created, 1)], failing: F.transaction(2, [collect(mandateID, 5_001)], signedBy: [F.bobKey]))
    case .mandateTooFrequent:
        let first = F.transaction(2, [collect(mandateID, 5_000)], signedBy: [F.bobKey])
        return RejectionScenario(
            start: start, setup: [(created, 1), (first, 1)], failing: F.transaction(3, [collect(mandateID, 1)], signedBy: [F.bobKey]))
    case .quoteExpired:
        let quote = P.quote(expiresAt: 1_001)
        return RejectionScenario(start: start, failing: F.transaction(1, P.remit(10_000, to: asha, quote: quote, in: start), signedBy: [P.priyaKey]))
    case .quoteOutOfRange:
        return RejectionScenario(start: start, failing: F.transaction(1, P.remit(100_001, to: asha, in: start), signedBy: [P.priyaKey]))
    case .quoteInvalid:
        // Signed, validly, by a key that is not the exchange's.
        let quote = P.quote(signedBy: F.bobKey)
        return RejectionScenario(start: start, failing: F.transaction(1, P.remit(10_000, to: asha, quote: quote, in: start), signedBy: [P.priyaKey]))
    case .remittanceInvalid:
        let sent = F.transaction(1, P.remit(10_000, to: asha, in: start), signedBy: [P.priyaKey])
        let id = OperationRef(transaction: transactionID(1), operation: 0)
        // Completed at once: there is nothing to complete.
        return RejectionScenario(
            start: start, setup: [(sent, 1)],
            failing: F.transaction(2, [.completeRemittance(CompleteRemittance(remittance: id))], signedBy: [P.remitcoKey]))
    default:
        preconditionFailure("not a payment rejection: \(code)")
    }
}

@Suite("Payments")
struct PaymentTests {
    // MARK: - Addresses

    @Test func addressNeedsTheHolderAndARegisteredProvider() throws {
        var state = P.genesisState()
        // Without the holder's signature: refused before the log, and by `apply` too.
        let unsigned = F.transaction(1, [bind()], signedBy: [P.kbankKey])
        #expect(state.refusal(of: unsigned)?.code == .insufficientSignatures)
        #expect(apply(&state, unsigned) == .rejected(.insufficientSignatures, operation: 0))
        // The holder alone cannot vouch for a name either.
        #expect(state.refusal(of: F.transaction(2, [bind()], signedBy: [F.aliceKey]))?.code == .insufficientSignatures)
        // An exchange is not an address provider.
        let wrongRole = F.transaction(3, [bind(PaymentAddress(text: "asha@remitco")!)], signedBy: [P.remitcoKey, F.aliceKey])
        #expect(state.refusal(of: wrongRole)?.code == .providerInvalid)
        #expect(run(&state, [bind()], [P.kbankKey, F.aliceKey]) == .committed)
        #expect(state.payments.addresses[ashaAddress]?.account == asha)
        #expect(state.payments.addresses[ashaAddress]?.displayName == "Asha Verma")
    }

    @Test func oneAddressOneAccountAndRebindingIsLogged() throws {
        var state = P.genesisState()
        #expect(run(&state, [bind()], [P.kbankKey, F.aliceKey]) == .committed)
        // The same account again: the name changes.
        #expect(run(&state, [bind(name: "Asha V.")], [P.kbankKey, F.aliceKey]) == .committed)
        #expect(state.payments.addresses[ashaAddress]?.displayName == "Asha V.")
        // Another account: refused until unbound.
        #expect(run(&state, [bind(to: F.bob, name: "Bob")], [P.kbankKey, F.bobKey]) == .rejected(.addressTaken, operation: 0))
        // The holder leaves on its own; then the address may go to Bob.
        #expect(run(&state, [.unbindAddress(UnbindAddress(address: ashaAddress))], [F.aliceKey]) == .committed)
        #expect(state.payments.addresses[ashaAddress] == nil)
        #expect(run(&state, [bind(to: F.bob, name: "Bob")], [P.kbankKey, F.bobKey]) == .committed)
        // Paying the address pays its current account.
        let payee = try #require(state.payments.addresses[ashaAddress]?.account)
        let before = state.balance(of: F.bob, in: inr).posted
        #expect(run(&state, [F.transfer(100, from: asha, to: payee)], [F.aliceKey]) == .committed)
        #expect(state.balance(of: F.bob, in: inr).posted == before + 100)
        // A stranger cannot unbind it.
        #expect(
            state.refusal(of: F.transaction(5, [.unbindAddress(UnbindAddress(address: ashaAddress))], signedBy: [F.aliceKey]))?.code
                == .insufficientSignatures)
    }

    @Test func addressTextIsCheckedAndLowered() {
        #expect(PaymentAddress(text: "Asha.Verma@KBank")?.description == "asha.verma@kbank")
        for bad in [
            "asha", "@kbank", "asha@", "a@b@c", "asha@k_bank", "as ha@kbank", String(repeating: "a", count: 65) + "@kbank",
            "asha@" + String(repeating: "k", count: 33),
        ] {
            #expect(PaymentAddress(text: bad) == nil, "\(bad)")
        }
    }

    // MARK: - Requests

    @Test func requestIsPaidOnceOrDeclined() {
        var state = P.genesisState()
        let request = { (id: UInt64) in
            LedgerOperation.requestPayment(
                try! RequestPayment(payee: F.bob, payer: asha, asset: inr, amount: Amount(2_500), memo: "dinner \(id)", expiresInSeconds: 600))
        }
        #expect(run(&state, [request(1)], [F.bobKey]) == .committed)
        let first = OperationRef(transaction: lastTransaction(state), operation: 0)
        // Only the payer answers.
        #expect(
            state.refusal(of: F.transaction(1, [.answerRequest(AnswerRequest(request: first, accept: true))], signedBy: [F.bobKey]))?.code
                == .insufficientSignatures)
        #expect(run(&state, [.answerRequest(AnswerRequest(request: first, accept: true))], [F.aliceKey]) == .committed)
        #expect(state.balance(of: F.bob, in: inr).posted == 2_500)
        #expect(state.payments.requests[first]?.status(at: state.time) == .paid)
        #expect(run(&state, [.answerRequest(AnswerRequest(request: first, accept: true))], [F.aliceKey]) == .rejected(.requestInvalid, operation: 0))
        #expect(run(&state, [request(2)], [F.bobKey]) == .committed)
        let second = OperationRef(transaction: lastTransaction(state), operation: 0)
        #expect(run(&state, [.answerRequest(AnswerRequest(request: second, accept: false))], [F.aliceKey]) == .committed)
        #expect(state.payments.requests[second]?.status(at: state.time) == .declined)
        #expect(state.balance(of: F.bob, in: inr).posted == 2_500)
    }

    // MARK: - Mandates

    @Test func mandateAllowsOneDebitPerPeriodUntilRevokedOrEnded() {
        var state = P.genesisState()
        let hour: UInt64 = 3_600_000
        #expect(run(&state, [mandate(start: 1_000, end: 1_000 + 3 * hour)], [F.aliceKey]) == .committed)
        let id = OperationRef(transaction: lastTransaction(state), operation: 0)
        // The payee collects alone; a stranger cannot.
        #expect(state.refusal(of: F.transaction(1, [collect(id, 100)], signedBy: [F.aliceKey]))?.code == .insufficientSignatures)
        #expect(run(&state, [collect(id, 5_001)], [F.bobKey]) == .rejected(.mandateAmountCap, operation: 0))
        #expect(run(&state, [collect(id, 5_000)], [F.bobKey]) == .committed)
        #expect(run(&state, [collect(id, 1)], [F.bobKey]) == .rejected(.mandateTooFrequent, operation: 0))
        // The next period.
        #expect(run(&state, [collect(id, 4_000)], [F.bobKey], advance: hour) == .committed)
        #expect(state.payments.mandates[id]?.debits == 2)
        #expect(state.payments.mandates[id]?.collected == 9_000)
        // After the end.
        #expect(run(&state, [collect(id, 1)], [F.bobKey], advance: 2 * hour) == .rejected(.mandateInactive, operation: 0))
        // A second mandate, revoked: the very next debit is refused.
        #expect(run(&state, [mandate(start: state.time.milliseconds, end: state.time.milliseconds + 10 * hour)], [F.aliceKey]) == .committed)
        let second = OperationRef(transaction: lastTransaction(state), operation: 0)
        #expect(run(&state, [.revokeMandate(RevokeMandate(mandate: second))], [F.aliceKey]) == .committed)
        #expect(run(&state, [collect(second, 1)], [F.bobKey]) == .rejected(.mandateInactive, operation: 0))
        #expect(state.balance(of: F.bob, in: inr).posted == 9_000)
    }

    @Test func mandateDebitObeysTheLaws() {
        var state = P.genesisState()
        // The mainland caps Asha (tier 0) at ₹100 a payment: a mandate cannot lift it.
        #expect(run(&state, [mandate(max: 20_000, start: 1_000, end: 1 << 40)], [F.aliceKey]) == .committed)
        let id = OperationRef(transaction: lastTransaction(state), operation: 0)
        #expect(run(&state, [collect(id, 10_001)], [F.bobKey]) == .rejected(.lawPaymentCap, operation: 0, law: ZoneFixture.mainlandLaw.hash))
    }

    // MARK: - Quotes and remittances

    @Test func acceptedQuoteMovesExactlyTheQuotedAmounts() {
        var state = P.genesisState()
        // $100.00 at 83.25: ₹8,325.00 to Asha; Priya pays $100 + $1.99 fee + 0.5 % levy ($0.50).
        #expect(run(&state, P.remit(10_000, to: asha, in: state), [P.priyaKey]) == .committed)
        #expect(state.balance(of: P.priya, in: usd).posted == Int128(P.priyaOpeningUSD - 10_000 - 199 - 50))
        #expect(state.balance(of: P.overseasTreasury, in: usd).posted == 50)
        #expect(state.balance(of: P.remitco, in: usd).posted == 10_199)
        #expect(state.balance(of: asha, in: inr).posted == Int128(F.aliceOpeningINR + 832_500))
        #expect(state.balance(of: P.remitco, in: inr).posted == Int128(P.remitcoOpeningINR - 832_500))
        let id = OperationRef(transaction: lastTransaction(state), operation: 0)
        let remittance = state.payments.remittances[id]
        #expect(remittance?.status == .completed)
        #expect(remittance?.converted == Amount(832_500))
        #expect(remittance?.outboundLevy == 50)
        // 3 cents make 249.75 paise: the recipient gets 250 (rounded up, never against the sender).
        #expect(run(&state, P.remit(3, to: asha, quote: P.quote(id: 2, min: 1), in: state), [P.priyaKey]) == .committed)
        #expect(state.balance(of: asha, in: inr).posted == Int128(F.aliceOpeningINR + 832_500 + 250))
        #expect(state.invariantViolations().isEmpty)
    }

    @Test func levyOnEnteringComesOutOfWhatIsDelivered() {
        var state = P.genesisState()
        // Dave is in the SEZ, which takes 0.5 % of what enters: $50 = ₹4,162.50, levy ₹20.81.
        #expect(run(&state, P.remit(5_000, to: ZoneFixture.dave, in: state), [P.priyaKey]) == .committed)
        #expect(state.balance(of: ZoneFixture.dave, in: inr).posted == Int128(ZoneFixture.daveOpeningINR + 416_250 - 2_081))
        #expect(state.balance(of: ZoneFixture.sezTreasury, in: inr).posted == 2_081)
        #expect(state.balance(of: P.remitco, in: inr).posted == Int128(P.remitcoOpeningINR - 416_250))
        let id = OperationRef(transaction: lastTransaction(state), operation: 0)
        #expect(state.payments.remittances[id]?.delivered == 416_250 - 2_081)
        #expect(state.invariantViolations().isEmpty)
    }

    @Test func quoteIsRefusedExpiredOutOfRangeChangedOrForeign() throws {
        var state = P.genesisState()
        let before = state.digest
        #expect(
            run(&state, P.remit(10_000, to: asha, quote: P.quote(expiresAt: 1_001), in: state), [P.priyaKey])
                == .rejected(.quoteExpired, operation: 0))
        #expect(run(&state, P.remit(99, to: asha, in: state), [P.priyaKey]) == .rejected(.quoteOutOfRange, operation: 0))
        #expect(run(&state, P.remit(100_001, to: asha, in: state), [P.priyaKey]) == .rejected(.quoteOutOfRange, operation: 0))
        #expect(
            run(&state, P.remit(10_000, to: asha, quote: P.quote(signedBy: F.bobKey), in: state), [P.priyaKey])
                == .rejected(.quoteInvalid, operation: 0))
        // A changed rate breaks the provider's signature: refused before the log.
        var changed = P.quote()
        changed.rate += 1
        let tampered = F.transaction(
            1, [.remit(try Remit(quote: changed, sender: P.priya, recipient: asha, amount: Amount(10_000)))], signedBy: [P.priyaKey])
        #expect(throws: MalformedInput.self) { try tampered.verifySignatures(origin: Fixture.origin) }
        // Nothing moved (the refused entries only advanced the size and time).
        #expect(state.balance(of: P.priya, in: usd).posted == Int128(P.priyaOpeningUSD))
        #expect(state.payments.quotes.isEmpty)
        _ = before
        // One number, one set of terms: a re-signed quote 1 at another rate is refused once 1 is in use.
        #expect(run(&state, P.remit(10_000, to: asha, in: state), [P.priyaKey]) == .committed)
        #expect(
            run(&state, P.remit(10_000, to: asha, quote: P.quote(rate: P.rate + 1), in: state), [P.priyaKey])
                == .rejected(.quoteInvalid, operation: 0))
    }

    @Test func quoteCapacityIsSharedAndDroppedAtExpiry() {
        var state = P.genesisState()
        let quote = P.quote(max: 10_000, capacity: 15_000, expiresAt: 100_000)
        #expect(run(&state, P.remit(10_000, to: F.bob, quote: quote, in: state), [P.priyaKey]) == .committed)
        #expect(run(&state, P.remit(5_001, to: F.bob, quote: quote, in: state), [P.priyaKey]) == .rejected(.quoteOutOfRange, operation: 0))
        #expect(run(&state, P.remit(5_000, to: F.bob, quote: quote, in: state), [P.priyaKey]) == .committed)
        #expect(state.payments.quotes.count == 1)
        run(&state, [F.transfer(1, from: asha, to: F.bob)], [F.aliceKey], advance: 100_000)
        #expect(state.payments.quotes.isEmpty)
    }

    @Test func remittanceFollowsTheSendersLaw() {
        var state = P.genesisState()
        // The overseas corridor allows $1,500 a payment; the quote allows $1,000, so use a larger one.
        let big = P.quote(id: 3, max: 200_000, capacity: 500_000)
        #expect(
            run(&state, P.remit(150_001, to: asha, quote: big, in: state), [P.priyaKey])
                == .rejected(.lawCorridorCap, operation: 0, law: P.overseasLaw.hash))
        // Without the levy leg: unpaid.
        let bare = LedgerOperation.remit(try! Remit(quote: P.quote(), sender: P.priya, recipient: asha, amount: Amount(10_000)))
        #expect(run(&state, [bare], [P.priyaKey]) == .rejected(.levyUnpaid, operation: 0, law: P.overseasLaw.hash))
    }

    @Test func timedOutRemittanceRefundsTheSenderInFull() {
        var state = P.genesisState()
        #expect(run(&state, P.remit(10_000, to: asha, timeout: 60, in: state), [P.priyaKey]) == .committed)
        let id = OperationRef(transaction: lastTransaction(state), operation: 0)
        #expect(state.payments.remittances[id]?.status == .pending)
        // Held: the amount, the fee and the levy.
        #expect(state.balance(of: P.priya, in: usd).available == Int128(P.priyaOpeningUSD - 10_249))
        #expect(state.balance(of: asha, in: inr).posted == Int128(F.aliceOpeningINR))
        // Nobody may post or void the holds directly.
        #expect(
            run(&state, [.postPending(PostPending(pending: id, amount: Amount(10_199)))], [P.priyaKey]) == .rejected(.remittanceInvalid, operation: 0)
        )
        #expect(run(&state, [.voidPending(VoidPending(pending: id))], [P.remitcoKey]) == .rejected(.remittanceInvalid, operation: 0))
        run(&state, [F.transfer(1, from: asha, to: F.bob)], [F.aliceKey], advance: 60_000)
        let remittance = state.payments.remittances[id]
        #expect(remittance?.status == .refunded)
        #expect(remittance?.refundedAt == remittance?.expiresAt)
        #expect(
            state.balance(of: P.priya, in: usd) == Balance(debitsPosted: 0, creditsPosted: P.priyaOpeningUSD, debitsPending: 0, creditsPending: 0))
        #expect(state.balance(of: P.overseasTreasury, in: usd).posted == 0)
        #expect(run(&state, [.completeRemittance(CompleteRemittance(remittance: id))], [P.remitcoKey]) == .rejected(.remittanceInvalid, operation: 0))
        #expect(state.invariantViolations().isEmpty)
    }

    @Test func waitingRemittanceCompletesAfterTheRecipientsStep() {
        var state = P.genesisState()
        // $300 make ₹24,975, past Bob's tier-0 mainland balance cap (₹20,000) until he is verified to tier 1.
        #expect(run(&state, P.remit(30_000, to: F.bob, timeout: 3_600, in: state), [P.priyaKey]) == .committed)
        let id = OperationRef(transaction: lastTransaction(state), operation: 0)
        #expect(
            run(&state, [.completeRemittance(CompleteRemittance(remittance: id))], [P.remitcoKey])
                == .rejected(.lawBalanceCap, operation: 0, law: ZoneFixture.mainlandLaw.hash))
        let attest = LedgerOperation.attestIdentity(
            AttestIdentity(provider: ZoneFixture.kyc, account: F.bob, tier: 1, expiresAt: Timestamp(milliseconds: 1 << 50)))
        #expect(run(&state, [attest], [ZoneFixture.kycKey]) == .committed)
        // Only the provider or the recipient completes it.
        #expect(
            state.refusal(of: F.transaction(1, [.completeRemittance(CompleteRemittance(remittance: id))], signedBy: [F.aliceKey]))?.code
                == .insufficientSignatures)
        #expect(run(&state, [.completeRemittance(CompleteRemittance(remittance: id))], [F.bobKey]) == .committed)
        let remittance = state.payments.remittances[id]
        #expect(remittance?.status == .completed)
        #expect(remittance?.completedAt == state.time)
        #expect(state.balance(of: P.overseasTreasury, in: usd).posted == 150)
        #expect(state.balance(of: P.remitco, in: usd).posted == 30_199)
        #expect(state.balance(of: F.bob, in: inr).posted == 2_497_500)
        #expect(
            state.balance(of: P.priya, in: usd)
                == Balance(debitsPosted: 30_349, creditsPosted: P.priyaOpeningUSD, debitsPending: 0, creditsPending: 0))
        #expect(state.invariantViolations().isEmpty)
    }

    @Test func refundsAreNewPaymentsBoundedByWhatWasPaid() {
        var state = P.genesisState()
        #expect(run(&state, P.remit(10_000, to: asha, in: state), [P.priyaKey]) == .committed)
        let id = OperationRef(transaction: lastTransaction(state), operation: 0)
        let refund = { (amount: UInt64) in LedgerOperation.refundRemittance(try! RefundRemittance(remittance: id, amount: Amount(amount))) }
        #expect(state.refusal(of: F.transaction(1, [refund(1)], signedBy: [P.priyaKey]))?.code == .insufficientSignatures)
        #expect(run(&state, [refund(10_000)], [P.remitcoKey]) == .committed)
        #expect(run(&state, [refund(200)], [P.remitcoKey]) == .rejected(.remittanceInvalid, operation: 0))
        #expect(run(&state, [refund(199)], [P.remitcoKey]) == .committed)
        #expect(state.payments.remittances[id]?.status == .refunded)
        #expect(state.balance(of: P.priya, in: usd).posted == Int128(P.priyaOpeningUSD - 50))
        // A waiting one is refunded whole by the provider, levy included.
        #expect(run(&state, P.remit(10_000, to: asha, timeout: 600, in: state), [P.priyaKey]) == .committed)
        let waiting = OperationRef(transaction: lastTransaction(state), operation: 0)
        let whole = LedgerOperation.refundRemittance(try! RefundRemittance(remittance: waiting, amount: Amount(10_249)))
        #expect(run(&state, [whole], [P.remitcoKey]) == .committed)
        #expect(
            state.balance(of: P.priya, in: usd)
                == Balance(debitsPosted: 10_249, creditsPosted: P.priyaOpeningUSD + 10_199, debitsPending: 0, creditsPending: 0))
        #expect(state.invariantViolations().isEmpty)
    }

    /// Conservation per asset after every commit, and a snapshot that restores
    /// the same state, under a random mix of remittances (some waiting),
    /// completions, refunds, lapses, requests and mandate debits.
    @Test func randomWorkloadConserves() throws {
        var random = SeededGenerator(seed: 0x5041_594D)
        var state = P.genesisState()
        #expect(run(&state, [mandate(max: 1_000, period: 60, start: 1_000, end: 1 << 40)], [F.aliceKey]) == .committed)
        let mandateID = OperationRef(transaction: lastTransaction(state), operation: 0)
        var waiting: [OperationRef] = []
        var done: [OperationRef] = []
        var committed = 0
        for step in 0..<400 {
            var operations: [LedgerOperation]
            var signers: [SigningKey]
            switch random.next() % 6 {
            case 0, 1:
                let recipient = [asha, F.bob, ZoneFixture.dave][Int(random.next() % 3)]
                let timeout: UInt32 = random.next() % 2 == 0 ? 0 : UInt32(random.next() % 120 + 1)
                operations = P.remit(
                    random.next() % 20_000 + 100, to: recipient, quote: P.quote(id: UInt64(step / 50 + 10)), timeout: timeout, in: state)
                signers = [P.priyaKey]
            case 2 where !waiting.isEmpty:
                operations = [.completeRemittance(CompleteRemittance(remittance: waiting.removeFirst()))]
                signers = [P.remitcoKey]
            case 3 where !done.isEmpty:
                let id = done[Int(random.next() % UInt64(done.count))]
                operations = [.refundRemittance(try RefundRemittance(remittance: id, amount: Amount(random.next() % 3_000 + 1)))]
                signers = [P.remitcoKey]
            case 4:
                operations = [collect(mandateID, random.next() % 1_200 + 1)]
                signers = [F.bobKey]
            default:
                operations = ZoneFixture.payment(random.next() % 2_000 + 1, from: asha, to: ZoneFixture.dave, in: state)
                signers = [F.aliceKey]
            }
            let outcome = run(&state, operations, signers, advance: random.next() % 30_000 + 1)
            if outcome.isCommitted {
                committed += 1
                if case .remit(let op) = operations[0] {
                    let id = OperationRef(transaction: lastTransaction(state), operation: 0)
                    if op.timeoutSeconds == 0 { done.append(id) } else { waiting.append(id) }
                }
                if case .completeRemittance(let op) = operations[0] { done.append(op.remittance) }
            }
            #expect(state.invariantViolations().isEmpty, "after step \(step)")
        }
        #expect(committed > 60)
        #expect(state.payments.remittances.values.contains { $0.status == .refunded })
        #expect(state.payments.remittances.values.contains { $0.status == .completed })
        let restored = try LedgerState(snapshot: state.encodedSnapshot())
        #expect(restored.digest == state.digest)
        #expect(restored.payments == state.payments)
    }
}

/// The payment operations' worked examples of docs/ENCODING.md, one operation each.
func paymentExamples() -> [(name: String, operation: LedgerOperation)] {
    let ref = OperationRef(transaction: transactionID(9), operation: 0)
    let quote = try! Quote(
        provider: "remitco", id: 7, from: usd, to: inr, rate: 8_325_000_000, fee: Amount(199), minAmount: Amount(100), maxAmount: Amount(100_000),
        capacity: Amount(500_000), expiresAt: Timestamp(milliseconds: 1_767_225_900_000), key: testKey(71).publicKey
    ).signed(by: testKey(71), origin: Fixture.origin)
    return [
        (
            "op-register-provider",
            .registerProvider(try! RegisterProvider(name: "kbank", displayName: "K Bank", account: accountID(0x404), roles: .addresses))
        ),
        (
            "op-bind-address",
            .bindAddress(try! BindAddress(address: PaymentAddress(text: "asha@kbank")!, account: Fixture.alice, displayName: "Asha Verma"))
        ),
        ("op-unbind-address", .unbindAddress(UnbindAddress(address: PaymentAddress(text: "asha@kbank")!))),
        (
            "op-request-payment",
            .requestPayment(
                try! RequestPayment(payee: Fixture.bob, payer: Fixture.alice, asset: inr, amount: Amount(2_500), memo: "tea", expiresInSeconds: 600))
        ),
        ("op-answer-request", .answerRequest(AnswerRequest(request: ref, accept: true))),
        (
            "op-create-mandate",
            .createMandate(
                try! CreateMandate(
                    payer: Fixture.alice, payee: Fixture.bob, asset: inr, maxPerDebit: Amount(50_000), periodSeconds: 2_592_000,
                    start: Timestamp(milliseconds: 1_767_225_600_000), end: Timestamp(milliseconds: 1_798_761_600_000), memo: "rent"))
        ),
        ("op-revoke-mandate", .revokeMandate(RevokeMandate(mandate: ref))),
        ("op-collect-mandate", .collectMandate(try! CollectMandate(mandate: ref, amount: Amount(50_000)))),
        ("op-remit", .remit(try! Remit(quote: quote, sender: accountID(0x402), recipient: Fixture.alice, amount: Amount(10_000), timeoutSeconds: 0))),
        ("op-complete-remittance", .completeRemittance(CompleteRemittance(remittance: ref))),
        ("op-refund-remittance", .refundRemittance(try! RefundRemittance(remittance: ref, amount: Amount(199)))),
    ]
}

@Suite("Payments: edges a review found")
struct PaymentEdgeTests {
    /// An exchange that is also a zone's treasury keeps the levy on entry
    /// (nothing moves to itself), and every asset still sums to zero.
    @Test func exchangeThatIsTheTreasuryConserves() {
        var state = P.genesisState()
        let register = LedgerOperation.registerProvider(
            try! RegisterProvider(name: "sezfx", displayName: "SEZ FX", account: ZoneFixture.sezTreasury, roles: .exchange))
        #expect(run(&state, [register], [F.issuerKey]) == .committed)
        #expect(run(&state, [F.transfer(400_000, from: F.inrIssuance, to: ZoneFixture.sezTreasury)], [F.issuerKey]) == .committed)
        let quote = try! Quote(
            provider: "sezfx", id: 1, from: usd, to: inr, rate: P.rate, fee: Amount(0), minAmount: Amount(1), maxAmount: Amount(10_000),
            capacity: Amount(10_000), expiresAt: Timestamp(milliseconds: 1 << 50), key: ZoneFixture.sezTreasuryKey.publicKey
        ).signed(by: ZoneFixture.sezTreasuryKey, origin: Fixture.origin)
        #expect(run(&state, P.remit(1_000, to: ZoneFixture.dave, quote: quote, in: state), [P.priyaKey]) == .committed)
        // $10 make ₹832.50; the SEZ's 0.5 % (₹4.16) stays with the exchange that is its treasury.
        #expect(state.balance(of: ZoneFixture.dave, in: inr).posted == Int128(ZoneFixture.daveOpeningINR + 83_250 - 416))
        #expect(state.balance(of: ZoneFixture.sezTreasury, in: inr).posted == Int128(400_000 - 83_250 + 416))
        #expect(state.invariantViolations().isEmpty)
    }

    /// A waiting remittance completed earlier in the same transaction pays its
    /// levy outright or not at all: no hold is left for a remittance that ended.
    @Test func levyOfAnEndedRemittanceIsNotHeld() {
        var state = P.genesisState()
        let remit = try! Remit(quote: P.quote(), sender: P.priya, recipient: F.bob, amount: Amount(10_000), timeoutSeconds: 60)
        let id = OperationRef(transaction: transactionID(90_000 + state.size), operation: 0)
        let operations: [LedgerOperation] = [
            .remit(remit), .completeRemittance(CompleteRemittance(remittance: id)),
            .payLevy(PayLevy(operation: 0, zone: P.overseas, amount: Amount(50))),
        ]
        #expect(run(&state, operations, [P.priyaKey, P.remitcoKey]) == .rejected(.remittanceInvalid, operation: 2))
        #expect(state.pendings.isEmpty && state.payments.remittances.isEmpty)
    }

    /// One key of an exchange whose account needs two signatures cannot
    /// commit its money by signing a quote.
    @Test func multisigExchangeCannotQuoteWithOneKey() {
        var state = P.genesisState()
        let twoKeys = try! KeySet(threshold: 2, keys: [P.remitcoKey.publicKey, F.bobKey.publicKey].sorted())
        #expect(run(&state, [.changeControllers(ChangeControllers(account: P.remitco, controllers: twoKeys))], [P.remitcoKey]) == .committed)
        #expect(run(&state, P.remit(10_000, to: asha, in: state), [P.priyaKey]) == .rejected(.quoteInvalid, operation: 0))
    }

    /// Objects made earlier in a transaction are known to the pre-check: a
    /// mandate and its first debit, a request and its answer, in one transaction.
    @Test func objectsMadeEarlierInTheTransactionAuthorise() {
        var state = P.genesisState()
        let id = OperationRef(transaction: transactionID(90_000 + state.size), operation: 0)
        let both = F.transaction(90_000 + state.size, [mandate(start: 1_000, end: 1 << 40), collect(id, 100)], signedBy: [F.aliceKey, F.bobKey])
        #expect(state.refusal(of: both) == nil)
        #expect(apply(&state, both) == .committed)
        // Without the payee, the debit is refused before the log.
        let alone = F.transaction(
            90_000 + state.size,
            [mandate(start: 1_000, end: 1 << 40), collect(OperationRef(transaction: transactionID(90_000 + state.size), operation: 0), 100)],
            signedBy: [F.aliceKey])
        #expect(state.refusal(of: alone)?.code == .insufficientSignatures)
    }
}

@Suite("Payments: quote signatures in a batch")
struct QuoteSignatureBatchTests {
    /// A quote shared by many remittances of a batch is checked once, and a
    /// changed copy of it among them still fails, alone.
    @Test func sharedQuoteIsCheckedOnceAndATamperedCopyStillFails() throws {
        let remit = { (quote: Quote, id: UInt64) in
            F.transaction(id, [.remit(try! Remit(quote: quote, sender: P.priya, recipient: asha, amount: Amount(10_000)))], signedBy: [P.priyaKey])
        }
        var changed = P.quote()
        changed.fee = Amount(1)
        let forged = P.quote(signedBy: F.bobKey)
        var reused = forged
        reused.key = P.remitcoKey.publicKey
        let batch = [remit(P.quote(), 1), remit(P.quote(), 2), remit(changed, 3), remit(P.quote(), 4), remit(reused, 5)]
        let answers = Transaction.verifySignatures(of: batch, origin: Fixture.origin)
        #expect(answers.map { $0 == nil } == [true, true, false, true, false])
        #expect(answers[2]?.message.contains("quote 1 of provider remitco") == true)
    }
}
