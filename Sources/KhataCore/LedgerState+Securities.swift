import KhataBytes
import KhataEd25519

// The stockchain's transitions (docs/STOCKCHAIN.md): instruments, their
// transfer rules, identity attestations, locks and forced transfers. Like every
// operation, each returns a rejection before changing anything it keeps, and
// records what it overwrites in the undo log.

extension LedgerState {
    mutating func registerInstrument(_ op: RegisterInstrument, _ context: inout ApplyContext) -> RejectionCode? {
        guard let issuer = accounts[op.issuer] else { return .accountNotFound }
        guard issuer.issuedAsset == nil else { return .issuanceAccountRestricted }
        guard !issuer.isClosed else { return .accountClosed }
        guard context.isAuthorized(by: issuer.controllers) else { return .insufficientSignatures }
        guard assets[op.asset] == nil else { return .assetExists }
        guard accounts[op.issuanceAccount] == nil else { return .accountExists }
        if let code = checkFits(op.rules, currency: op.currency) { return code }
        context.undo.append(.asset(op.asset))
        context.undo.append(.account(op.issuanceAccount, nil))
        context.undo.append(.instrument(op.asset, nil))
        assets[op.asset] = Asset(
            code: op.asset, kind: op.kind, scale: op.scale, issuer: op.issuer, issuanceAccount: op.issuanceAccount,
            registeredAt: context.index)
        accounts[op.issuanceAccount] = Account(
            id: op.issuanceAccount, controllers: nil, issuedAsset: op.asset, isClosed: false, zone: 0, kycTier: 0,
            createdAt: context.index, assets: [])
        securities.instruments[op.asset] = Instrument(
            terms: op, registeredAt: context.index, rulesSetAt: context.index, authorised: op.authorised.units)
        instrumentHoldings[op.asset] = HoldingBook(asset: op.asset)
        return nil
    }

    /// Whether an instrument's currency and rules fit the ledger: the currency is
    /// a registered currency, and every identity provider is an ordinary account.
    private func checkFits(_ rules: InstrumentRules, currency: AssetCode?) -> RejectionCode? {
        if let currency, assets[currency]?.kind != .currency { return .instrumentInvalid }
        for provider in rules.identityProviders {
            guard let account = accounts[provider], account.issuedAsset == nil else { return .instrumentInvalid }
        }
        return nil
    }

    mutating func setInstrumentRules(_ op: SetInstrumentRules, _ context: inout ApplyContext) -> RejectionCode? {
        guard var instrument = securities.instruments[op.asset] else { return .instrumentInvalid }
        guard context.isAuthorized(by: issuerAuthority(of: instrument)) else { return .insufficientSignatures }
        if let code = checkFits(op.rules, currency: nil) { return code }
        context.undo.append(.instrument(op.asset, instrument))
        instrument.terms.rules = op.rules
        instrument.rulesSetAt = context.index
        securities.instruments[op.asset] = instrument
        return nil
    }

    mutating func attestIdentity(_ op: AttestIdentity, _ context: inout ApplyContext) -> RejectionCode? {
        guard let provider = accounts[op.provider], provider.issuedAsset == nil else { return .accountNotFound }
        guard !provider.isClosed else { return .accountClosed }
        guard context.isAuthorized(by: provider.controllers) else { return .insufficientSignatures }
        guard accounts[op.account] != nil else { return .accountNotFound }
        guard op.tier == 0 || op.expiresAt > context.time else { return .asOfInvalid }
        let key = IdentityKey(account: op.account, provider: op.provider)
        context.undo.append(.identity(key, securities.identities[key]))
        securities.identities[key] = op.tier == 0 ? nil : IdentityRecord(tier: op.tier, expiresAt: op.expiresAt, index: context.index)
        return nil
    }

    mutating func lockHolding(_ op: LockHolding, _ context: inout ApplyContext) -> RejectionCode? {
        guard let instrument = securities.instruments[op.asset] else { return .instrumentInvalid }
        guard context.isAuthorized(by: agentAuthority(of: instrument)) else { return .insufficientSignatures }
        guard let account = accounts[op.account] else { return .accountNotFound }
        guard account.issuedAsset == nil else { return .issuanceAccountRestricted }
        let key = BalanceKey(account: op.account, asset: op.asset)
        context.undo.append(.lock(key, securities.locks[key]))
        securities.locks[key] =
            op.amount.isZero ? nil : HoldingLock(amount: op.amount, until: op.until, reason: op.reason, index: context.index)
        return nil
    }

    mutating func forcedTransfer(_ op: ForcedTransfer, _ context: inout ApplyContext) -> RejectionCode? {
        let transfer = op.transfer
        guard let instrument = securities.instruments[transfer.asset] else { return .instrumentInvalid }
        guard context.isAuthorized(by: agentAuthority(of: instrument)) else { return .insufficientSignatures }
        guard !instrument.isRedeemed else { return .instrumentRedeemed }
        guard !securities.isSettling(transfer.asset) else { return .instrumentSettling }
        guard !transfer.amount.isZero else { return .amountZero }
        guard transfer.debit != transfer.credit else { return .sameAccount }
        guard let debit = accounts[transfer.debit], let credit = accounts[transfer.credit] else { return .accountNotFound }
        guard !debit.isClosed && !credit.isClosed else { return .accountClosed }
        // Never an issue nor a cancellation: the issuer does those, with its own threshold.
        guard debit.issuedAsset == nil, credit.issuedAsset == nil, !debit.isEscrow, !credit.isEscrow else { return .issuanceAccountRestricted }
        guard balance(of: transfer.debit, in: transfer.asset).available >= Int128(transfer.amount.units) else {
            return .exceedsAvailableBalance
        }
        if let code = checkReceiver(transfer, of: instrument, pending: false) { return code }
        if !zones.isEmpty, let code = checkLaws(transfer, .forced, &context) { return code }
        return movePosted(transfer, &context)
    }

