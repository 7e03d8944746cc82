import KhataEd25519

/// The whole state of a ledger: a pure function of its log.
///
/// This is Khata's state machine. It is deterministic: no clock (time is the
/// sequencer's stamp in each entry), no randomness, no floating point, no
/// dependence on hash-table iteration order. Applying the same entries in the
/// same order always yields the same state and the same `digest`.
///
/// - `apply(genesis:time:)` starts a ledger (entry 0);
/// - `apply(_:contentDigest:index:time:)` applies one sequenced transaction and
///   returns its outcome (LedgerState+Apply.swift);
/// - `replay(_:)` re-applies a logged entry and checks its logged outcome;
/// - `encodedSnapshot()` / `init(snapshot:)` / `digest` (LedgerState+Snapshot.swift).
public struct LedgerState: Sendable {
    public internal(set) var origin: String
    public internal(set) var ledgerKey: PublicKey
    /// The keys that may register assets.
    public internal(set) var issuerKeys: KeySet
    /// Accounts and balances grow without bound: `ShardedMap`s, so that growing
    /// never rehashes more than a shard in one entry.
    public internal(set) var accounts = ShardedMap<AccountID, Account>()
    public internal(set) var balances = ShardedMap<BalanceKey, Balance>()
    public internal(set) var assets: [AssetCode: Asset] = [:]
    public internal(set) var pendings: [PendingID: PendingRecord] = [:]
    public internal(set) var transactions = TransactionIndex()
    /// Per asset, how many accounts hold a positive posted balance. Derived from
    /// `balances` (kept in step by `setBalance`, recomputed from a snapshot), so it
    /// is not part of the snapshot or the digest.
    public internal(set) var holders: [AssetCode: Int] = [:]
    /// The monetary policy, attestations, prices and liabilities commitments.
    public internal(set) var reserves = ReserveState()
    /// Instruments, identity attestations and locks (docs/STOCKCHAIN.md).
    public internal(set) var securities = SecuritiesState()
    /// Zones, their laws and law proposals (docs/LAWS.md).
    public internal(set) var zones = ZoneState()
    /// Payment providers, addresses, requests, mandates and remittances (docs/PAYMENTS.md).
    public internal(set) var payments = PaymentState()
    /// The holdings of the policy's currency in cheaply copied pages, for
    /// liabilities commitments. Derived from `balances` like `holders`.
    public internal(set) var currencyHoldings: HoldingBook?
    /// The holdings of each instrument, the same way, for its registers and
    /// holder listings. Derived from `balances`.
    public internal(set) var instrumentHoldings: [AssetCode: HoldingBook] = [:]
    var expiries = Heap<Expiry>()
    /// Open ballots by closing time. Derived from the securities state.
    var ballotCloses = Heap<BallotClose>()
    /// Quotes in use by expiry. Derived from the payment state.
    var quoteExpiries = Heap<QuoteExpiry>()
    /// The number of entries applied: the index the next entry must have.
    public internal(set) var size: UInt64 = 0
    /// The time of the last entry applied.
    public internal(set) var time = Timestamp(milliseconds: 0)

    /// The state after the genesis entry, or the rejection of the genesis operation
    /// that failed (a genesis must commit whole).
    public static func genesis(_ genesis: Genesis, time: Timestamp) -> (LedgerState, Outcome) {
        var state = LedgerState(origin: genesis.origin, ledgerKey: genesis.ledgerKey, issuerKeys: genesis.issuer)
        let outcome = state.applyOperations(
            genesis.operations, transaction: TransactionID(high: 0, low: 0), signers: nil,
            index: LeafIndex(0), time: time)
        state.size = 1
        state.time = time
        state.recordCurrencySupply()
        return (state, outcome)
    }

    init(origin: String, ledgerKey: PublicKey, issuerKeys: KeySet) {
        self.origin = origin
        self.ledgerKey = ledgerKey
        self.issuerKeys = issuerKeys
    }

    /// The balance of `account` in `asset` (all counters zero if never held).
    public func balance(of account: AccountID, in asset: AssetCode) -> Balance {
        balances[BalanceKey(account: account, asset: asset)] ?? Balance()
    }

