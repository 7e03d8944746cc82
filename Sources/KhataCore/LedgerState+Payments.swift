import KhataBytes
import KhataEd25519

// Payments in the state machine (docs/PAYMENTS.md): providers and addresses,
// requests, mandates, and remittances at a firm quote, with their holds,
// completion, lapse and refunds. Every payment here moves value through the
// same checks as a transfer: funds, instruments' rules, and the zones' laws.

extension LedgerState {
    // MARK: - Providers and addresses

    mutating func registerProvider(_ op: RegisterProvider, _ context: inout ApplyContext) -> RejectionCode? {
        guard context.isAuthorized(by: issuerKeys) else { return .insufficientSignatures }
        guard payments.providers[op.name] == nil else { return .providerInvalid }
        guard let account = accounts[op.account] else { return .accountNotFound }
        guard !account.isClosed else { return .accountClosed }
        guard account.isBoundByLaw else { return .providerInvalid }
        context.undo.append(.provider(op.name, nil))
        payments.providers[op.name] = PaymentProvider(
            name: op.name, displayName: op.displayName, account: op.account, roles: op.roles, registeredAt: context.index)
        return nil
    }

    mutating func bindAddress(_ op: BindAddress, _ context: inout ApplyContext) -> RejectionCode? {
        guard let provider = payments.addressProvider(of: op.address) else { return .providerInvalid }
        guard let account = accounts[op.account] else { return .accountNotFound }
        guard !account.isClosed else { return .accountClosed }
        guard account.isBoundByLaw else { return .issuanceAccountRestricted }
        // The provider vouches for the name; the holder consents to the address.
        guard context.isAuthorized(by: authority(of: provider.account)), context.isAuthorized(by: account.controllers) else {
            return .insufficientSignatures
        }
        let old = payments.addresses[op.address]
        if let old, old.account != op.account { return .addressTaken }
        context.undo.append(.address(op.address, old))
        payments.addresses[op.address] = AddressBinding(address: op.address, account: op.account, displayName: op.displayName, boundAt: context.index)
        return nil
    }

    mutating func unbindAddress(_ op: UnbindAddress, _ context: inout ApplyContext) -> RejectionCode? {
        guard let binding = payments.addresses[op.address] else { return .addressNotFound }
        let provider = payments.providers[op.address.provider]
        guard context.isAuthorized(by: provider.flatMap { authority(of: $0.account) }) || context.isAuthorized(by: authority(of: binding.account))
        else { return .insufficientSignatures }
        context.undo.append(.address(op.address, binding))
        payments.addresses[op.address] = nil
        return nil
    }

    // MARK: - Requests

    mutating func requestPayment(_ op: RequestPayment, _ context: inout ApplyContext) -> RejectionCode? {
        guard op.payee != op.payer else { return .sameAccount }
        guard let payee = accounts[op.payee], let payer = accounts[op.payer] else { return .accountNotFound }
        guard assets[op.asset] != nil else { return .assetNotFound }
        guard !payee.isClosed, !payer.isClosed else { return .accountClosed }
        guard payee.isBoundByLaw, payer.isBoundByLaw else { return .issuanceAccountRestricted }
        guard context.isAuthorized(by: payee.controllers) else { return .insufficientSignatures }
        let id = OperationRef(transaction: context.transaction, operation: context.operation)
        context.undo.append(.request(id, nil))
        payments.requests[id] = PaymentRequest(
            id: id, payee: op.payee, payer: op.payer, asset: op.asset, amount: op.amount, memo: op.memo, createdAt: context.time,
            expiresAt: context.time.adding(seconds: op.expiresInSeconds), answer: .open, answeredAt: nil)
        return nil
    }

    mutating func answerRequest(_ op: AnswerRequest, _ context: inout ApplyContext) -> RejectionCode? {
        guard var request = payments.requests[op.request], request.status(at: context.time) == .open else { return .requestInvalid }
        guard context.isAuthorized(by: authority(of: request.payer)) else { return .insufficientSignatures }
        if op.accept {
            let payment = Transfer(asset: request.asset, debit: request.payer, credit: request.payee, amount: request.amount, memo: request.memo)
            if let code = pay(payment, &context) { return code }
        }
        context.undo.append(.request(op.request, request))
        request.answer = op.accept ? .paid : .declined
        request.answeredAt = context.time
        payments.requests[op.request] = request
        return nil
    }

