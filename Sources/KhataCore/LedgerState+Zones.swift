import KhataBytes
import KhataEd25519

// Zones and their laws in the state machine (docs/LAWS.md): the operations,
// the rules every payment obeys at commit, the passing of proposals through
// vote and time lock, and the exit.

/// What kind of value movement a law check is for.
enum PaymentKind {
    /// A transfer: every rule, and levies.
    case transfer
    /// A pending transfer when it is made: every rule but levies (the payer's
    /// caps count the hold now; levies are due when it posts).
    case hold
    /// A post of a pending transfer: the receiver's assets, the corridor's
    /// limits and the receiver's balance cap under the homes as they are now,
    /// and levies.
    case post
    /// An agent's forced transfer: only the receiver's rules.
    case forced
    /// A remittance leaving its sender's zone: the payer's rules, the corridor
    /// leaving, and the levy on leaving.
    case sending
    /// A remittance entering its recipient's zone: the receiver's rules and the
    /// corridor entering (its levy is taken from what is delivered).
    case receiving
}

/// A levy a payment (or a move) owes, and whether a `pay_levy` paid it.
struct OwedLevy {
    let operation: UInt16
    let zone: ZoneID
    let payer: AccountID
    let treasury: AccountID
    let asset: AssetCode
    let amount: UInt64
    let law: Digest32
    var paid = false
    /// The remittance that owes it, and the end of its wait if it waits (then the levy is held with it).
    var remittance: (id: OperationRef, holdUntil: Timestamp?)?
}

/// A levy due on a payment, for a payer to include in its transaction.
public struct LevyDue: Hashable, Sendable {
    public let zone: ZoneID
    public let treasury: AccountID
    /// The payment's asset (the levying law's currency).
    public let asset: AssetCode
    public let amount: Amount
    /// The hash of the law that levies it.
    public let law: Digest32

    public init(zone: ZoneID, treasury: AccountID, asset: AssetCode, amount: Amount, law: Digest32) {
        self.zone = zone
        self.treasury = treasury
        self.asset = asset
        self.amount = amount
        self.law = law
    }
}

extension Account {
    /// Whether laws bind the account: an ordinary account with controllers. An
    /// issuance or escrow account belongs to no zone.
    var isBoundByLaw: Bool { controllers != nil }
}

extension LedgerState {
    // MARK: - Reading laws

    /// The law in force that binds an account, if any.
    func lawInForce(of account: Account) -> LawInForce? {
        guard account.isBoundByLaw else { return nil }
        return zones.lawInForce(account.zone)
    }

    /// An account's tier under `law`: the highest tier an unexpired attestation
    /// by one of the law's providers gives it, each capped at what the law lets
    /// that provider attest; 0 without one.
    public func tier(of account: AccountID, under law: Law, at time: Timestamp) -> UInt8 {
        var best: UInt8 = 0
        guard !securities.identities.isEmpty else { return best }
        for grant in law.providers {
            if let record = securities.identities[IdentityKey(account: account, provider: grant.account)], record.expiresAt > time {
                best = max(best, min(record.tier, grant.maxTier))
            }
        }
        return best
    }

    /// Whether `id` can take a levy or withholding: an open ordinary account.
    func isTreasury(_ id: AccountID?) -> Bool {
        guard let id, let account = accounts[id] else { return false }
        return account.isBoundByLaw && !account.isClosed
    }

    /// The levies a payment of `amount` of `asset` from `debit` to `credit`
    /// owes now (or, with `time`, in an entry stamped then: a law whose time
    /// lock has ended binds it), in the order the transaction must pay them
    /// (the payer's zone first). Empty when it crosses no border or the laws levy nothing.
    public func leviesDue(asset: AssetCode, debit: AccountID, credit: AccountID, amount: Amount, at time: Timestamp? = nil) -> [LevyDue] {
        guard !zones.isEmpty, let payer = accounts[debit], let payee = accounts[credit] else { return [] }
        if let time, time > self.time, !zones.active.isEmpty {
            return advanced(to: time).leviesDue(asset: asset, debit: debit, credit: credit, amount: amount)
        }
        return levies(asset: asset, payer: payer, payee: payee, amount: amount.units)
    }

    /// This state with the laws that would be in force at `time`: proposals
    /// tallied and enacted as the next entry, stamped `time`, would find them.
    func advanced(to time: Timestamp) -> LedgerState {
        var copy = self
        copy.advanceProposals(to: time, at: LeafIndex(size))
        return copy
    }

