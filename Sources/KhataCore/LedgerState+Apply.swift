import KhataBytes
import KhataEd25519

// The state machine's transitions. Every rejection returns before any change is
// kept: operations record what they overwrite in an undo log, and a failing
// operation rolls back the ones before it, so a transaction commits whole or not at all.

extension LedgerState {
    /// Applies one sequenced transaction at log position `index`, stamped `time`.
    ///
    /// The caller (the sequencer, or replay) has already checked the signatures
    /// cryptographically; here they are only counted against the keys each
    /// operation needs. `contentDigest` is `transaction.contentDigest`, passed in
    /// because the caller has usually computed it already.
    ///
    /// An id already in the log gets `idReusedWithDifferentContent` (the sequencer
    /// answers an exact retry with the original receipt and never sequences it).
    public mutating func apply(
        _ transaction: Transaction, contentDigest: Digest32, index: LeafIndex, time: Timestamp
    ) -> Outcome {
        precondition(index.value == size, "LedgerState.apply: index \(index) but \(size) entries applied")
        precondition(time >= self.time, "LedgerState.apply: time \(time) before \(self.time)")
        passTime(to: time, at: index)
        size += 1
        self.time = time
        if transactions[transaction.id] != nil {
            return .rejected(.idReusedWithDifferentContent, operation: nil)
        }
        let outcome = applyOperations(
            transaction.operations, transaction: transaction.id, signers: transaction.signers, index: index, time: time)
        transactions[transaction.id] = TransactionRecord(contentDigest: contentDigest, index: index, outcome: outcome)
        recordCurrencySupply()
        return outcome
    }

    /// What the passing of time does at the start of an entry: pending
    /// transfers expire and ballots close.
    mutating func passTime(to time: Timestamp, at index: LeafIndex) {
        expirePending(upTo: time)
        if !payments.quotes.isEmpty { expireQuotes(upTo: time) }
        closeBallots(upTo: time, at: index)
        if !zones.active.isEmpty { advanceProposals(to: time, at: index) }
    }

    /// Releases every pending transfer whose expiry is at or before `time`, oldest
    /// first. Expiry is driven by the stamped time of the next entry, so replay
    /// expires exactly what the sequencer expired.
    mutating func expirePending(upTo time: Timestamp) {
        while let next = expiries.minimum, next.at <= time {
            _ = expiries.popMinimum()
            guard var record = pendings[next.pending], record.state == .pending else { continue }
            release(record.transfer)
            if !securities.instruments.isEmpty, securities.instruments[record.transfer.asset] != nil {
                securities.countHold(of: record.transfer.asset, by: -1)
            }
            record.state = .expired
            pendings[next.pending] = record
            if !payments.holds.isEmpty { lapseRemittance(holding: next.pending, at: next.at) }
        }
    }

    /// Applies `operations` all or none. `signers` nil means genesis authority.
    mutating func applyOperations(
        _ operations: [LedgerOperation], transaction: TransactionID, signers: [PublicKey]?, index: LeafIndex, time: Timestamp
    ) -> Outcome {
        var context = ApplyContext(signers: signers, transaction: transaction, index: index, time: time)
        // The currency's holdings are derived; a policy operation may rebuild
        // them for another currency, so a rollback restores them whole (a
        // reference copy: the pages are shared until written).
        let holdingsBefore = currencyHoldings
        for (position, operation) in operations.enumerated() {
            context.operation = UInt16(position)
            if let code = apply(operation, &context) {
                rollBack(context.undo)
                currencyHoldings = holdingsBefore
                return .rejected(code, operation: UInt16(position), law: context.rejectingLaw)
            }
        }
        // Every levy a payment owes is paid by a `pay_levy` of the same transaction.
        if let unpaid = context.owedLevies.first(where: { !$0.paid }) {
            rollBack(context.undo)
            currencyHoldings = holdingsBefore
            return .rejected(.levyUnpaid, operation: unpaid.operation, law: unpaid.law)
        }
        // Linked pending transfers post together: every group a post touched is now posted whole.
        for (group, position) in context.postedLinks where group.contains(where: { pendings[$0]?.state != .posted }) {
            rollBack(context.undo)
            currencyHoldings = holdingsBefore
            return .rejected(.linkedPendingUnresolved, operation: position)
        }
        for expiry in context.newExpiries { expiries.push(expiry) }
        for close in context.newBallotCloses { ballotCloses.push(close) }
        for expiry in context.newQuoteExpiries { quoteExpiries.push(expiry) }
        return .committed
    }