    /// Moves a payment its payer has authorised (by signing, or by a mandate)
    /// as a transfer moves: funds, instruments' rules, laws and levies.
    private mutating func pay(_ payment: Transfer, _ context: inout ApplyContext) -> RejectionCode? {
        if let code = checkTransfer(payment, &context, authorised: true) { return code }
        if let code = checkInstrumentTransfer(payment, pending: false, &context) { return code }
        if !zones.isEmpty, let code = checkLaws(payment, .transfer, &context) { return code }
        return movePosted(payment, &context)
    }

    // MARK: - Mandates

    mutating func createMandate(_ op: CreateMandate, _ context: inout ApplyContext) -> RejectionCode? {
        guard let payer = accounts[op.payer], let payee = accounts[op.payee] else { return .accountNotFound }
        guard assets[op.asset] != nil else { return .assetNotFound }
        guard !payer.isClosed, !payee.isClosed else { return .accountClosed }
        guard payer.isBoundByLaw, payee.isBoundByLaw else { return .issuanceAccountRestricted }
        guard context.isAuthorized(by: payer.controllers) else { return .insufficientSignatures }
        let id = OperationRef(transaction: context.transaction, operation: context.operation)
        context.undo.append(.mandate(id, nil))
        payments.mandates[id] = Mandate(id: id, terms: op, createdAt: context.time)
        return nil
    }

    mutating func revokeMandate(_ op: RevokeMandate, _ context: inout ApplyContext) -> RejectionCode? {
        guard var mandate = payments.mandates[op.mandate] else { return .mandateInvalid }
        guard context.isAuthorized(by: authority(of: mandate.terms.payer)) else { return .insufficientSignatures }
        guard mandate.revokedAt == nil, context.time < mandate.terms.end else { return .mandateInactive }
        context.undo.append(.mandate(op.mandate, mandate))
        mandate.revokedAt = context.time
        payments.mandates[op.mandate] = mandate
        return nil
    }

    mutating func collectMandate(_ op: CollectMandate, _ context: inout ApplyContext) -> RejectionCode? {
        guard var mandate = payments.mandates[op.mandate] else { return .mandateInvalid }
        let terms = mandate.terms
        guard context.isAuthorized(by: authority(of: terms.payee)) else { return .insufficientSignatures }
        guard mandate.isActive(at: context.time), let period = mandate.period(at: context.time) else { return .mandateInactive }
        guard op.amount <= terms.maxPerDebit else { return .mandateAmountCap }
        guard mandate.lastPeriod != period else { return .mandateTooFrequent }
        guard let collected = add(mandate.collected, op.amount) else { return .amountOverflow }
        let payment = Transfer(asset: terms.asset, debit: terms.payer, credit: terms.payee, amount: op.amount, memo: op.memo)
        if let code = pay(payment, &context) { return code }
        context.undo.append(.mandate(op.mandate, mandate))
        mandate.lastPeriod = period
        mandate.debits += 1
        mandate.collected = collected
        payments.mandates[op.mandate] = mandate
        return nil
    }

    // MARK: - Remittances

    /// Checks a quote against the ledger: its provider exchanges, its key is
    /// one of the provider's, it has not expired, and its number stands for
    /// these terms. Returns the provider's account.
    public func check(quote: Quote, at time: Timestamp) -> (provider: AccountID?, refusal: RejectionCode?) {
        guard let provider = payments.providers[quote.provider], provider.roles.contains(.exchange),
            // A quote's one signature authorises the exchange's payments, so an
            // exchange quotes from an account that one key controls.
            let account = accounts[provider.account], !account.isClosed, account.controllers?.keys.contains(quote.key) == true,
            account.controllers?.threshold == 1,
            assets[quote.from]?.kind == .currency, assets[quote.to]?.kind == .currency
        else { return (nil, .quoteInvalid) }
        guard time < quote.expiresAt else { return (nil, .quoteExpired) }
        let key = QuoteKey(provider: quote.provider, id: quote.id)
        if let use = payments.quotes[key], use.terms != quote.termsDigest { return (nil, .quoteInvalid) }
        return (provider.account, nil)
    }

