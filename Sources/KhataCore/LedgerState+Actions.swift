import KhataBytes
import KhataEd25519

// Corporate actions' transitions (docs/STOCKCHAIN.md, "Corporate actions").
//
// The record-date register is never copied: a holding keeps its record-date
// value until its first change after the declaration, when that value is saved
// in the action (`saveRecordDateHoldings`). A holder's record-date holding is
// the saved value if there is one, else its holding now. Each step is O(1) or
// O(accounts settled), so no entry holds the sequencer for long.

extension LedgerState {
    mutating func declareAction(_ op: DeclareAction, _ context: inout ApplyContext) -> RejectionCode? {
        guard let instrument = securities.instruments[op.asset] else { return .instrumentInvalid }
        guard context.isAuthorized(by: issuerAuthority(of: instrument)) else { return .insufficientSignatures }
        guard !instrument.isRedeemed else { return .instrumentRedeemed }
        // Holdings are in old and new units at once while a split or redemption settles.
        guard !securities.isSettling(op.asset) else { return .instrumentSettling }
        guard (securities.openActions[op.asset]?.count ?? 0) < Limits.maxOpenActionsPerInstrument else { return .limitExceeded }
        if let ballot = op.terms.ballot { return openBallot(op, ballot, &context) }
        guard let escrowAccount = op.escrowAccount, accounts[escrowAccount] == nil else { return .accountExists }
        if op.terms.changesHoldings {
            guard (securities.openHolds[op.asset] ?? 0) == 0 else { return .instrumentSettling }
        }
        let outstanding = supply(of: op.asset)
        guard outstanding <= Limits.maxLiabilityTotal else { return .amountOverflow }
        let holderCount = UInt64(holders[op.asset] ?? 0)
        let rate: ActionRate?
        let escrow: UInt64
        switch op.terms {
        case .cashDividend(let amount, let per), .redemption(let amount, let per):
            rate = ActionRate(amount: UInt128(amount.units), per: UInt128(per.units))
            guard let total = rate!.owed(outstanding) else { return .amountOverflow }
            escrow = total
        case .coupon(let days):
            guard case .bond(let bond) = instrument.terms.terms else { return .actionInvalid }
            guard bond.couponBasisPoints > 0 else { return .actionInvalid }
            let unit = pow10(instrument.terms.scale)
            let amount = UInt128(bond.faceValue.units) * UInt128(bond.couponBasisPoints)
            switch bond.dayCount {
            case .thirty360, .actualActual:
                guard days == 0 else { return .actionInvalid }
                rate = ActionRate(amount: amount * UInt128(bond.couponMonths), per: 12 * 10_000 * unit)
            case .actual365:
                guard (1...366).contains(days) else { return .actionInvalid }
                rate = ActionRate(amount: amount * UInt128(days), per: 365 * 10_000 * unit)
            }
            guard let total = rate!.owed(outstanding) else { return .amountOverflow }
            escrow = total
        case .split(let numerator, let denominator, let cash):
            rate = nil
            // What is outstanding after the split must fit, as every holding's does.
            let after = UInt128(outstanding) * UInt128(numerator) / UInt128(denominator)
            guard after <= UInt128(Limits.maxLiabilityTotal) else { return .amountOverflow }
            // Each holder's fraction is less than one new minor unit.
            let (total, overflow) = cash.units.multipliedReportingOverflow(by: holderCount)
            guard !overflow else { return .amountOverflow }
            escrow = total
        case .ballot:
            preconditionFailure("a ballot was opened above")
        }
        let currency = instrument.terms.currency
        if escrow > 0 {
            guard let issuer = accounts[instrument.issuer], !issuer.isClosed else { return .accountClosed }
            guard balance(of: instrument.issuer, in: currency).available >= Int128(escrow) else { return .exceedsAvailableBalance }
        }
        let id = securities.nextAction
        context.undo.append(.account(escrowAccount, nil))
        accounts[escrowAccount] = Account(
            id: escrowAccount, controllers: nil, issuedAsset: nil, isClosed: false, zone: 0, kycTier: 0, createdAt: context.index,
            assets: [])
        if escrow > 0 {
            let move = Transfer(asset: currency, debit: instrument.issuer, credit: escrowAccount, amount: Amount(escrow))
            if let code = movePosted(move, &context) { return code }
        }
        context.undo.append(.actionDeclared(id))
        securities.actions[id] = CorporateAction(
            id: id, declaration: op, recordDate: context.index, outstanding: outstanding, holders: holderCount, rate: rate, escrowed: escrow)
        securities.nextAction = id + 1
        securities.openActions[op.asset, default: []].append(id)
        return outstanding == 0 ? complete(id, &context) : nil
    }