    private mutating func apply(_ operation: LedgerOperation, _ context: inout ApplyContext) -> RejectionCode? {
        switch operation {
        case .createAccount(let op): createAccount(op, &context)
        case .registerAsset(let op): registerAsset(op, &context)
        case .transfer(let op): transfer(op, &context)
        case .pendingTransfer(let op): pendingTransfer(op, &context)
        case .postPending(let op): postPending(op, &context)
        case .voidPending(let op): voidPending(op, &context)
        case .changeControllers(let op): changeControllers(op, &context)
        case .closeAccount(let op): closeAccount(op, &context)
        case .attestReserve(let op): attestReserve(op, &context)
        case .attestPrice(let op): attestPrice(op, &context)
        case .setMonetaryPolicy(let op): setMonetaryPolicy(op, &context)
        case .commitLiabilities(let op): commitLiabilities(op, &context)
        case .registerInstrument(let op): registerInstrument(op, &context)
        case .setInstrumentRules(let op): setInstrumentRules(op, &context)
        case .attestIdentity(let op): attestIdentity(op, &context)
        case .lockHolding(let op): lockHolding(op, &context)
        case .forcedTransfer(let op): forcedTransfer(op, &context)
        case .declareAction(let op): declareAction(op, &context)
        case .settleAction(let op): settleAction(op, &context)
        case .commitRegister(let op): commitRegister(op, &context)
        case .castVote(let op): castVote(op, &context)
        case .linkPending(let op): linkPending(op, &context)
        case .registerZone(let op): registerZone(op, &context)
        case .proposeLaw(let op): proposeLaw(op, &context)
        case .voteLaw(let op): voteLaw(op, &context)
        case .cancelProposal(let op): cancelProposal(op, &context)
        case .moveZone(let op): moveZone(op, &context)
        case .payLevy(let op): payLevy(op, &context)
        case .registerProvider(let op): registerProvider(op, &context)
        case .bindAddress(let op): bindAddress(op, &context)
        case .unbindAddress(let op): unbindAddress(op, &context)
        case .requestPayment(let op): requestPayment(op, &context)
        case .answerRequest(let op): answerRequest(op, &context)
        case .createMandate(let op): createMandate(op, &context)
        case .revokeMandate(let op): revokeMandate(op, &context)
        case .collectMandate(let op): collectMandate(op, &context)
        case .remit(let op): remit(op, &context)
        case .completeRemittance(let op): completeRemittance(op, &context)
        case .refundRemittance(let op): refundRemittance(op, &context)
        }
    }

    // MARK: - Operations

    private mutating func createAccount(_ op: CreateAccount, _ context: inout ApplyContext) -> RejectionCode? {
        guard accounts[op.account] == nil else { return .accountExists }
        // The new controllers sign for themselves: nobody can open an account
        // under keys they do not hold.
        guard context.isAuthorized(by: op.controllers) else { return .insufficientSignatures }
        // A new account's home is the mainland or a registered zone, once there
        // are zones (before, a zone number is a label, as it was before laws:
        // older logs replay as they were logged).
        guard op.zone == 0 || zones.isEmpty || zones.zones[op.zone] != nil else { return .zoneInvalid }
        context.undo.append(.account(op.account, nil))
        accounts[op.account] = Account(
            id: op.account, controllers: op.controllers, issuedAsset: nil, isClosed: false,
            zone: op.zone, kycTier: op.kycTier, createdAt: context.index, assets: [])
        return nil
    }

    private mutating func registerAsset(_ op: RegisterAsset, _ context: inout ApplyContext) -> RejectionCode? {
        guard context.isAuthorized(by: issuerKeys) else { return .insufficientSignatures }
        guard assets[op.asset] == nil else { return .assetExists }
        guard let issuer = accounts[op.issuer] else { return .accountNotFound }
        guard !issuer.isClosed else { return .accountClosed }
        guard accounts[op.issuanceAccount] == nil else { return .accountExists }
        context.undo.append(.asset(op.asset))
        context.undo.append(.account(op.issuanceAccount, nil))
        assets[op.asset] = Asset(
            code: op.asset, kind: op.kind, scale: op.scale, issuer: op.issuer,
            issuanceAccount: op.issuanceAccount, registeredAt: context.index)
        accounts[op.issuanceAccount] = Account(
            id: op.issuanceAccount, controllers: nil, issuedAsset: op.asset, isClosed: false,
            zone: 0, kycTier: 0, createdAt: context.index, assets: [])
        return nil
    }