    /// The record of a sequenced transaction id, if any.
    public func record(of id: TransactionID) -> TransactionRecord? { transactions[id] }

    /// The accounts whose balances or settings an operation list touches, ascending
    /// and without repeats. Used to index history; pending ids are resolved to
    /// their accounts.
    public func accountsTouched(by operations: [LedgerOperation]) -> [AccountID] {
        var touched = Set<AccountID>()
        for operation in operations {
            switch operation {
            case .createAccount(let op): touched.insert(op.account)
            case .registerAsset(let op): touched.formUnion([op.issuer, op.issuanceAccount])
            case .transfer(let op): touched.formUnion([op.debit, op.credit])
            case .pendingTransfer(let op): touched.formUnion([op.transfer.debit, op.transfer.credit])
            case .postPending(let op):
                if let record = pendings[op.pending] { touched.formUnion([record.transfer.debit, record.transfer.credit]) }
            case .voidPending(let op):
                if let record = pendings[op.pending] { touched.formUnion([record.transfer.debit, record.transfer.credit]) }
                // A void of a linked leg voids the others: their parties see it too.
                for member in securities.links[op.pending] ?? [] {
                    if let record = pendings[member] { touched.formUnion([record.transfer.debit, record.transfer.credit]) }
                }
            case .changeControllers(let op): touched.insert(op.account)
            case .closeAccount(let op): touched.insert(op.account)
            case .attestReserve(let op): touched.insert(op.custodian)
            case .attestPrice(let op): touched.insert(op.oracle)
            case .setMonetaryPolicy, .commitLiabilities: break
            case .registerInstrument(let op): touched.formUnion([op.issuer, op.issuanceAccount])
            case .setInstrumentRules(let op):
                if let issuer = securities.instruments[op.asset]?.issuer { touched.insert(issuer) }
            case .attestIdentity(let op): touched.formUnion([op.provider, op.account])
            case .lockHolding(let op): touched.insert(op.account)
            case .forcedTransfer(let op): touched.formUnion([op.transfer.debit, op.transfer.credit])
            case .declareAction(let op):
                if let escrow = op.escrowAccount { touched.insert(escrow) }
                if let issuer = securities.instruments[op.asset]?.issuer { touched.insert(issuer) }
            case .settleAction(let op):
                touched.formUnion(op.accounts)
                // Withholding on dividends and coupons goes to the treasuries of the holders' zones.
                if !zones.isEmpty, securities.actions[op.action]?.declaration.terms.isIncome == true {
                    for account in op.accounts {
                        if let holder = accounts[account], let law = lawInForce(of: holder)?.version.law, law.withholdingBasisPoints > 0,
                            let treasury = law.treasury
                        {
                            touched.insert(treasury)
                        }
                    }
                }
                if let action = securities.actions[op.action], let instrument = securities.instruments[action.asset] {
                    touched.formUnion([instrument.issuer, instrument.terms.issuanceAccount] + (action.declaration.escrowAccount.map { [$0] } ?? []))
                }
            case .commitRegister: break
            case .castVote(let op): touched.insert(op.account)
            case .linkPending(let op):
                for id in op.pendings {
                    if let record = pendings[id] { touched.formUnion([record.transfer.debit, record.transfer.credit]) }
                }
            case .registerZone, .proposeLaw, .voteLaw, .cancelProposal: break
            case .moveZone(let op): touched.insert(op.account)
            case .payLevy(let op):
                // The payer is the payment's; the treasury its zone's (for an exit
                // levy whose zone's treasury cannot take it, the one declared on entry:
                // every earlier treasury of the zone's law, a few at most).
                if Int(op.operation) < operations.count, let payer = payer(of: operations[Int(op.operation)]) { touched.insert(payer) }
                if let zone = zones.zones[op.zone] {
                    if isTreasury(zone.law.law.treasury) {
                        touched.insert(zone.law.law.treasury!)
                    } else {
                        touched.formUnion(zone.laws.compactMap(\.law.treasury))
                    }
                }
            case .registerProvider(let op): touched.insert(op.account)
            case .bindAddress(let op): touched.insert(op.account)
            case .unbindAddress(let op):
                if let binding = payments.addresses[op.address] { touched.insert(binding.account) }
            case .requestPayment(let op): touched.formUnion([op.payee, op.payer])
            case .answerRequest(let op):
                if let request = payments.requests[op.request] { touched.formUnion([request.payer, request.payee]) }
            case .createMandate(let op): touched.formUnion([op.payer, op.payee])
            case .revokeMandate(let op):
                if let terms = payments.mandates[op.mandate]?.terms { touched.formUnion([terms.payer, terms.payee]) }
            case .collectMandate(let op):
                if let terms = payments.mandates[op.mandate]?.terms { touched.formUnion([terms.payer, terms.payee]) }
            case .remit(let op):
                touched.formUnion([op.sender, op.recipient])
                if let provider = payments.providers[op.quote.provider] { touched.insert(provider.account) }
                if let treasury = entryTreasury(of: op.recipient) { touched.insert(treasury) }
            case .completeRemittance(let op):
                if let remittance = payments.remittances[op.remittance] {
                    touched.formUnion([remittance.sender, remittance.recipient, remittance.providerAccount])
                    if let hold = remittance.levyHold, let record = pendings[hold] { touched.insert(record.transfer.credit) }
                    if let treasury = entryTreasury(of: remittance.recipient) { touched.insert(treasury) }
                }
            case .refundRemittance(let op):
                if let remittance = payments.remittances[op.remittance] {
                    touched.formUnion([remittance.sender, remittance.providerAccount])
                    if let hold = remittance.levyHold, let record = pendings[hold] { touched.insert(record.transfer.credit) }
                }
            }
        }
        return touched.sorted()
    }