    mutating func settleAction(_ op: SettleAction, _ context: inout ApplyContext) -> RejectionCode? {
        // The action is read, never held across a change: the changes below may
        // save record-date holdings into it.
        guard let found = securities.actions[op.action], found.isOpen, found.declaration.terms.ballot == nil,
            let instrument = securities.instruments[found.asset], let escrowAccount = found.declaration.escrowAccount
        else {
            return .actionInvalid
        }
        let id = op.action
        guard context.isAuthorized(by: KeySet(single: ledgerKey)) else { return .insufficientSignatures }
        // The register is in the log before anyone is paid from it.
        guard found.register != nil else { return .actionInvalid }
        if let cursor = found.cursor, op.accounts[0] <= cursor { return .actionInvalid }
        context.undo.append(.actionProgress(id, found.progress))
        let currency = instrument.terms.currency
        let terms = found.declaration.terms
        let rate = found.rate
        let asset = found.asset
        for account in op.accounts {
            let units = recordDateHolding(of: account, in: securities.actions[id]!)
            guard units > 0, accounts[account] != nil else { return .actionInvalid }
            var cash: UInt64 = 0
            switch terms {
            case .ballot:
                return .actionInvalid
            case .cashDividend, .coupon:
                guard let owed = rate!.owed(units) else { return .amountOverflow }
                cash = owed
            case .redemption:
                guard let owed = rate!.owed(units) else { return .amountOverflow }
                cash = owed
                let cancel = Transfer(asset: asset, debit: account, credit: instrument.terms.issuanceAccount, amount: Amount(units))
                if let code = movePosted(cancel, &context) { return code }
            case .split(let numerator, let denominator, let price):
                let product = UInt128(units) * UInt128(numerator)
                guard let after = UInt64(exactly: product / UInt128(denominator)) else { return .amountOverflow }
                let fraction = UInt64(product % UInt128(denominator))
                cash = UInt64((UInt128(fraction) * UInt128(price.units)) / UInt128(denominator))
                if after != units {
                    let issue = after > units
                    let change = Transfer(
                        asset: asset, debit: issue ? instrument.terms.issuanceAccount : account,
                        credit: issue ? account : instrument.terms.issuanceAccount, amount: Amount(issue ? after - units : units - after))
                    if let code = movePosted(change, &context) { return code }
                }
                scaleLock(of: account, asset, numerator: numerator, denominator: denominator, &context)
            }
            // A payment an account cannot take (closed, or holding its most assets)
            // stays in escrow and returns to the issuer with the remainder.
            if cash > 0 && canReceive(account, currency) {
                var net = cash
                // Withholding on dividends and interest: its own leg, to the holder's zone's treasury.
                if terms.isIncome, let (withheld, treasury) = withholding(on: cash, to: account) {
                    let withhold = Transfer(asset: currency, debit: escrowAccount, credit: treasury, amount: Amount(withheld))
                    if let code = movePosted(withhold, &context, limited: false) { return code }
                    net -= withheld
                    securities.actions[id]!.withheld += withheld
                }
                let pay = Transfer(asset: currency, debit: escrowAccount, credit: account, amount: Amount(net))
                if net > 0, let code = movePosted(pay, &context, limited: false) { return code }
                securities.actions[id]!.paid += cash
            }
            securities.actions[id]!.settledUnits += units
            securities.actions[id]!.settledHolders += 1
            guard securities.actions[id]!.settledUnits <= found.outstanding else { return .actionInvalid }
        }
        securities.actions[id]!.cursor = op.accounts.last
        return securities.actions[id]!.settledUnits == found.outstanding ? complete(id, &context) : nil
    }

    /// Opens a ballot: a register like any action's, no escrow, open until its closing time.
    private mutating func openBallot(_ op: DeclareAction, _ ballot: BallotTerms, _ context: inout ApplyContext) -> RejectionCode? {
        guard ballot.closesAt > context.time else { return .actionInvalid }
        let id = securities.nextAction
        context.undo.append(.actionDeclared(id))
        securities.actions[id] = CorporateAction(
            id: id, declaration: op, recordDate: context.index, outstanding: supply(of: op.asset), holders: UInt64(holders[op.asset] ?? 0),
            rate: nil, escrowed: 0)
        securities.nextAction = id + 1
        securities.openActions[op.asset, default: []].append(id)
        context.newBallotCloses.append(BallotClose(at: ballot.closesAt, action: id))
        return nil
    }