    private mutating func transfer(_ op: Transfer, _ context: inout ApplyContext) -> RejectionCode? {
        if let code = checkTransfer(op, &context) { return code }
        if let code = checkInstrumentTransfer(op, pending: false, &context) { return code }
        if !zones.isEmpty, let code = checkLaws(op, .transfer, &context) { return code }
        return movePosted(op, &context)
    }

    /// Moves a checked transfer's amount from debit to credit, then checks what
    /// an issue must keep (mint coverage, an instrument's authorised amount).
    /// `limited` false: a corporate action's payment, which an account takes even
    /// past `Limits.maxAssetsPerAccount` (its asset is a registered currency, so
    /// few), so that nobody can make a holder lose a payout by filling its list.
    mutating func movePosted(_ op: Transfer, _ context: inout ApplyContext, limited: Bool = true) -> RejectionCode? {
        // One balance read twice and stored twice would keep only the credit: never move to the payer itself.
        guard op.debit != op.credit else { return .sameAccount }
        let debitKey = BalanceKey(account: op.debit, asset: op.asset)
        let creditKey = BalanceKey(account: op.credit, asset: op.asset)
        var debit = balances[debitKey] ?? Balance()
        var credit = balances[creditKey] ?? Balance()
        guard let debits = add(debit.debitsPosted, op.amount), let credits = add(credit.creditsPosted, op.amount) else {
            return .amountOverflow
        }
        debit.debitsPosted = debits
        credit.creditsPosted = credits
        if let code = listAsset(of: op, &context, limited: limited) { return code }
        store(debitKey, debit, &context)
        store(creditKey, credit, &context)
        return checkMint(of: op.asset, from: op.debit, context) ?? checkAuthorised(op.asset, debit: op.debit)
    }

    private mutating func pendingTransfer(_ op: PendingTransfer, _ context: inout ApplyContext) -> RejectionCode? {
        let transfer = op.transfer
        if let code = checkTransfer(transfer, &context) { return code }
        if let code = checkInstrumentTransfer(transfer, pending: true, &context) { return code }
        if !zones.isEmpty, let code = checkLaws(transfer, .hold, &context) { return code }
        let id = PendingID(transaction: context.transaction, operation: context.operation)
        if let code = hold(transfer, id: id, until: context.time.adding(seconds: op.timeoutSeconds), &context) { return code }
        return checkAuthorised(transfer.asset, debit: transfer.debit)
    }

    private mutating func postPending(_ op: PostPending, _ context: inout ApplyContext) -> RejectionCode? {
        guard let record = pendings[op.pending] else { return .pendingNotFound }
        if let code = record.state.rejectionOfResolving { return code }
        // A remittance's holds are resolved by the remittance's own operations.
        guard payments.holds.isEmpty || payments.holds[op.pending] == nil else { return .remittanceInvalid }
        guard !op.amount.isZero else { return .amountZero }
        guard op.amount <= record.transfer.amount else { return .exceedsPendingAmount }
        // The payer confirms the payment.
        guard context.isAuthorized(by: authority(of: record.transfer.debit)) else { return .insufficientSignatures }
        if let code = checkHolderLimit(posting: record) { return code }
        if !zones.isEmpty {
            var posting = record.transfer
            posting.amount = op.amount
            if let code = checkLaws(posting, .post, &context) { return code }
        }
        if !securities.links.isEmpty, let group = securities.links[record.id], !context.postedLinks.contains(where: { $0.group == group }) {
            context.postedLinks.append((group, context.operation))
        }
        return resolve(record, as: .posted, posting: op.amount, &context)
    }

    private mutating func voidPending(_ op: VoidPending, _ context: inout ApplyContext) -> RejectionCode? {
        guard let record = pendings[op.pending] else { return .pendingNotFound }
        if let code = record.state.rejectionOfResolving { return code }
        guard payments.holds.isEmpty || payments.holds[op.pending] == nil else { return .remittanceInvalid }
        // The payee gives up the hold it was promised.
        guard context.isAuthorized(by: authority(of: record.transfer.credit)) else { return .insufficientSignatures }
        if let code = resolve(record, as: .voided, posting: .zero, &context) { return code }
        // A linked leg cannot be posted without this one: they are voided with it.
        if !securities.links.isEmpty, let group = securities.links[record.id] {
            for member in group where member != record.id {
                if let other = pendings[member], other.state == .pending, let code = resolve(other, as: .voided, posting: .zero, &context) {
                    return code
                }
            }
        }
        return nil
    }