    /// Who pays a levy a payment or a move owes.
    private func payer(of operation: LedgerOperation) -> AccountID? {
        switch operation {
        case .transfer(let op): op.debit
        case .postPending(let op): pendings[op.pending]?.transfer.debit
        case .moveZone(let op): op.account
        case .remit(let op): op.sender
        case .answerRequest(let op): payments.requests[op.request]?.payer
        case .collectMandate(let op): payments.mandates[op.mandate]?.terms.payer
        case .refundRemittance(let op): payments.remittances[op.remittance]?.providerAccount
        default: nil
        }
    }

    /// The treasury of an account's zone, which a remittance's levy on entering pays.
    private func entryTreasury(of id: AccountID) -> AccountID? {
        guard !zones.isEmpty, let account = accounts[id], let law = lawInForce(of: account)?.version.law, isTreasury(law.treasury) else {
            return nil
        }
        return law.treasury
    }

    /// The supply of an asset: what its issuance account has issued net of what
    /// came back. Zero for an unknown asset.
    public func supply(of code: AssetCode) -> UInt64 {
        guard let asset = assets[code] else { return 0 }
        let net = balance(of: asset.issuanceAccount, in: code).posted
        return net < 0 ? UInt64(-net) : 0
    }

    /// Checks the conservation invariants: for each asset the balances sum to
    /// exactly zero, and no account that may not go negative is negative (nor
    /// has pending debits beyond its balance). Returns the violations found.
    /// Costs O(balances).
    public func invariantViolations() -> [String] {
        var sums: [AssetCode: Int128] = [:]
        var pendingDebits: [AssetCode: Int128] = [:]
        var pendingCredits: [AssetCode: Int128] = [:]
        var violations: [String] = []
        for (key, balance) in balances {
            sums[key.asset, default: 0] += balance.posted
            pendingDebits[key.asset, default: 0] += Int128(balance.debitsPending)
            pendingCredits[key.asset, default: 0] += Int128(balance.creditsPending)
            let account = accounts[key.account]
            if account?.mayGoNegative != true && balance.available < 0 {
                violations.append("account \(key.account) is negative in \(key.asset): \(balance.available)")
            }
        }
        for (asset, sum) in sums.sorted(by: { $0.key < $1.key }) where sum != 0 {
            violations.append("balances of \(asset) sum to \(sum), not 0")
        }
        for (asset, debits) in pendingDebits where debits != pendingCredits[asset] {
            violations.append("pending debits of \(asset) (\(debits)) differ from pending credits (\(pendingCredits[asset] ?? 0))")
        }
        return violations
    }
}