    mutating func castVote(_ op: CastVote, _ context: inout ApplyContext) -> RejectionCode? {
        guard let action = securities.actions[op.action], let ballot = action.declaration.terms.ballot else { return .actionInvalid }
        guard action.isOpen, context.time < ballot.closesAt else { return .ballotClosed }
        guard let voter = accounts[op.account] else { return .accountNotFound }
        guard context.isAuthorized(by: voter.controllers) else { return .insufficientSignatures }
        guard Int(op.option) < ballot.options.count else { return .actionInvalid }
        let weight = recordDateHolding(of: op.account, in: action)
        guard weight > 0 else { return .actionInvalid }
        context.undo.append(.vote(op.action, op.account, action.votes[op.account]))
        securities.actions[op.action]!.votes[op.account] = Vote(option: op.option, weight: weight)
        return nil
    }

    /// Closes every open ballot whose closing time is at or before `time`, at
    /// the entry `index`: its votes stand, its saved holdings are let go. Runs
    /// at the start of each entry, like expiry, and is never undone.
    mutating func closeBallots(upTo time: Timestamp, at index: LeafIndex) {
        while let next = ballotCloses.minimum, next.at <= time {
            _ = ballotCloses.popMinimum()
            guard let action = securities.actions[next.action], action.isOpen, action.declaration.terms.ballot?.closesAt == next.at else { continue }
            securities.actions[next.action]!.completedAt = index
            securities.actions[next.action]!.saved = [:]
            securities.closeAction(next.action, of: action.asset)
        }
    }

    mutating func commitRegister(_ op: CommitRegister, _ context: inout ApplyContext) -> RejectionCode? {
        guard context.isAuthorized(by: KeySet(single: ledgerKey)) else { return .insufficientSignatures }
        guard let action = securities.actions[op.action], action.isOpen else { return .actionInvalid }
        guard action.register == nil, op.total.units == action.outstanding else { return .registerMismatch }
        context.undo.append(.actionProgress(op.action, action.progress))
        securities.actions[op.action]!.register = RegisterCommitment(
            total: op.total.units, leafCount: op.leafCount, root: op.root, index: context.index)
        return nil
    }

    /// Ends an action whose every record-date unit is settled: the escrow's
    /// remainder returns to the issuer; a split scales the authorised amount;
    /// a redemption marks the instrument redeemed.
    private mutating func complete(_ id: UInt64, _ context: inout ApplyContext) -> RejectionCode? {
        let action = securities.actions[id]!
        let instrument = securities.instruments[action.asset]!
        let escrow = action.declaration.escrowAccount!
        let remainder = balance(of: escrow, in: instrument.terms.currency).posted
        if remainder > 0 {
            let back = Transfer(asset: instrument.terms.currency, debit: escrow, credit: instrument.issuer, amount: Amount(UInt64(remainder)))
            if let code = movePosted(back, &context) { return code }
        }
        var updated = instrument
        switch action.declaration.terms {
        case .split(let numerator, let denominator, _):
            let scaled = UInt128(instrument.authorised) * UInt128(numerator) / UInt128(denominator)
            // Registers are Merkle-sum trees: what may be outstanding stays within their totals.
            updated.authorised = UInt64(min(scaled, UInt128(Limits.maxLiabilityTotal)))
        case .redemption:
            updated.isRedeemed = true
        case .cashDividend, .coupon, .ballot:
            break
        }
        if updated != instrument {
            context.undo.append(.instrument(action.asset, instrument))
            securities.instruments[action.asset] = updated
        }
        context.undo.append(.actionCompleted(id, action.saved))
        securities.actions[id]!.completedAt = context.index
        securities.actions[id]!.saved = [:]
        securities.closeAction(id, of: action.asset)
        return nil
    }

    /// Before a holding of an instrument with open actions changes: saves its
    /// value in each open action that has not saved it yet.
    mutating func saveRecordDateHoldings(_ key: BalanceKey, _ context: inout ApplyContext) {
        guard let open = securities.openActions[key.asset] else { return }
        let posted = UInt64(clamping: max(0, balances[key]?.posted ?? 0))
        for id in open where securities.actions[id]!.saved[key.account] == nil {
            context.undo.append(.actionSaved(id, key.account))
            securities.actions[id]!.saved[key.account] = posted
        }
    }

    /// A split scales a lock with the holding it locks (a freeze of everything stays one).
    private mutating func scaleLock(
        of account: AccountID, _ asset: AssetCode, numerator: UInt32, denominator: UInt32, _ context: inout ApplyContext
    ) {
        let key = BalanceKey(account: account, asset: asset)
        guard let lock = securities.locks[key], lock.amount.units != .max else { return }
        let scaled = UInt64(clamping: UInt128(lock.amount.units) * UInt128(numerator) / UInt128(denominator))
        context.undo.append(.lock(key, lock))
        securities.locks[key] = HoldingLock(amount: Amount(scaled), until: lock.until, reason: lock.reason, index: lock.index)
    }