    mutating func remit(_ op: Remit, _ context: inout ApplyContext) -> RejectionCode? {
        let quote = op.quote
        let checked = check(quote: quote, at: context.time)
        guard let providerAccount = checked.provider else { return checked.refusal }
        let key = QuoteKey(provider: quote.provider, id: quote.id)
        let used = payments.quotes[key]?.used ?? 0
        guard op.amount >= quote.minAmount, op.amount <= quote.maxAmount, used <= quote.capacity.units, op.amount.units <= quote.capacity.units - used
        else {
            return .quoteOutOfRange
        }
        guard let converted = quote.converted(op.amount), let paid = add(op.amount.units, quote.fee) else { return .amountOverflow }
        guard let recipient = accounts[op.recipient] else { return .accountNotFound }
        guard !recipient.isClosed else { return .accountClosed }
        guard recipient.isBoundByLaw, op.recipient != providerAccount else { return .issuanceAccountRestricted }
        // The sender pays the provider the amount and the fee: a transfer's checks, the sender's keys.
        let payment = Transfer(asset: quote.from, debit: op.sender, credit: providerAccount, amount: Amount(paid), memo: op.memo)
        if let code = checkTransfer(payment, &context) { return code }
        // Under the laws, the remittance leaves the sender's zone for the recipient's.
        if !zones.isEmpty {
            let leaving = Transfer(asset: quote.from, debit: op.sender, credit: op.recipient, amount: op.amount)
            let owedBefore = context.owedLevies.count
            if let code = checkLaws(leaving, .sending, &context) { return code }
            // Its levy is paid by a `pay_levy` leg; a waiting remittance's is held with it.
            for position in owedBefore..<context.owedLevies.count {
                context.owedLevies[position].remittance = (
                    OperationRef(transaction: context.transaction, operation: context.operation),
                    op.timeoutSeconds == 0 ? nil : context.time.adding(seconds: op.timeoutSeconds)
                )
            }
        }
        let id = OperationRef(transaction: context.transaction, operation: context.operation)
        context.undo.append(.quoteUse(key, payments.quotes[key]))
        if payments.quotes[key] == nil { context.newQuoteExpiries.append(QuoteExpiry(at: quote.expiresAt, quote: key)) }
        payments.quotes[key] = QuoteUse(terms: quote.termsDigest, used: used + op.amount.units, expiresAt: quote.expiresAt)
        var remittance = Remittance(
            id: id, quote: key, providerAccount: providerAccount, sender: op.sender, recipient: op.recipient, from: quote.from, to: quote.to,
            amount: op.amount, fee: quote.fee, converted: converted, submittedAt: context.time,
            expiresAt: op.timeoutSeconds == 0 ? nil : context.time.adding(seconds: op.timeoutSeconds), status: .pending)
        if let expiresAt = remittance.expiresAt {
            // It waits: the sender's payment is held for the provider until then.
            if let code = hold(payment, id: id, until: expiresAt, &context) { return code }
            context.undo.append(.remittanceHold(id, nil))
            payments.holds[id] = id
        } else {
            if let code = movePosted(payment, &context) { return code }
            if let code = deliver(&remittance, &context) { return code }
        }
        context.undo.append(.remittance(id, nil))
        payments.remittances[id] = remittance
        return nil
    }

    /// Pays a remittance's recipient from the provider: the converted amount,
    /// less the levy the recipient's zone takes on entry (paid to its treasury
    /// as its own leg), after the receiver's rules of the laws.
    private mutating func deliver(_ remittance: inout Remittance, _ context: inout ApplyContext) -> RejectionCode? {
        let delivery = Transfer(asset: remittance.to, debit: remittance.providerAccount, credit: remittance.recipient, amount: remittance.converted)
        if let code = checkTransfer(delivery, &context, authorised: true) { return code }
        var levy: LevyDue?
        if !zones.isEmpty {
            let entering = Transfer(asset: remittance.to, debit: remittance.sender, credit: remittance.recipient, amount: remittance.converted)
            if let code = checkLaws(entering, .receiving, &context) { return code }
            levy = inboundLevy(of: entering)
        }
        var delivered = remittance.converted
        if let levy {
            guard levy.amount < delivered else { return .quoteOutOfRange }
            delivered = Amount(delivered.units - levy.amount.units)
            // An exchange that is the zone's treasury keeps the levy: it is already there.
            if levy.treasury != remittance.providerAccount {
                let paid = Transfer(asset: remittance.to, debit: remittance.providerAccount, credit: levy.treasury, amount: levy.amount)
                if let code = movePosted(paid, &context, limited: false) { return code }
            }
            remittance.inboundLevy = levy.amount.units
        }
        var net = delivery
        net.amount = delivered
        if let code = movePosted(net, &context) { return code }
        remittance.status = .completed
        remittance.completedAt = context.time
        return nil
    }

    mutating func completeRemittance(_ op: CompleteRemittance, _ context: inout ApplyContext) -> RejectionCode? {
        guard var remittance = payments.remittances[op.remittance], remittance.status == .pending else { return .remittanceInvalid }
        guard context.isAuthorized(by: authority(of: remittance.providerAccount)) || context.isAuthorized(by: authority(of: remittance.recipient))
        else { return .insufficientSignatures }
        let original = remittance
        for id in [remittance.id] + (remittance.levyHold.map { [$0] } ?? []) {
            let record = pendings[id]!
            if let code = resolve(record, as: .posted, posting: record.transfer.amount, &context) { return code }
            context.undo.append(.remittanceHold(id, payments.holds[id]))
            payments.holds[id] = nil
        }
        if let code = deliver(&remittance, &context) { return code }
        context.undo.append(.remittance(op.remittance, original))
        payments.remittances[op.remittance] = remittance
        return nil
    }