    private func levies(asset: AssetCode, payer: Account, payee: Account, amount: UInt64) -> [LevyDue] {
        guard payer.isBoundByLaw, payee.isBoundByLaw, payer.zone != payee.zone else { return [] }
        var due: [LevyDue] = []
        for (zone, direction, other) in [
            (zones.zones[payer.zone], Corridor.Direction.outbound, payee.zone), (zones.zones[payee.zone], .inbound, payer.zone),
        ] {
            guard let zone else { continue }
            let version = zone.law
            let levy = version.law.levy(on: amount, of: asset, direction, other)
            guard levy > 0, isTreasury(version.law.treasury), version.law.treasury != payer.id else { continue }
            due.append(LevyDue(zone: zone.id, treasury: version.law.treasury!, asset: asset, amount: Amount(levy), law: version.hash))
        }
        return due
    }

    // MARK: - The rules every payment obeys

    /// Checks a payment against the laws of the zones it touches, in the order
    /// of docs/LAWS.md, "Order of checks"; counts it in the payer's windows and
    /// records the levies it owes. Nil when the laws allow it.
    mutating func checkLaws(_ op: Transfer, _ kind: PaymentKind, _ context: inout ApplyContext) -> RejectionCode? {
        let payer = accounts[op.debit]!
        let payee = accounts[op.credit]!
        let payerLaw = lawInForce(of: payer)
        let payeeLaw = lawInForce(of: payee)
        guard payerLaw != nil || payeeLaw != nil else { return nil }
        let amount = op.amount.units
        let crossing = payer.isBoundByLaw && payee.isBoundByLaw && payer.zone != payee.zone
        // The payer's own payment (not a post of a hold already counted, nor an agent's order).
        let paying = kind == .transfer || kind == .hold || kind == .sending
        // The receiver's side (a remittance's leaving leg is not in what the receiver gets).
        let receiving = kind != .sending
        // 1. The receiver may hold the asset.
        if receiving, let box = payeeLaw, !box.version.law.allows(op.asset) { return context.refuse(.lawAssetNotAllowed, box.version.hash) }
        var payerLimits: TierLimits?
        if paying, let box = payerLaw, box.version.law.currency == op.asset {
            payerLimits = limits(of: op.debit, under: box.version.law, at: context.time)
            // 2. The payer's per-payment cap.
            if let cap = payerLimits?.perPayment, amount > cap.units { return context.refuse(.lawPaymentCap, box.version.hash) }
        }
        // 3. The corridor's limits, leaving then entering (a post checks them
        // again: either party may have moved since the hold).
        if crossing && kind != .forced {
            if kind != .receiving, let box = payerLaw, box.version.law.currency == op.asset,
                let cap = box.version.law.corridor(.outbound, payee.zone)?.maxPerPayment, amount > cap.units
            {
                return context.refuse(.lawCorridorCap, box.version.hash)
            }
            if receiving, let box = payeeLaw, box.version.law.currency == op.asset,
                let cap = box.version.law.corridor(.inbound, payer.zone)?.maxPerPayment, amount > cap.units
            {
                return context.refuse(.lawCorridorCap, box.version.hash)
            }
        }
        // 4, 5. The payer's day and month.
        var window: (day: Int64, month: Int64, totals: (day: UInt64, month: UInt64), old: Outflow?)?
        if paying, let box = payerLaw, box.version.law.currency == op.asset {
            let calendar = zoneCalendar(context.time, offsetMinutes: box.version.law.utcOffsetMinutes)
            let old = zones.outflows[op.debit]
            let totals: (day: UInt64, month: UInt64) = old?.totals(day: calendar.day, month: calendar.month) ?? (0, 0)
            if let cap = payerLimits?.daily, totals.day > cap.units || amount > cap.units - totals.day {
                return context.refuse(.lawDailyCap, box.version.hash)
            }
            if let cap = payerLimits?.monthly, totals.month > cap.units || amount > cap.units - totals.month {
                return context.refuse(.lawMonthlyCap, box.version.hash)
            }
            window = (calendar.day, calendar.month, totals, old)
        }
        // 6. The receiver's balance cap, counting what is pending to it (a
        // post's amount is already pending to it).
        if receiving, let box = payeeLaw, box.version.law.currency == op.asset,
            let cap = limits(of: op.credit, under: box.version.law, at: context.time)?.balance
        {
            let held = balance(of: op.credit, in: op.asset)
            if held.posted + Int128(held.creditsPending) + Int128(kind == .post ? 0 : amount) > Int128(cap.units) {
                return context.refuse(.lawBalanceCap, box.version.hash)
            }
        }
        if let window {
            context.undo.append(.outflow(op.debit, window.old))
            zones.outflows[op.debit] = Outflow(
                day: window.day, dayTotal: window.totals.day &+ amount, month: window.month, monthTotal: window.totals.month &+ amount)
        }
        // 7. Levies, when value moves (a remittance's levy on entering is taken when it is delivered).
        switch kind {
        case .transfer, .post: oweLevies(op, payer, payee, &context)
        case .sending: oweLevies(op, payer, payee, leaving: true, &context)
        case .hold, .forced, .receiving: break
        }
        return nil
    }

