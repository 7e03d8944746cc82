import KhataBytes

/// Where a zone's accounts stand under a law: how many, and how much, each
/// rule would bind today. For a proposal, the node shows it under the law in
/// force and under the proposed one (docs/LAWS.md, "Simulated effect"); once
/// the proposal takes effect on the same state, the standing under the law in
/// force equals what was predicted.
public struct LawEffect: Hashable, Sendable, Codable {
    /// Ordinary accounts whose home is the zone.
    public var accounts: Int = 0
    /// Accounts by tier under the law (index = tier).
    public var tiers: [Int] = []
    /// Accounts holding (posted plus pending credits) above their tier's balance
    /// cap, and by how much in all: their next credit is refused.
    public var overBalanceCap = Excess()
    /// Accounts whose payments out today already exceed their tier's daily cap
    /// (their next payment is refused), and by how much.
    public var overDailyCap = Excess()
    /// The same for this month.
    public var overMonthlyCap = Excess()
    /// Per asset the law does not allow: accounts holding it and how much.
    /// They keep it; they may not receive more.
    public var disallowedHoldings: [AssetHolding] = []
    /// Pending transfers from or to the zone's accounts whose post (of the whole
    /// amount) the law would refuse: an asset it does not allow, a corridor's
    /// limit, or a receiver over its balance cap. At most `maxListed` listed, all counted.
    public var failingPendings = Listing()
    /// Accounts below the tier the law requires to move in: they could not enter now.
    public var belowEntryTier: Int = 0

    public static let maxListed = 100

    public init() {}

    public struct Excess: Hashable, Sendable, Codable {
        public var accounts: Int = 0
        /// The total above the caps, in minor units of the law's currency.
        public var amount: Amount = .zero
    }

    public struct AssetHolding: Hashable, Sendable, Codable {
        public var asset: AssetCode
        public var accounts: Int
        public var amount: Amount
        public init(asset: AssetCode, accounts: Int, amount: Amount) {
            self.asset = asset
            self.accounts = accounts
            self.amount = amount
        }
    }

    public struct Listing: Hashable, Sendable, Codable {
        public var count: Int = 0
        public var pendings: [PendingID] = []
    }

    private enum CodingKeys: String, CodingKey {
        case accounts, tiers
        case overBalanceCap = "over_balance_cap"
        case overDailyCap = "over_daily_cap"
        case overMonthlyCap = "over_monthly_cap"
        case disallowedHoldings = "disallowed_holdings"
        case failingPendings = "failing_pendings"
        case belowEntryTier = "below_entry_tier"
    }
}

extension LedgerState {
    /// Evaluates `law` as the law of `zone` on the state as it is now, at the
    /// time of the last entry. Costs one pass over the accounts (and their
    /// balances in the law's currency and in assets it does not allow), and
    /// one over the pending transfers (every one ever made, resolved ones skipped).
    public func effect(of law: Law, in zone: ZoneID) -> LawEffect {
        var effect = LawEffect()
        var disallowed: [AssetCode: (accounts: Int, amount: UInt128)] = [:]
        var balanceExcess: UInt128 = 0
        var dailyExcess: UInt128 = 0
        var monthlyExcess: UInt128 = 0
        let calendar = zoneCalendar(time, offsetMinutes: law.utcOffsetMinutes)
        let tierCount = max(1, Int(law.providers.map(\.maxTier).max() ?? 0) + 1)
        effect.tiers = Array(repeating: 0, count: tierCount)
        for (id, account) in accounts where account.isBoundByLaw && !account.isClosed && account.zone == zone {
            effect.accounts += 1
            let tier = self.tier(of: id, under: law, at: time)
            effect.tiers[min(Int(tier), tierCount - 1)] += 1
            if tier < law.entryMinimumTier { effect.belowEntryTier += 1 }
            let limits = law.limits(ofTier: tier)
            if let currency = law.currency, let cap = limits?.balance {
                let held = balance(of: id, in: currency)
                let total = held.posted + Int128(held.creditsPending)
                if total > Int128(cap.units) {
                    effect.overBalanceCap.accounts += 1
                    balanceExcess += UInt128(total - Int128(cap.units))
                }
            }
            if law.currency != nil, let outflow = zones.outflows[id] {
                let totals = outflow.totals(day: calendar.day, month: calendar.month)
                if let cap = limits?.daily, totals.day > cap.units {
                    effect.overDailyCap.accounts += 1
                    dailyExcess += UInt128(totals.day - cap.units)
                }
                if let cap = limits?.monthly, totals.month > cap.units {
                    effect.overMonthlyCap.accounts += 1
                    monthlyExcess += UInt128(totals.month - cap.units)
                }
            }
            if !law.allowedAssets.isEmpty {
                for asset in account.assets where !law.allows(asset) {
                    let posted = balance(of: id, in: asset).posted
                    guard posted > 0 else { continue }
                    disallowed[asset, default: (0, 0)].accounts += 1
                    disallowed[asset, default: (0, 0)].amount += UInt128(posted)
                }
            }
        }
        effect.overBalanceCap.amount = Amount(UInt64(clamping: balanceExcess))
        effect.overDailyCap.amount = Amount(UInt64(clamping: dailyExcess))
        effect.overMonthlyCap.amount = Amount(UInt64(clamping: monthlyExcess))
        effect.disallowedHoldings = disallowed.keys.sorted().map {
            LawEffect.AssetHolding(asset: $0, accounts: disallowed[$0]!.accounts, amount: Amount(UInt64(clamping: disallowed[$0]!.amount)))
        }
        // Posts it would refuse (of the whole amount): rules 1, 3 and 6 of a post.
        var failing: [PendingID] = []
        for (id, record) in pendings where record.state == .pending {
            let transfer = record.transfer
            guard let payer = accounts[transfer.debit], let payee = accounts[transfer.credit] else { continue }
            let payerHere = payer.isBoundByLaw && payer.zone == zone
            let payeeHere = payee.isBoundByLaw && payee.zone == zone
            guard payerHere || payeeHere else { continue }
            let crossing = payer.isBoundByLaw && payee.isBoundByLaw && payer.zone != payee.zone
            var refused = payeeHere && !law.allows(transfer.asset)
            if !refused, law.currency == transfer.asset {
                if crossing, let cap = law.corridor(payerHere ? .outbound : .inbound, payerHere ? payee.zone : payer.zone)?.maxPerPayment {
                    refused = transfer.amount.units > cap.units
                }
                if !refused, payeeHere, let cap = law.limits(ofTier: tier(of: transfer.credit, under: law, at: time))?.balance {
                    let held = balance(of: transfer.credit, in: transfer.asset)
                    refused = held.posted + Int128(held.creditsPending) > Int128(cap.units)
                }
            }
            if refused { failing.append(id) }
        }
        effect.failingPendings.count = failing.count
        effect.failingPendings.pendings = Array(failing.sorted().prefix(LawEffect.maxListed))
        return effect
    }
}
