// The reserve operations of the state machine, and the check every mint of the
// policy's currency makes (docs/RESERVES.md). Like every operation they record
// what they overwrite in the undo log, so a failing transaction changes nothing.

extension LedgerState {
    mutating func attestReserve(_ op: AttestReserve, _ context: inout ApplyContext) -> RejectionCode? {
        let key = AttestorKey(account: op.custodian, asset: op.asset)
        if let code = checkAttestor(key, isRegistered: reserves.policy?.isCustodian, &context) { return code }
        guard op.asOf <= context.time, op.asOf > (reserves.attestations[key]?.value.asOf ?? Timestamp(milliseconds: 0)) else {
            return .asOfInvalid
        }
        context.undo.append(.reserves(reserves))
        reserves.attestations[key] = Logged(op, index: context.index)
        return nil
    }

    mutating func attestPrice(_ op: AttestPrice, _ context: inout ApplyContext) -> RejectionCode? {
        let key = AttestorKey(account: op.oracle, asset: op.asset)
        if let code = checkAttestor(key, isRegistered: reserves.policy?.isOracle, &context) { return code }
        guard op.asOf <= context.time, op.asOf > (reserves.prices[key]?.value.asOf ?? Timestamp(milliseconds: 0)) else {
            return .asOfInvalid
        }
        guard !op.price.isZero else { return .amountZero }
        context.undo.append(.reserves(reserves))
        reserves.prices[key] = Logged(op, index: context.index)
        return nil
    }

    /// A custodian or oracle must be registered for the asset by the policy, open,
    /// and its controllers must sign.
    private func checkAttestor(
        _ key: AttestorKey, isRegistered: ((AccountID, AssetCode) -> Bool)?, _ context: inout ApplyContext
    ) -> RejectionCode? {
        guard let isRegistered, isRegistered(key.account, key.asset) else { return .attestorNotRegistered }
        guard let account = accounts[key.account] else { return .accountNotFound }
        guard !account.isClosed else { return .accountClosed }
        guard context.isAuthorized(by: account.controllers) else { return .insufficientSignatures }
        return nil
    }

    mutating func setMonetaryPolicy(_ op: SetMonetaryPolicy, _ context: inout ApplyContext) -> RejectionCode? {
        let current = reserves.policy
        guard context.isAuthorized(by: current?.governance ?? issuerKeys) else { return .governanceThresholdNotMet }
        let policy = op.policy
        guard UInt64(policy.version) == UInt64(current?.version ?? 0) + 1 else { return .policyInvalid }
        guard current == nil || current?.currency == policy.currency else { return .policyInvalid }
        guard assets[policy.currency]?.kind == .currency else { return .policyInvalid }
        for rule in policy.reserves where assets[rule.asset]?.kind != .reserve { return .policyInvalid }
        for attestor in policy.custodians + policy.oracles {
            guard let account = accounts[attestor.account], account.issuedAsset == nil, !account.isClosed else { return .policyInvalid }
        }
        context.undo.append(.reserves(reserves))
        reserves.policy = policy
        reserves.policyIndex = context.index
        if current == nil {
            // The supply history starts when the policy does.
            reserves.record(supply: supply(of: policy.currency), atSize: context.index.value)
            trackHoldings(of: policy.currency)
        }
        return nil
    }

    mutating func commitLiabilities(_ op: CommitLiabilities, _ context: inout ApplyContext) -> RejectionCode? {
        guard context.isAuthorized(by: KeySet(single: ledgerKey)) else { return .insufficientSignatures }
        guard let policy = reserves.policy, op.asset == policy.currency else { return .liabilitiesMismatch }
        // The committed balances are those of a state before this entry, and
        // later than the previous commitment's.
        guard op.asOf <= context.index.value, op.asOf > (reserves.liabilities?.commitment.asOf ?? 0) else {
            return .liabilitiesMismatch
        }
        guard reserves.supply(atSize: op.asOf) == op.total.units else { return .liabilitiesMismatch }
        guard let evaluation = reserves.evaluate(at: context.time, supply: op.total.units, assets: assets) else {
            return .liabilitiesMismatch
        }
        context.undo.append(.reserves(reserves))
        reserves.liabilities = LiabilitiesRecord(commitment: op, index: context.index, evaluation: evaluation)
        reserves.forgetSupply(before: op.asOf)
        return nil
    }

    /// Refuses a mint (a debit of the currency's issuance account, already
    /// applied) that leaves the currency less covered than the policy requires or
    /// that relies on stale attestations or prices. Burns and other assets pass.
    func checkMint(of asset: AssetCode, from debit: AccountID, _ context: ApplyContext) -> RejectionCode? {
        guard let policy = reserves.policy, asset == policy.currency, assets[asset]?.issuanceAccount == debit else { return nil }
        return reserves.evaluate(at: context.time, supply: supply(of: asset), assets: assets)?.mintRejection
    }

    /// Appends the currency's supply to the history if the last entry changed it.
    mutating func recordCurrencySupply() {
        guard let currency = reserves.policy?.currency else { return }
        reserves.record(supply: supply(of: currency), atSize: size)
    }

    /// The reserves against the currency in circulation now, evaluated at `time`
    /// (the node's clock for status; the state machine uses entry times). Nil
    /// when there is no monetary policy.
    public func reserveStatus(at time: Timestamp) -> ReserveEvaluation? {
        guard let currency = reserves.policy?.currency else { return nil }
        return reserves.evaluate(at: time, supply: supply(of: currency), assets: assets)
    }
}