    /// The limits binding `account` under `law`; its tier is looked up only
    /// when the law sets more than one tier.
    private func limits(of account: AccountID, under law: Law, at time: Timestamp) -> TierLimits? {
        switch law.tiers.count {
        case 0: nil
        case 1: law.tiers[0]
        default: law.limits(ofTier: tier(of: account, under: law, at: time))
        }
    }

    /// 7. Records the levies a payment owes, for `pay_levy` operations of the same transaction to pay.
    /// `leaving`: only the payer's zone's levy.
    private func oweLevies(_ op: Transfer, _ payer: Account, _ payee: Account, leaving: Bool = false, _ context: inout ApplyContext) {
        for levy in levies(asset: op.asset, payer: payer, payee: payee, amount: op.amount.units) where !leaving || levy.zone == payer.zone {
            context.owedLevies.append(
                OwedLevy(
                    operation: context.operation, zone: levy.zone, payer: op.debit, treasury: levy.treasury, asset: op.asset,
                    amount: levy.amount.units, law: levy.law))
        }
    }

    /// Withholding on a cash dividend or coupon of `cash` paid to `account`:
    /// the amount and where it goes, or nil.
    func withholding(on cash: UInt64, to account: AccountID) -> (amount: UInt64, treasury: AccountID)? {
        guard !zones.isEmpty, let holder = accounts[account], let law = lawInForce(of: holder)?.version.law else { return nil }
        // Rounded down: the holder never loses more than the stated rate.
        let withheld = UInt64(UInt128(cash) * UInt128(law.withholdingBasisPoints) / 10_000)
        guard withheld > 0, isTreasury(law.treasury), law.treasury != account else { return nil }
        return (withheld, law.treasury!)
    }

    // MARK: - Operations

    /// Whether a law fits this ledger: its currency and allowed assets are
    /// registered, its providers and treasury are open accounts.
    func fits(_ law: Law, zone: ZoneID) -> Bool {
        // The mainland takes every account: a law cannot close the last way out.
        guard zone != 0 || law.entryMinimumTier == 0 else { return false }
        if let currency = law.currency, assets[currency] == nil { return false }
        guard law.allowedAssets.allSatisfy({ assets[$0] != nil }) else { return false }
        guard law.providers.allSatisfy({ accounts[$0.account].map { !$0.isClosed } ?? false }) else { return false }
        return law.treasury == nil || isTreasury(law.treasury)
    }

    mutating func registerZone(_ op: RegisterZone, _ context: inout ApplyContext) -> RejectionCode? {
        guard context.isAuthorized(by: issuerKeys) else { return .insufficientSignatures }
        guard zones.zones[op.zone] == nil else { return .zoneInvalid }
        guard fits(op.law, zone: op.zone) else { return .lawInvalid }
        context.undo.append(.zones(zones))
        zones.setZone(
            Zone(
                id: op.zone, name: op.name, governors: op.governors, guardian: op.guardian, governance: op.governance,
                registeredAt: context.index,
                laws: [LawVersion(version: 1, law: op.law, hash: op.law.hash, inForceFrom: context.index, proposal: 0)]))
        return nil
    }

    mutating func proposeLaw(_ op: ProposeLaw, _ context: inout ApplyContext) -> RejectionCode? {
        guard let zone = zones.zones[op.zone] else { return .zoneInvalid }
        guard zone.governors.contains(op.proposer) else { return .proposalInvalid }
        guard context.isAuthorized(by: KeySet(single: op.proposer)) else { return .insufficientSignatures }
        guard zones.activeProposals(of: op.zone).count < Limits.maxOpenProposals else { return .limitExceeded }
        guard fits(op.law, zone: op.zone) else { return .lawInvalid }
        context.undo.append(.zones(zones))
        let id = zones.nextProposal
        zones.nextProposal += 1
        zones.proposals[id] = LawProposal(
            id: id, zone: op.zone, proposer: op.proposer, law: op.law, hash: op.law.hash, baseVersion: zone.law.version,
            proposedAt: context.index, votingEndsAt: context.time.adding(seconds: zone.governance.votingSeconds), votes: [:],
            status: .voting)
        zones.active.append(id)
        return nil
    }