    /// Whether a settlement can pay `account`: an ordinary account, not closed
    /// (a closed account holds nothing, so it can only be owed a dividend on a
    /// holding it had at the record date and then gave up).
    private func canReceive(_ account: AccountID, _ asset: AssetCode) -> Bool {
        guard let holder = accounts[account], !holder.isClosed, holder.issuedAsset == nil, !holder.isEscrow else { return false }
        // The snapshot counts an account's assets in a byte.
        return holder.assets.contains(asset) || holder.assets.count < Int(UInt8.max)
    }

    /// `account`'s holding of an action's instrument at its record date.
    public func recordDateHolding(of account: AccountID, in action: CorporateAction) -> UInt64 {
        action.saved[account] ?? UInt64(clamping: max(0, balance(of: account, in: action.asset).posted))
    }

    /// An action's record-date register, ascending by account: every account
    /// with a positive record-date holding. O(holders); for readers and the
    /// node's settlement service, never the state machine.
    public func register(of action: CorporateAction) -> [RegisterEntry] {
        guard let book = instrumentHoldings[action.asset] else { return [] }
        return CorporateAction.register(holdings: book.view, saved: action.saved)
    }

    /// What a reader takes, between two batches, to compute an action's register
    /// later and elsewhere: O(pages) and a reference to the saved holdings.
    public func registerSources(of id: UInt64) -> (action: CorporateAction, holdings: HoldingView)? {
        guard let action = securities.actions[id], let book = instrumentHoldings[action.asset] else { return nil }
        return (action, book.view)
    }
}

private func pow10(_ exponent: UInt8) -> UInt128 {
    var value: UInt128 = 1
    for _ in 0..<exponent { value *= 10 }
    return value
}

/// One line of a record-date register.
public struct RegisterEntry: Hashable, Sendable {
    public let account: AccountID
    public let units: UInt64

    public init(account: AccountID, units: UInt64) {
        self.account = account
        self.units = units
    }
}

extension CorporateAction {
    /// The register from the instrument's holdings and the action's saved
    /// record-date holdings taken at one moment: every account with a positive
    /// record-date holding (its saved one, else its holding then), ascending.
    /// O(holders log holders).
    public static func register(holdings: HoldingView, saved: [AccountID: UInt64]) -> [RegisterEntry] {
        var entries: [RegisterEntry] = []
        entries.reserveCapacity(holdings.count)
        holdings.forEachPositive { holding in
            if saved[holding.account] == nil { entries.append(RegisterEntry(account: holding.account, units: holding.balance)) }
        }
        for (account, units) in saved where units > 0 { entries.append(RegisterEntry(account: account, units: units)) }
        entries.sort { $0.account < $1.account }
        return entries
    }
}

/// What a settlement or register commitment changes in an action, for a rollback.
struct ActionProgress {
    let paid: UInt64
    let withheld: UInt64
    let settledUnits: UInt64
    let settledHolders: UInt64
    let cursor: AccountID?
    let register: RegisterCommitment?
}

extension CorporateAction {
    var progress: ActionProgress {
        ActionProgress(
            paid: paid, withheld: withheld, settledUnits: settledUnits, settledHolders: settledHolders, cursor: cursor, register: register)
    }

    mutating func restore(_ progress: ActionProgress) {
        paid = progress.paid
        withheld = progress.withheld
        settledUnits = progress.settledUnits
        settledHolders = progress.settledHolders
        cursor = progress.cursor
        register = progress.register
    }
}

extension SecuritiesState {
    mutating func closeAction(_ id: UInt64, of asset: AssetCode) {
        openActions[asset]?.removeAll { $0 == id }
        if openActions[asset]?.isEmpty == true { openActions[asset] = nil }
    }

    mutating func reopenAction(_ id: UInt64, of asset: AssetCode) {
        var open = openActions[asset] ?? []
        open.insert(id, at: open.firstIndex(where: { $0 > id }) ?? open.count)
        openActions[asset] = open
    }

    /// Undoes a declaration: the last action declared.
    mutating func removeAction(_ id: UInt64) {
        guard let action = actions.removeValue(forKey: id) else { return }
        nextAction = id
        closeAction(id, of: action.asset)
    }
}

extension LedgerState {
    /// Counts a pending transfer of an instrument opening (+1) or resolving (−1).
    mutating func countHold(of asset: AssetCode, by change: Int, _ context: inout ApplyContext) {
        guard !securities.instruments.isEmpty, securities.instruments[asset] != nil else { return }
        context.undo.append(.openHolds(asset, securities.openHolds[asset]))
        securities.countHold(of: asset, by: change)
    }
}

extension SecuritiesState {
    mutating func countHold(of asset: AssetCode, by change: Int) {
        let count = (openHolds[asset] ?? 0) + change
        openHolds[asset] = count == 0 ? nil : count
    }
}
