import KhataEd25519

// Who may decide a transaction's fate. A transaction enters the log only if its
// signers are enough for every one of its operations; otherwise it is refused
// before it is sequenced, and its id stays free for the signers who are enough.
// Without this rule anyone who saw a body in transit could sign it with a key of
// their own, submit it first and pin its id as failed (`insufficient_signatures`
// in the log), and one co-signer of a multisig could burn it by submitting early.

/// Why the sequencer will not log a transaction: the first operation whose keys
/// its signers do not satisfy, or whose keys cannot be known because what it
/// names (an account, a pending transfer) does not exist. Nothing is changed and
/// nothing logged; the id may still be used by a transaction that is enough.
public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
    public let transaction: TransactionID
    /// `insufficientSignatures`, `governanceThresholdNotMet`, `accountNotFound`, `pendingNotFound`,
    /// `instrumentInvalid` (an instrument operation naming no instrument);
    /// or `idReusedWithDifferentContent` when another body already holds the id.
    public let code: RejectionCode
    /// The operation at fault, by position.
    public let operation: UInt16

    public init(transaction: TransactionID, code: RejectionCode, operation: UInt16) {
        self.transaction = transaction
        self.code = code
        self.operation = operation
    }

    public var description: String {
        "transaction \(transaction) refused at operation \(operation): \(code.name); it was not logged and its id is still free"
    }
}