    mutating func voteLaw(_ op: VoteLaw, _ context: inout ApplyContext) -> RejectionCode? {
        guard let proposal = zones.proposals[op.proposal], let zone = zones.zones[proposal.zone] else { return .proposalInvalid }
        guard zone.governors.contains(op.governor) else { return .proposalInvalid }
        guard context.isAuthorized(by: KeySet(single: op.governor)) else { return .insufficientSignatures }
        guard proposal.status == .voting, context.time < proposal.votingEndsAt else { return .proposalClosed }
        context.undo.append(.proposal(op.proposal, proposal))
        zones.proposals[op.proposal]!.votes[op.governor] = op.choice
        return nil
    }

    mutating func cancelProposal(_ op: CancelProposal, _ context: inout ApplyContext) -> RejectionCode? {
        guard let proposal = zones.proposals[op.proposal], let zone = zones.zones[proposal.zone] else { return .proposalInvalid }
        guard context.isAuthorized(by: KeySet(single: zone.guardian)) else { return .insufficientSignatures }
        guard proposal.status.isActive else { return .proposalClosed }
        context.undo.append(.zones(zones))
        zones.proposals[op.proposal]!.status = .cancelled
        zones.proposals[op.proposal]!.decidedAt = context.index
        zones.active.removeAll { $0 == op.proposal }
        return nil
    }

    /// The exit. Consults nothing of the zone being left but the exit levy its
    /// law declared when the account entered (never raised since); no other
    /// rule of any law applies (docs/LAWS.md, "Exit").
    mutating func moveZone(_ op: MoveZone, _ context: inout ApplyContext) -> RejectionCode? {
        guard var account = accounts[op.account] else { return .accountNotFound }
        guard account.isBoundByLaw else { return .issuanceAccountRestricted }
        guard !account.isClosed else { return .accountClosed }
        guard context.isAuthorized(by: account.controllers) else { return .insufficientSignatures }
        guard op.zone != account.zone, op.zone == 0 || zones.zones[op.zone] != nil else { return .zoneInvalid }
        if let destination = zones.zones[op.zone] {
            let law = destination.law
            guard tier(of: op.account, under: law.law, at: context.time) >= law.law.entryMinimumTier else {
                return context.refuse(.zoneEntryRefused, law.hash)
            }
        }
        if let origin = zones.zones[account.zone], let levy = exitLevy(of: account, leaving: origin) {
            context.owedLevies.append(
                OwedLevy(
                    operation: context.operation, zone: origin.id, payer: op.account, treasury: levy.treasury, asset: levy.asset,
                    amount: levy.amount, law: levy.law))
        }
        context.undo.append(.account(op.account, account))
        context.undo.append(.entered(op.account, zones.enteredAt[op.account]))
        account.zone = op.zone
        accounts[op.account] = account
        zones.enteredAt[op.account] = context.index
        return nil
    }

    /// The exit levy `account` would owe if it moved now, as a levy due.
    public func exitLevyDue(of account: AccountID, at time: Timestamp? = nil) -> LevyDue? {
        if let time, time > self.time, !zones.active.isEmpty { return advanced(to: time).exitLevyDue(of: account) }
        guard let holder = accounts[account], let origin = zones.zones[holder.zone], let levy = exitLevy(of: holder, leaving: origin) else {
            return nil
        }
        return LevyDue(zone: origin.id, treasury: levy.treasury, asset: levy.asset, amount: Amount(levy.amount), law: levy.law)
    }