    /// Ends a pending transfer: its whole hold is released and `posting` of it
    /// (zero for a void) moves from payer to payee.
    mutating func resolve(
        _ record: PendingRecord, as state: PendingState, posting: Amount, _ context: inout ApplyContext
    ) -> RejectionCode? {
        let transfer = record.transfer
        let debitKey = BalanceKey(account: transfer.debit, asset: transfer.asset)
        let creditKey = BalanceKey(account: transfer.credit, asset: transfer.asset)
        // A pending transfer's balances exist: it created them, and accounts with
        // pending amounts cannot be closed.
        var debit = balances[debitKey]!
        var credit = balances[creditKey]!
        guard let debits = add(debit.debitsPosted, posting), let credits = add(credit.creditsPosted, posting) else {
            return .amountOverflow
        }
        debit.debitsPending -= transfer.amount.units
        credit.creditsPending -= transfer.amount.units
        debit.debitsPosted = debits
        credit.creditsPosted = credits
        store(debitKey, debit, &context)
        store(creditKey, credit, &context)
        countHold(of: transfer.asset, by: -1, &context)
        var resolved = record
        resolved.state = state
        resolved.postedAmount = posting
        context.undo.append(.pending(record.id, record))
        pendings[record.id] = resolved
        return posting.isZero ? nil : checkMint(of: transfer.asset, from: transfer.debit, context)
    }

    private mutating func changeControllers(_ op: ChangeControllers, _ context: inout ApplyContext) -> RejectionCode? {
        guard var account = accounts[op.account] else { return .accountNotFound }
        guard account.issuedAsset == nil else { return .issuanceAccountRestricted }
        guard !account.isClosed else { return .accountClosed }
        guard context.isAuthorized(by: account.controllers) else { return .insufficientSignatures }
        context.undo.append(.account(op.account, account))
        account.controllers = op.controllers
        accounts[op.account] = account
        // Later operations of this transaction must be authorised by the new keys.
        context.authorizedAccounts.removeAll()
        return nil
    }

    private mutating func closeAccount(_ op: CloseAccount, _ context: inout ApplyContext) -> RejectionCode? {
        guard var account = accounts[op.account] else { return .accountNotFound }
        guard account.issuedAsset == nil else { return .issuanceAccountRestricted }
        guard !account.isClosed else { return .accountClosed }
        guard context.isAuthorized(by: account.controllers) else { return .insufficientSignatures }
        for asset in account.assets where !balance(of: op.account, in: asset).isEmpty {
            return .accountNotEmpty
        }
        context.undo.append(.account(op.account, account))
        account.isClosed = true
        accounts[op.account] = account
        return nil
    }

    private mutating func linkPending(_ op: LinkPending, _ context: inout ApplyContext) -> RejectionCode? {
        var expiry: Timestamp?
        for id in op.pendings {
            guard let record = pendings[id] else { return .pendingNotFound }
            if let code = record.state.rejectionOfResolving { return code }
            guard payments.holds.isEmpty || payments.holds[id] == nil else { return .remittanceInvalid }
            guard securities.links[id] == nil, expiry == nil || expiry == record.expiresAt else { return .pendingLinkInvalid }
            expiry = record.expiresAt
            // Every payer binds its own leg, and every payee agrees: once linked, a void
            // of another leg releases its hold too.
            guard context.isAuthorized(by: authority(of: record.transfer.debit)), context.isAuthorized(by: authority(of: record.transfer.credit))
            else { return .insufficientSignatures }
        }
        for id in op.pendings {
            context.undo.append(.link(id, nil))
            securities.links[id] = op.pendings
        }
        return nil
    }

    // MARK: - Shared checks

    /// The checks every transfer and pending transfer makes, in a fixed order:
    /// amount, accounts, asset, authorisation, then the debit account's funds.
    /// `authorised`: the payer's consent is already established (a request
    /// its payer answers, a mandate's debit, a provider's quote).
    func checkTransfer(_ op: Transfer, _ context: inout ApplyContext, authorised: Bool = false) -> RejectionCode? {
        guard !op.amount.isZero else { return .amountZero }
        guard op.debit != op.credit else { return .sameAccount }
        guard let debit = accounts[op.debit], let credit = accounts[op.credit] else { return .accountNotFound }
        guard assets[op.asset] != nil else { return .assetNotFound }
        guard !debit.isClosed && !credit.isClosed else { return .accountClosed }
        for account in [debit, credit] where account.issuedAsset != nil && account.issuedAsset != op.asset {
            return .assetMismatch
        }
        // An escrow account takes only its action's money (so paid + returned = set aside).
        guard !credit.isEscrow else { return .issuanceAccountRestricted }
        if !authorised && !context.authorizedAccounts.contains(op.debit) {
            guard context.isAuthorized(by: authority(of: op.debit)) else { return .insufficientSignatures }
            context.authorizedAccounts.append(op.debit)
        }
        if !debit.mayGoNegative {
            let available = balance(of: op.debit, in: op.asset).available
            guard available >= Int128(op.amount.units) else { return .exceedsAvailableBalance }
        }
        return nil
    }