extension LedgerState {
    /// Whether `transaction`'s signers are enough for every operation it holds,
    /// each read against the state as the operations before it would leave it
    /// (an account created earlier in the transaction is authorised by the keys
    /// it was created with; controllers changed earlier count as changed). Nil
    /// when they are; otherwise the first operation that is not.
    ///
    /// The keys each operation needs are the ones `apply` checks: the new
    /// controllers for `create_account`; the issuer for `register_asset`; the
    /// debit account's authority for a transfer or pending transfer (for an
    /// issuance account, its issuer's controllers); the payer's for a post and
    /// the payee's for a void; the account's authority to change its controllers
    /// or close it; the attestor's controllers for an attestation; the policy's
    /// governance (the issuer before the first policy) for a policy; the ledger
    /// key for a liabilities commitment; for instruments (docs/STOCKCHAIN.md),
    /// the issuer's controllers to register one, set its rules, or receive a
    /// cancellation (a transfer to its issuance account, besides the payer's),
    /// the agent (else the issuer) to lock a holding or force a transfer, and the
    /// provider's controllers for an identity attestation. Costs a dictionary look-up or two per
    /// operation, and nothing for a run of transfers from one account.
    ///
    /// Genesis authority (no signers) is not a transaction and never comes here.
    public func refusal(of transaction: Transaction) -> Refusal? {
        let signers = transaction.signers
        var overlay = AuthorityOverlay()
        var satisfied: [AccountID] = []
        for (position, operation) in transaction.operations.enumerated() {
            let refuse = { (code: RejectionCode) in Refusal(transaction: transaction.id, code: code, operation: UInt16(position)) }
            switch operation {
            case .createAccount(let op):
                guard op.controllers.isSatisfied(by: signers) else { return refuse(.insufficientSignatures) }
                overlay.accounts[op.account] = .init(controllers: op.controllers, issuedAsset: nil)
            case .registerAsset(let op):
                guard issuerKeys.isSatisfied(by: signers) else { return refuse(.insufficientSignatures) }
                overlay.issuers[op.asset] = op.issuer
                overlay.accounts[op.issuanceAccount] = .init(controllers: nil, issuedAsset: op.asset)
            case .transfer(let op):
                if let code = overlay.check(debitOf: op.debit, in: self, signers: signers, satisfied: &satisfied) { return refuse(code) }
                if let code = overlay.check(cancellation: op, in: self, signers: signers) { return refuse(code) }
            case .pendingTransfer(let op):
                if let code = overlay.check(debitOf: op.transfer.debit, in: self, signers: signers, satisfied: &satisfied) {
                    return refuse(code)
                }
                if let code = overlay.check(cancellation: op.transfer, in: self, signers: signers) { return refuse(code) }
                overlay.pendings[PendingID(transaction: transaction.id, operation: UInt16(position))] = op.transfer
            case .postPending(let op):
                guard let pending = overlay.pendings[op.pending] ?? pendings[op.pending]?.transfer else { return refuse(.pendingNotFound) }
                if let code = overlay.check(authorityOf: pending.debit, in: self, signers: signers) { return refuse(code) }
            case .voidPending(let op):
                guard let pending = overlay.pendings[op.pending] ?? pendings[op.pending]?.transfer else { return refuse(.pendingNotFound) }
                if let code = overlay.check(authorityOf: pending.credit, in: self, signers: signers) { return refuse(code) }
            case .changeControllers(let op):
                if let code = overlay.check(authorityOf: op.account, in: self, signers: signers) { return refuse(code) }
                if var account = overlay.account(op.account, in: self), account.issuedAsset == nil {
                    account.controllers = op.controllers
                    overlay.accounts[op.account] = account
                    // As in `apply`: later debits must be authorised by the new keys.
                    satisfied.removeAll()
                }
            case .closeAccount(let op):
                if let code = overlay.check(authorityOf: op.account, in: self, signers: signers) { return refuse(code) }
                if var account = overlay.account(op.account, in: self), account.issuedAsset == nil {
                    account.isClosed = true
                    overlay.accounts[op.account] = account
                }
            case .attestReserve(let op):
                if let code = overlay.check(controllersOf: op.custodian, in: self, signers: signers) { return refuse(code) }
            case .attestPrice(let op):
                if let code = overlay.check(controllersOf: op.oracle, in: self, signers: signers) { return refuse(code) }
            case .setMonetaryPolicy(let op):
                let governance = overlay.governance ?? reserves.policy?.governance ?? issuerKeys
                guard governance.isSatisfied(by: signers) else { return refuse(.governanceThresholdNotMet) }
                overlay.governance = op.policy.governance
            case .commitLiabilities:
                guard KeySet(single: ledgerKey).isSatisfied(by: signers) else { return refuse(.insufficientSignatures) }
            case .registerInstrument(let op):
                if let code = overlay.check(controllersOf: op.issuer, in: self, signers: signers) { return refuse(code) }
                overlay.issuers[op.asset] = op.issuer
                overlay.accounts[op.issuanceAccount] = .init(controllers: nil, issuedAsset: op.asset)
                overlay.instruments[op.asset] = .init(issuer: op.issuer, issuanceAccount: op.issuanceAccount, agent: op.rules.agent)
            case .setInstrumentRules(let op):
                guard var instrument = overlay.instrument(op.asset, in: self) else { return refuse(.instrumentInvalid) }
                if let code = overlay.check(issuerOf: instrument, in: self, signers: signers) { return refuse(code) }
                instrument.agent = op.rules.agent
                overlay.instruments[op.asset] = instrument
            case .attestIdentity(let op):
                if let code = overlay.check(controllersOf: op.provider, in: self, signers: signers) { return refuse(code) }
            case .lockHolding(let op):
                if let code = overlay.check(agentOf: op.asset, in: self, signers: signers) { return refuse(code) }
            case .forcedTransfer(let op):
                if let code = overlay.check(agentOf: op.transfer.asset, in: self, signers: signers) { return refuse(code) }
            case .declareAction(let op):
                guard let instrument = overlay.instrument(op.asset, in: self) else { return refuse(.instrumentInvalid) }
                if let code = overlay.check(issuerOf: instrument, in: self, signers: signers) { return refuse(code) }
            case .settleAction:
                // The ledger key alone settles, strictly in order: nobody can skip a holder.
                guard KeySet(single: ledgerKey).isSatisfied(by: signers) else { return refuse(.insufficientSignatures) }
            case .commitRegister:
                guard KeySet(single: ledgerKey).isSatisfied(by: signers) else { return refuse(.insufficientSignatures) }
            case .castVote(let op):
                if let code = overlay.check(controllersOf: op.account, in: self, signers: signers) { return refuse(code) }
            case .linkPending(let op):
                for id in op.pendings {
                    guard let pending = overlay.pendings[id] ?? pendings[id]?.transfer else { return refuse(.pendingNotFound) }
                    if let code = overlay.check(authorityOf: pending.debit, in: self, signers: signers) { return refuse(code) }
                    if let code = overlay.check(authorityOf: pending.credit, in: self, signers: signers) { return refuse(code) }
                }
            case .registerZone:
                guard issuerKeys.isSatisfied(by: signers) else { return refuse(.insufficientSignatures) }
            case .proposeLaw(let op):
                guard signers.contains(op.proposer) else { return refuse(.insufficientSignatures) }
            case .voteLaw(let op):
                guard signers.contains(op.governor) else { return refuse(.insufficientSignatures) }
            case .cancelProposal(let op):
                // Only the guardian of the proposal's zone: nobody else can stop a change.
                // A proposal not in the state yet (made earlier in this transaction, or
                // none) is left to `apply`, which checks the guardian as well.
                if let zone = zones.proposals[op.proposal].flatMap({ zones.zones[$0.zone] }), !signers.contains(zone.guardian) {
                    return refuse(.insufficientSignatures)
                }
            case .moveZone(let op):
                if let code = overlay.check(controllersOf: op.account, in: self, signers: signers) { return refuse(code) }
            case .payLevy:
                // Authorised with the payment it belongs to, which the same signers sign.
                break
            case .registerProvider(let op):
                guard issuerKeys.isSatisfied(by: signers) else { return refuse(.insufficientSignatures) }
                overlay.providers[op.name] = (op.account, op.roles)
            case .bindAddress(let op):
                // The provider vouches and the holder consents: both sign.
                let provider = overlay.providers[op.address.provider] ?? payments.providers[op.address.provider].map { ($0.account, $0.roles) }
                guard let provider, provider.roles.contains(.addresses) else { return refuse(.providerInvalid) }
                if let code = overlay.check(authorityOf: provider.account, in: self, signers: signers) { return refuse(code) }
                if let code = overlay.check(controllersOf: op.account, in: self, signers: signers) { return refuse(code) }
            case .unbindAddress(let op):
                // An address bound earlier in the transaction: its binding signed for it.
                guard let binding = payments.addresses[op.address] else { break }
                let provider = overlay.providers[op.address.provider]?.account ?? payments.providers[op.address.provider]?.account
                let byProvider = provider.map { overlay.check(authorityOf: $0, in: self, signers: signers) == nil } ?? false
                guard byProvider || overlay.check(authorityOf: binding.account, in: self, signers: signers) == nil else {
                    return refuse(.insufficientSignatures)
                }
            case .requestPayment(let op):
                if let code = overlay.check(controllersOf: op.payee, in: self, signers: signers) { return refuse(code) }
                overlay.requestPayers[OperationRef(transaction: transaction.id, operation: UInt16(position))] = op.payer
            case .answerRequest(let op):
                guard let payer = overlay.requestPayers[op.request] ?? payments.requests[op.request]?.payer else { return refuse(.requestInvalid) }
                if let code = overlay.check(authorityOf: payer, in: self, signers: signers) { return refuse(code) }
            case .createMandate(let op):
                if let code = overlay.check(controllersOf: op.payer, in: self, signers: signers) { return refuse(code) }
                overlay.mandates[OperationRef(transaction: transaction.id, operation: UInt16(position))] = (op.payer, op.payee)
            case .revokeMandate(let op):
                guard let parties = overlay.mandates[op.mandate] ?? payments.mandates[op.mandate].map({ ($0.terms.payer, $0.terms.payee) }) else {
                    return refuse(.mandateInvalid)
                }
                if let code = overlay.check(authorityOf: parties.payer, in: self, signers: signers) { return refuse(code) }
            case .collectMandate(let op):
                // The payee collects alone: the payer's consent is the mandate.
                guard let parties = overlay.mandates[op.mandate] ?? payments.mandates[op.mandate].map({ ($0.terms.payer, $0.terms.payee) }) else {
                    return refuse(.mandateInvalid)
                }
                if let code = overlay.check(authorityOf: parties.payee, in: self, signers: signers) { return refuse(code) }
            case .remit(let op):
                // The sender's keys; the provider's consent is its signed quote.
                if let code = overlay.check(debitOf: op.sender, in: self, signers: signers, satisfied: &satisfied) { return refuse(code) }
                if let provider = overlay.providers[op.quote.provider]?.account ?? payments.providers[op.quote.provider]?.account {
                    overlay.remittances[OperationRef(transaction: transaction.id, operation: UInt16(position))] = (provider, op.recipient)
                }
            case .completeRemittance(let op):
                guard
                    let parties = overlay.remittances[op.remittance]
                        ?? payments.remittances[op.remittance].map({ ($0.providerAccount, $0.recipient) })
                else { return refuse(.remittanceInvalid) }
                guard
                    overlay.check(authorityOf: parties.provider, in: self, signers: signers) == nil
                        || overlay.check(authorityOf: parties.recipient, in: self, signers: signers) == nil
                else { return refuse(.insufficientSignatures) }
            case .refundRemittance(let op):
                guard
                    let parties = overlay.remittances[op.remittance]
                        ?? payments.remittances[op.remittance].map({ ($0.providerAccount, $0.recipient) })
                else { return refuse(.remittanceInvalid) }
                if let code = overlay.check(authorityOf: parties.provider, in: self, signers: signers) { return refuse(code) }
            }
        }
        return nil
    }
}