    // MARK: - The rules every transfer of an instrument obeys

    /// The checks a transfer or pending transfer of an instrument makes after
    /// the ones every transfer makes (`checkTransfer`), in this order: a
    /// cancellation (credit to the issuance account) needs the issuer's
    /// signatures too; the debit may not touch a locked part of the holding;
    /// then the receiver's rules (`checkReceiver`). Nil for other assets.
    func checkInstrumentTransfer(_ op: Transfer, pending: Bool, _ context: inout ApplyContext) -> RejectionCode? {
        guard !securities.instruments.isEmpty, let instrument = securities.instruments[op.asset] else { return nil }
        guard !instrument.isRedeemed else { return .instrumentRedeemed }
        guard !securities.isSettling(op.asset) else { return .instrumentSettling }
        if op.credit == instrument.terms.issuanceAccount {
            guard context.isAuthorized(by: issuerAuthority(of: instrument)) else { return .insufficientSignatures }
        }
        if op.debit != instrument.terms.issuanceAccount {
            let locked = securities.locked(op.debit, in: op.asset, at: context.time)
            if locked > 0 && balance(of: op.debit, in: op.asset).available - Int128(locked) < Int128(op.amount.units) {
                return .holdingLocked
            }
        }
        return checkReceiver(op, of: instrument, pending: pending)
    }

    /// The receiving account's rules, for any account but the issuer's own and
    /// the issuance account: an unexpired identity attestation of the minimum
    /// tier from one of the instrument's providers; at most `maxHolding` held
    /// (posted plus pending credits, this transfer included); and, if it would
    /// become a holder, at most `maxHolders` holders counting it (and not
    /// counting the payer if this transfer empties the payer's holding).
    func checkReceiver(_ op: Transfer, of instrument: Instrument, pending: Bool) -> RejectionCode? {
        guard op.credit != instrument.issuer && op.credit != instrument.terms.issuanceAccount else { return nil }
        let rules = instrument.rules
        if rules.minimumTier > 0 && securities.tier(of: op.credit, from: rules.identityProviders, at: time) < rules.minimumTier {
            return .identityNotVerified
        }
        let credit = balance(of: op.credit, in: op.asset)
        if !rules.maxHolding.isZero {
            let after = credit.posted + Int128(credit.creditsPending) + Int128(op.amount.units)
            guard after <= Int128(rules.maxHolding.units) else { return .maxHoldingExceeded }
        }
        if rules.maxHolders > 0 && !pending && credit.posted <= 0 {
            let debit = balance(of: op.debit, in: op.asset)
            let leaving = debit.posted > 0 && debit.posted == Int128(op.amount.units) ? 1 : 0
            guard (holders[op.asset] ?? 0) - leaving + 1 <= Int(rules.maxHolders) else { return .maxHoldersExceeded }
        }
        return nil
    }

    /// After an issue (a debit of the instrument's issuance account): what is
    /// outstanding, issued and pending issue, is within the authorised amount.
    func checkAuthorised(_ asset: AssetCode, debit: AccountID) -> RejectionCode? {
        guard !securities.instruments.isEmpty, let instrument = securities.instruments[asset], debit == instrument.terms.issuanceAccount else {
            return nil
        }
        // A split issues as it settles; its authorised amount scales when it completes.
        guard !securities.isSettling(asset) else { return nil }
        let outstanding = -balance(of: debit, in: asset).available
        return outstanding > Int128(instrument.authorised) ? .exceedsAuthorisedAmount : nil
    }

    /// Before a pending transfer of an instrument is posted to an account with no
    /// holding: the holder limit, which a pending transfer does not reserve.
    func checkHolderLimit(posting record: PendingRecord) -> RejectionCode? {
        guard !securities.instruments.isEmpty, let instrument = securities.instruments[record.transfer.asset] else { return nil }
        guard !securities.isSettling(record.transfer.asset) else { return .instrumentSettling }
        let transfer = record.transfer
        guard transfer.credit != instrument.issuer && transfer.credit != instrument.terms.issuanceAccount else { return nil }
        let rules = instrument.rules
        guard rules.maxHolders > 0, balance(of: transfer.credit, in: transfer.asset).posted <= 0 else { return nil }
        return (holders[transfer.asset] ?? 0) + 1 <= Int(rules.maxHolders) ? nil : .maxHoldersExceeded
    }

    /// The issuer account's controllers: who issues, cancels and sets the rules.
    func issuerAuthority(of instrument: Instrument) -> KeySet? {
        guard let issuer = accounts[instrument.issuer], !issuer.isClosed else { return nil }
        return issuer.controllers
    }

    /// Who locks holdings and forces transfers: the rules' agent, or the issuer.
    func agentAuthority(of instrument: Instrument) -> KeySet? {
        instrument.rules.agent ?? issuerAuthority(of: instrument)
    }

    /// The outstanding amount of an instrument: issued and not cancelled, pending issues included.
    public func outstanding(of code: AssetCode) -> UInt64 {
        guard let asset = assets[code] else { return 0 }
        let net = balance(of: asset.issuanceAccount, in: code).available
        return net < 0 ? UInt64(-net) : 0
    }
}