    /// Adds the transfer's asset to both accounts' lists of assets (kept sorted),
    /// within `Limits.maxAssetsPerAccount`.
    mutating func listAsset(of op: Transfer, _ context: inout ApplyContext, limited: Bool = true) -> RejectionCode? {
        for id in [op.debit, op.credit] {
            var account = accounts[id]!
            guard !account.assets.contains(op.asset) else { continue }
            guard !limited || account.assets.count < Limits.maxAssetsPerAccount else { return .limitExceeded }
            context.undo.append(.account(id, account))
            let position = account.assets.firstIndex(where: { $0 > op.asset }) ?? account.assets.count
            account.assets.insert(op.asset, at: position)
            accounts[id] = account
        }
        return nil
    }

    mutating func store(_ key: BalanceKey, _ balance: Balance, _ context: inout ApplyContext) {
        // Emptiness first: a ledger without open actions (or instruments, below)
        // pays no look-up per balance (measured: five look-ups a transfer cost
        // 10–25 % of the state machine's rate on 100-transfer transactions).
        if !securities.openActions.isEmpty { saveRecordDateHoldings(key, &context) }
        context.undo.append(.balance(key, balances[key]))
        setBalance(key, balance)
    }

    /// The one place balances are set, keeping the derived holder counts in step.
    mutating func setBalance(_ key: BalanceKey, _ balance: Balance?) {
        let held = (balances[key]?.posted ?? 0) > 0
        let holds = (balance?.posted ?? 0) > 0
        if held != holds { holders[key.asset, default: 0] += holds ? 1 : -1 }
        if key.asset == currencyHoldings?.asset { currencyHoldings!.set(key.account, posted: balance?.posted ?? 0) }
        if !instrumentHoldings.isEmpty, instrumentHoldings[key.asset] != nil {
            instrumentHoldings[key.asset]!.set(key.account, posted: balance?.posted ?? 0)
        }
        balances[key] = balance
    }

    /// Returns a pending transfer's amount to its payer (void or expiry).
    private mutating func release(_ transfer: Transfer) {
        let debitKey = BalanceKey(account: transfer.debit, asset: transfer.asset)
        let creditKey = BalanceKey(account: transfer.credit, asset: transfer.asset)
        balances[debitKey]!.debitsPending -= transfer.amount.units
        balances[creditKey]!.creditsPending -= transfer.amount.units
    }

    /// The keys that authorise debits of an account: its controllers, or for an
    /// issuance account the controllers of its asset's issuer account.
    func authority(of id: AccountID) -> KeySet? {
        guard let account = accounts[id] else { return nil }
        guard let asset = account.issuedAsset else { return account.controllers }
        guard let issuer = assets[asset].flatMap({ accounts[$0.issuer] }), !issuer.isClosed else { return nil }
        return issuer.controllers
    }

    func add(_ counter: UInt64, _ amount: Amount) -> UInt64? {
        let (sum, overflow) = counter.addingReportingOverflow(amount.units)
        return overflow ? nil : sum
    }