/// What a transaction's earlier operations would change about who controls
/// what, seen by its later ones during `LedgerState.refusal(of:)`.
private struct AuthorityOverlay {
    struct AccountAuthority {
        var controllers: KeySet?
        var issuedAsset: AssetCode?
        var isClosed = false
    }

    var accounts: [AccountID: AccountAuthority] = [:]
    var issuers: [AssetCode: AccountID] = [:]
    var pendings: [PendingID: Transfer] = [:]
    var governance: KeySet?
    /// Payment objects made by earlier operations of the transaction: a provider's
    /// account by name, a request's payer, a mandate's payer and payee, a
    /// remittance's provider account and recipient.
    var providers: [String: (account: AccountID, roles: ProviderRoles)] = [:]
    var requestPayers: [OperationRef: AccountID] = [:]
    var mandates: [OperationRef: (payer: AccountID, payee: AccountID)] = [:]
    var remittances: [OperationRef: (provider: AccountID, recipient: AccountID)] = [:]

    struct InstrumentAuthority {
        var issuer: AccountID
        var issuanceAccount: AccountID
        var agent: KeySet?
    }
    var instruments: [AssetCode: InstrumentAuthority] = [:]

    func instrument(_ asset: AssetCode, in state: LedgerState) -> InstrumentAuthority? {
        if let instrument = instruments[asset] { return instrument }
        return state.securities.instruments[asset].map {
            InstrumentAuthority(issuer: $0.issuer, issuanceAccount: $0.terms.issuanceAccount, agent: $0.rules.agent)
        }
    }