    /// The exit levy an account owes on leaving `origin`: the rate the law in
    /// force when it entered declared, lowered (never raised) by the law in
    /// force now, on its posted balance of that law's currency.
    public func exitLevy(of account: Account, leaving origin: Zone) -> (amount: UInt64, asset: AssetCode, treasury: AccountID, law: Digest32)? {
        let entered = zones.enteredAt[account.id] ?? account.createdAt
        // An account that was in the zone before it had a law declared nothing to it.
        guard entered >= origin.registeredAt else { return nil }
        let declared = origin.law(at: entered)
        guard declared.law.exitLevyBasisPoints > 0, let currency = declared.law.currency else { return nil }
        let current = origin.law
        var rate = declared.law.exitLevyBasisPoints
        if current.law.currency == currency { rate = min(rate, current.law.exitLevyBasisPoints) }
        // On the posted balance: a hold made just before leaving does not lower it.
        let posted = balance(of: account.id, in: currency).posted
        guard posted > 0 else { return nil }
        let levy = UInt64(UInt128(UInt64(posted)) * UInt128(rate) / 10_000)
        let treasury = isTreasury(current.law.treasury) ? current.law.treasury : declared.law.treasury
        guard levy > 0, isTreasury(treasury), treasury != account.id else { return nil }
        return (levy, currency, treasury!, declared.hash)
    }

    mutating func payLevy(_ op: PayLevy, _ context: inout ApplyContext) -> RejectionCode? {
        guard let position = context.owedLevies.firstIndex(where: { $0.operation == op.operation && $0.zone == op.zone && !$0.paid }) else {
            return .levyMismatch
        }
        let owed = context.owedLevies[position]
        guard owed.amount == op.amount.units else { return context.refuse(.levyMismatch, owed.law) }
        guard balance(of: owed.payer, in: owed.asset).available >= Int128(owed.amount) else { return .exceedsAvailableBalance }
        context.owedLevies[position].paid = true
        let levy = Transfer(asset: owed.asset, debit: owed.payer, credit: owed.treasury, amount: op.amount)
        guard let (remittance, holdUntil) = owed.remittance else { return movePosted(levy, &context, limited: false) }
        // A remittance's levy on leaving is recorded on it; a waiting one's is held with it.
        var record = payments.remittances[remittance]!
        // Held only while the remittance waits: one completed or refunded earlier in the transaction pays it outright.
        guard holdUntil == nil || record.status == .pending else { return .remittanceInvalid }
        context.undo.append(.remittance(remittance, record))
        record.outboundLevy = owed.amount
        if let holdUntil {
            let id = PendingID(transaction: context.transaction, operation: context.operation)
            if let code = hold(levy, id: id, until: holdUntil, &context) { return code }
            context.undo.append(.remittanceHold(id, nil))
            payments.holds[id] = remittance
            record.levyHold = id
        } else if let code = movePosted(levy, &context, limited: false) {
            return code
        }
        payments.remittances[remittance] = record
        return nil
    }

    // MARK: - Proposals through time

    /// Tallies the proposals whose voting ended at or before `time`, and puts
    /// into force the passed ones whose time lock ended: at entry `index`, the
    /// first stamped at or after that moment.
    mutating func advanceProposals(to time: Timestamp, at index: LeafIndex) {
        var enacting: [LawProposal] = []
        for id in zones.active {
            var proposal = zones.proposals[id]!
            let zone = zones.zones[proposal.zone]!
            if proposal.status == .voting, proposal.votingEndsAt <= time {
                let governance = zone.governance
                let cast = proposal.votes.count
                if governance.vetoes > 0, proposal.count(.veto) >= Int(governance.vetoes) {
                    proposal.status = .vetoed
                } else if cast < Int(governance.quorum) {
                    proposal.status = .noQuorum
                } else if proposal.count(.yes) < Int(governance.threshold) {
                    proposal.status = .rejected
                } else {
                    proposal.status = .passed
                    proposal.enactsAt = proposal.votingEndsAt.adding(seconds: governance.timelockSeconds)
                }
                if proposal.status != .passed { proposal.decidedAt = index }
                zones.proposals[id] = proposal
            }
            if proposal.status == .passed, let at = proposal.enactsAt, at <= time { enacting.append(proposal) }
        }
        for proposal in enacting.sorted(by: { ($0.enactsAt!, $0.id) < ($1.enactsAt!, $1.id) }) {
            var zone = zones.zones[proposal.zone]!
            zone.laws.append(
                LawVersion(version: zone.law.version + 1, law: proposal.law, hash: proposal.hash, inForceFrom: index, proposal: proposal.id))
            zones.setZone(zone)
            zones.proposals[proposal.id]!.status = .enacted
            zones.proposals[proposal.id]!.decidedAt = index
        }
        zones.active.removeAll { !zones.proposals[$0]!.status.isActive }
    }
}

extension ApplyContext {
    /// Refuses by a rule of the law with hash `law`: the outcome names both.
    mutating func refuse(_ code: RejectionCode, _ law: Digest32) -> RejectionCode {
        rejectingLaw = law
        return code
    }
}