    private mutating func rollBack(_ undo: [Undo]) {
        for record in undo.reversed() {
            switch record {
            case .balance(let key, let old): setBalance(key, old)
            case .account(let id, let old): accounts[id] = old
            case .asset(let code): assets[code] = nil
            case .pending(let id, let old): pendings[id] = old
            case .reserves(let old): reserves = old
            case .instrument(let code, let old):
                if old == nil { instrumentHoldings[code] = nil }
                securities.instruments[code] = old
            case .identity(let key, let old): securities.identities[key] = old
            case .lock(let key, let old): securities.locks[key] = old
            case .actionDeclared(let id): securities.removeAction(id)
            case .actionSaved(let id, let account): securities.actions[id]!.saved[account] = nil
            case .actionProgress(let id, let progress): securities.actions[id]!.restore(progress)
            case .actionCompleted(let id, let saved):
                securities.actions[id]!.completedAt = nil
                securities.actions[id]!.saved = saved
                securities.reopenAction(id, of: securities.actions[id]!.asset)
            case .openHolds(let asset, let old): securities.openHolds[asset] = old
            case .vote(let id, let account, let old): securities.actions[id]!.votes[account] = old
            case .link(let id, let old): securities.links[id] = old
            case .outflow(let id, let old): zones.outflows[id] = old
            case .entered(let id, let old): zones.enteredAt[id] = old
            case .proposal(let id, let old): zones.proposals[id] = old
            case .zones(let old): zones = old
            case .provider(let name, let old): payments.providers[name] = old
            case .address(let address, let old): payments.addresses[address] = old
            case .request(let id, let old): payments.requests[id] = old
            case .mandate(let id, let old): payments.mandates[id] = old
            case .quoteUse(let key, let old): payments.quotes[key] = old
            case .remittance(let id, let old): payments.remittances[id] = old
            case .remittanceHold(let id, let old): payments.holds[id] = old
            }
        }
    }
}

/// What one transaction's application carries from operation to operation.
struct ApplyContext {
    /// The verified signers; nil for genesis, whose operations need no signatures.
    let signers: [PublicKey]?
    let transaction: TransactionID
    let index: LeafIndex
    let time: Timestamp
    var operation: UInt16 = 0
    var undo: [Undo] = []
    var newExpiries: [Expiry] = []
    var newBallotCloses: [BallotClose] = []
    var newQuoteExpiries: [QuoteExpiry] = []
    /// Linked groups this transaction posted into, with the position of its first post of each.
    var postedLinks: [(group: [PendingID], position: UInt16)] = []
    /// Debit accounts already found authorised in this transaction, so that a
    /// batch of transfers from one account counts its signatures once.
    var authorizedAccounts: [AccountID] = []
    /// Levies the transaction's payments owe so far (docs/LAWS.md).
    var owedLevies: [OwedLevy] = []
    /// The law whose rule refused the operation, when one did.
    var rejectingLaw: Digest32?

    init(signers: [PublicKey]?, transaction: TransactionID, index: LeafIndex, time: Timestamp) {
        self.signers = signers
        self.transaction = transaction
        self.index = index
        self.time = time
    }

    func isAuthorized(by keys: KeySet?) -> Bool {
        guard let signers else { return true }
        guard let keys else { return false }
        return keys.isSatisfied(by: signers)
    }
}

/// What an operation overwrote, so that a failing transaction can be undone.
enum Undo {
    case balance(BalanceKey, Balance?)
    case account(AccountID, Account?)
    case asset(AssetCode)
    case pending(PendingID, PendingRecord?)
    /// The whole reserve state: reserve operations are rare and it is small.
    /// Indirect, so that this rare case does not widen every other undo record.
    indirect case reserves(ReserveState)
    indirect case instrument(AssetCode, Instrument?)
    indirect case identity(IdentityKey, IdentityRecord?)
    indirect case lock(BalanceKey, HoldingLock?)
    case actionDeclared(UInt64)
    case actionSaved(UInt64, AccountID)
    indirect case actionProgress(UInt64, ActionProgress)
    indirect case actionCompleted(UInt64, [AccountID: UInt64])
    case openHolds(AssetCode, Int?)
    case vote(UInt64, AccountID, Vote?)
    indirect case link(PendingID, [PendingID]?)
    case outflow(AccountID, Outflow?)
    case entered(AccountID, LeafIndex?)
    indirect case proposal(UInt64, LawProposal?)
    /// The zone state before a zone operation (rare, and its large part is shared until written).
    indirect case zones(ZoneState)
    indirect case provider(String, PaymentProvider?)
    indirect case address(PaymentAddress, AddressBinding?)
    indirect case request(OperationRef, PaymentRequest?)
    indirect case mandate(OperationRef, Mandate?)
    indirect case quoteUse(QuoteKey, QuoteUse?)
    indirect case remittance(OperationRef, Remittance?)
    case remittanceHold(PendingID, OperationRef?)
}

extension PendingState {
    /// Why a pending transfer in this state cannot be posted or voided, if it cannot.
    var rejectionOfResolving: RejectionCode? {
        switch self {
        case .pending: nil
        case .posted: .pendingAlreadyPosted
        case .voided: .pendingAlreadyVoided
        case .expired: .pendingExpired
        }
    }
}