    /// Nil if `transfer` cancels nothing (its credit is not an instrument's
    /// issuance account) or `signers` satisfy the issuer's controllers.
    func check(cancellation transfer: Transfer, in state: LedgerState, signers: [PublicKey]) -> RejectionCode? {
        guard let instrument = instrument(transfer.asset, in: state), transfer.credit == instrument.issuanceAccount else { return nil }
        return check(issuerOf: instrument, in: state, signers: signers)
    }

    /// As `LedgerState.issuerAuthority(of:)`: the issuer's controllers, and a closed issuer authorises nothing.
    func check(issuerOf instrument: InstrumentAuthority, in state: LedgerState, signers: [PublicKey]) -> RejectionCode? {
        guard let issuer = account(instrument.issuer, in: state), !issuer.isClosed else { return .insufficientSignatures }
        return issuer.controllers?.isSatisfied(by: signers) == true ? nil : .insufficientSignatures
    }

    /// Nil if `signers` satisfy the instrument's agent (its issuer's controllers when it names none).
    func check(agentOf asset: AssetCode, in state: LedgerState, signers: [PublicKey]) -> RejectionCode? {
        guard let instrument = instrument(asset, in: state) else { return .instrumentInvalid }
        if let agent = instrument.agent { return agent.isSatisfied(by: signers) ? nil : .insufficientSignatures }
        return check(issuerOf: instrument, in: state, signers: signers)
    }

    func account(_ id: AccountID, in state: LedgerState) -> AccountAuthority? {
        if let account = accounts[id] { return account }
        return state.accounts[id].map { AccountAuthority(controllers: $0.controllers, issuedAsset: $0.issuedAsset, isClosed: $0.isClosed) }
    }

    /// The keys that authorise debits of `id`, as `LedgerState.authority(of:)`
    /// gives them, with this transaction's earlier changes; nil if none can.
    func authority(of id: AccountID, in state: LedgerState) -> KeySet?? {
        guard let account = account(id, in: state) else { return .none }
        guard let asset = account.issuedAsset else { return .some(account.controllers) }
        // As `LedgerState.authority(of:)`: a closed issuer authorises nothing.
        guard let issuerID = issuers[asset] ?? state.assets[asset]?.issuer, let issuer = self.account(issuerID, in: state), !issuer.isClosed
        else { return .some(nil) }
        return .some(issuer.controllers)
    }

    /// Nil if `signers` may debit `id`; else why not.
    func check(authorityOf id: AccountID, in state: LedgerState, signers: [PublicKey]) -> RejectionCode? {
        switch authority(of: id, in: state) {
        case .none: .accountNotFound
        case .some(let keys): keys?.isSatisfied(by: signers) == true ? nil : .insufficientSignatures
        }
    }

    /// `check(authorityOf:)` for a debit, counting each account once per run.
    func check(debitOf id: AccountID, in state: LedgerState, signers: [PublicKey], satisfied: inout [AccountID]) -> RejectionCode? {
        if satisfied.contains(id) { return nil }
        if let code = check(authorityOf: id, in: state, signers: signers) { return code }
        satisfied.append(id)
        return nil
    }

    /// Nil if `signers` satisfy `id`'s own controllers (attestors sign as themselves).
    func check(controllersOf id: AccountID, in state: LedgerState, signers: [PublicKey]) -> RejectionCode? {
        guard let account = account(id, in: state) else { return .accountNotFound }
        return account.controllers?.isSatisfied(by: signers) == true ? nil : .insufficientSignatures
    }
}