    mutating func refundRemittance(_ op: RefundRemittance, _ context: inout ApplyContext) -> RejectionCode? {
        guard var remittance = payments.remittances[op.remittance] else { return .remittanceInvalid }
        guard context.isAuthorized(by: authority(of: remittance.providerAccount)) else { return .insufficientSignatures }
        let original = remittance
        switch remittance.status {
        case .pending:
            // The provider gives the held payment up: all of it returns, levy included.
            guard let held = add(remittance.paid, Amount(remittance.outboundLevy)), op.amount.units == held else { return .remittanceInvalid }
            for id in [remittance.id] + (remittance.levyHold.map { [$0] } ?? []) {
                if let code = resolve(pendings[id]!, as: .voided, posting: .zero, &context) { return code }
                context.undo.append(.remittanceHold(id, payments.holds[id]))
                payments.holds[id] = nil
            }
            remittance.status = .refunded
        case .completed:
            guard let refunded = add(remittance.refunded, op.amount), refunded <= remittance.paid else { return .remittanceInvalid }
            // A new payment from the exchange to the sender: the laws see it as any payment, and its levies are its legs.
            let refund = Transfer(asset: remittance.from, debit: remittance.providerAccount, credit: remittance.sender, amount: op.amount)
            if let code = checkTransfer(refund, &context, authorised: true) { return code }
            if !zones.isEmpty, let code = checkLaws(refund, .transfer, &context) { return code }
            if let code = movePosted(refund, &context) { return code }
            remittance.refunded = refunded
            if refunded == remittance.paid { remittance.status = .refunded }
        case .refunded:
            return .remittanceInvalid
        }
        remittance.refundedAt = context.time
        context.undo.append(.remittance(op.remittance, original))
        payments.remittances[op.remittance] = remittance
        return nil
    }

    /// A waiting remittance whose hold lapsed: the sender was made whole at `time`.
    /// (Its payment's hold and its levy's expire together; the first marks it.)
    mutating func lapseRemittance(holding id: PendingID, at time: Timestamp) {
        guard let remittance = payments.holds.removeValue(forKey: id), payments.remittances[remittance]?.status == .pending else { return }
        payments.remittances[remittance]!.status = .refunded
        payments.remittances[remittance]!.refundedAt = time
    }

    /// Drops the use records of quotes that expired at or before `time`.
    mutating func expireQuotes(upTo time: Timestamp) {
        while let next = quoteExpiries.minimum, next.at <= time {
            _ = quoteExpiries.popMinimum()
            payments.quotes[next.quote] = nil
        }
    }

    /// The levy the recipient's zone takes on a payment entering it, if any.
    private func inboundLevy(of payment: Transfer) -> LevyDue? {
        guard let payee = accounts[payment.credit] else { return nil }
        return leviesDue(asset: payment.asset, debit: payment.debit, credit: payment.credit, amount: payment.amount).first { $0.zone == payee.zone }
    }

    /// Holds `transfer` as a pending transfer named `id` until `expiresAt`
    /// (what `pending_transfer` does, for a remittance and its levy).
    mutating func hold(_ transfer: Transfer, id: PendingID, until expiresAt: Timestamp, _ context: inout ApplyContext) -> RejectionCode? {
        let debitKey = BalanceKey(account: transfer.debit, asset: transfer.asset)
        let creditKey = BalanceKey(account: transfer.credit, asset: transfer.asset)
        var debit = balances[debitKey] ?? Balance()
        var credit = balances[creditKey] ?? Balance()
        guard let debits = add(debit.debitsPending, transfer.amount), let credits = add(credit.creditsPending, transfer.amount) else {
            return .amountOverflow
        }
        debit.debitsPending = debits
        credit.creditsPending = credits
        if let code = listAsset(of: transfer, &context) { return code }
        store(debitKey, debit, &context)
        store(creditKey, credit, &context)
        context.undo.append(.pending(id, nil))
        pendings[id] = PendingRecord(id: id, transfer: transfer, expiresAt: expiresAt, state: .pending, postedAmount: .zero)
        context.newExpiries.append(Expiry(at: expiresAt, pending: id))
        countHold(of: transfer.asset, by: 1, &context)
        return nil
    }
}
