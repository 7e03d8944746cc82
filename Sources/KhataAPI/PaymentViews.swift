import Foundation
import KhataBytes
import KhataCore
import KhataEd25519

// The JSON the node answers about payments (docs/PAYMENTS.md, docs/openapi.yaml).

/// `GET /v1/addresses/{address}`: who an address pays, as its provider verified.
public struct AddressView: Codable, Sendable, Equatable {
    public let address: PaymentAddress
    public let account: AccountID
    /// The holder's name as the provider verified it: show it before the payer confirms.
    public let displayName: String
    public let provider: String
    public let providerName: String
    public let boundAt: LeafIndex

    public init(_ binding: AddressBinding, provider: PaymentProvider?) {
        address = binding.address
        account = binding.account
        displayName = binding.displayName
        self.provider = binding.address.provider
        providerName = provider?.displayName ?? binding.address.provider
        boundAt = binding.boundAt
    }

    private enum CodingKeys: String, CodingKey {
        case address, account
        case displayName = "display_name"
        case provider
        case providerName = "provider_name"
        case boundAt = "bound_at"
    }
}

/// A registered provider.
public struct ProviderView: Codable, Sendable, Equatable {
    public let name: String
    public let displayName: String
    public let account: AccountID
    public let roles: ProviderRoles
    public let registeredAt: LeafIndex

    public init(_ provider: PaymentProvider) {
        name = provider.name
        displayName = provider.displayName
        account = provider.account
        roles = provider.roles
        registeredAt = provider.registeredAt
    }

    private enum CodingKeys: String, CodingKey {
        case name
        case displayName = "display_name"
        case account, roles
        case registeredAt = "registered_at"
    }
}

/// A live quote priced for one amount: everything the sender pays and the
/// recipient gets, shown before paying, and what it costs against the oracles' mid rate.
public struct QuoteOfferView: Codable, Sendable, Equatable {
    /// The signed quote, to put in a `remit` operation as it is.
    public let quote: Quote
    public let amount: Amount
    public let fee: Amount
    /// The levies the remittance owes leaving the sender's zone, as `pay_levy` legs (in `from`).
    public let levies: [LevyQuoteView.Levy]
    /// What the sender pays in all: amount, fee and levies on leaving.
    public let total: Amount
    /// What the quote's rate makes of the amount, in `to`.
    public let converted: Amount
    /// The levy the recipient's zone takes on entering, out of `converted`.
    public let entryLevy: Amount
    /// What the recipient gets.
    public let delivered: Amount
    /// Minor units of `to` per minor unit of `from` at the oracles' latest prices, as a decimal; absent without prices for both.
    public let midRate: String?
    /// Fee and exchange margin as a percentage of what is sent (the World Bank's
    /// total cost; levies are the zones' and not counted); absent without a mid rate.
    public let allInCostPercent: Double?
    /// Left of the quote's capacity.
    public let remaining: Amount

    private enum CodingKeys: String, CodingKey {
        case quote, amount, fee, levies, total, converted
        case entryLevy = "entry_levy"
        case delivered
        case midRate = "mid_rate"
        case allInCostPercent = "all_in_cost_percent"
        case remaining
    }

    /// `quote` priced for `amount` from `sender` to `recipient` in `state` (nil
    /// sender and recipient: no levies are known). Nil if the amount is outside
    /// the quote's range or what is left of it.
    public init?(_ quote: Quote, amount: Amount, sender: AccountID?, recipient: AccountID?, state: LedgerState, at time: Timestamp) {
        let used = state.payments.quotes[QuoteKey(provider: quote.provider, id: quote.id)]?.used ?? 0
        guard amount >= quote.minAmount, amount <= quote.maxAmount, used <= quote.capacity.units, amount.units <= quote.capacity.units - used,
            let converted = quote.converted(amount)
        else { return nil }
        self.quote = quote
        self.amount = amount
        fee = quote.fee
        self.converted = converted
        remaining = Amount(quote.capacity.units - used)
        var leaving: [LevyDue] = []
        var entering = Amount.zero
        if let sender, let recipient, let payer = state.accounts[sender], let payee = state.accounts[recipient] {
            let due = state.leviesDue(asset: quote.from, debit: sender, credit: recipient, amount: amount, at: time)
            leaving = due.filter { $0.zone == payer.zone }
            let entry = state.leviesDue(asset: quote.to, debit: sender, credit: recipient, amount: converted, at: time)
            entering = entry.first { $0.zone == payee.zone && payer.zone != payee.zone }?.amount ?? .zero
        }
        levies = leaving.map { LevyQuoteView.Levy(zone: $0.zone, treasury: $0.treasury, asset: $0.asset, amount: $0.amount, law: $0.law) }
        total = Amount(UInt64(clamping: leaving.reduce(UInt128(amount.units) + UInt128(quote.fee.units)) { $0 + UInt128($1.amount.units) }))
        entryLevy = entering
        delivered = Amount(converted.units >= entering.units ? converted.units - entering.units : 0)
        let mid = PriceBook(state: state).midRate(from: quote.from, to: quote.to)
        midRate = mid.map { String(format: "%.8f", $0) }
        allInCostPercent = mid.map { PriceBook.costPercent(sent: amount.units + quote.fee.units, received: converted.units, midRate: $0) }
    }
}

/// The latest oracle price of each asset, in minor units of the policy's
/// currency per minor unit of the asset (the currency itself is 1).
public struct PriceBook: Sendable {
    public var perMinorUnit: [AssetCode: Double] = [:]

    public init() {}

    public init(state: LedgerState) {
        var latest: [AssetCode: (Timestamp, Amount)] = [:]
        for (key, logged) in state.reserves.prices {
            let price = logged.value
            if latest[key.asset].map({ $0.0 < price.asOf }) ?? true { latest[key.asset] = (price.asOf, price.price) }
        }
        for (asset, (_, price)) in latest {
            if let scale = state.assets[asset]?.scale { perMinorUnit[asset] = Double(price.units) / pow(10, Double(scale)) }
        }
        if let currency = state.reserves.policy?.currency { perMinorUnit[currency] = 1 }
    }

    /// Minor units of `to` one minor unit of `from` is worth.
    public func midRate(from: AssetCode, to: AssetCode) -> Double? {
        guard let a = perMinorUnit[from], let b = perMinorUnit[to], b > 0 else { return nil }
        return a / b
    }

    /// The cost of sending `sent` (amount and fee) for `received`, in percent of what was sent.
    public static func costPercent(sent: UInt64, received: UInt64, midRate: Double) -> Double {
        guard sent > 0, midRate > 0 else { return 0 }
        let value = Double(received) / midRate
        return (Double(sent) - value) / Double(sent) * 100
    }
}

/// `GET /v1/quotes`: the live quotes for a corridor and amount, cheapest first.
public struct QuoteListView: Codable, Sendable, Equatable {
    public let from: AssetCode
    public let to: AssetCode
    public let amount: Amount
    public let quotes: [QuoteOfferView]

    public init(from: AssetCode, to: AssetCode, amount: Amount, quotes: [QuoteOfferView]) {
        self.from = from
        self.to = to
        self.amount = amount
        self.quotes = quotes
    }
}

/// A remittance and where it stands.
public struct RemittanceView: Codable, Sendable, Equatable {
    public let id: OperationRef
    public let status: String
    public let provider: String
    public let quote: UInt64
    public let sender: AccountID
    public let recipient: AccountID
    public let from: AssetCode
    public let to: AssetCode
    public let amount: Amount
    public let fee: Amount
    public let converted: Amount
    public let delivered: Amount
    public let outboundLevy: Amount
    public let inboundLevy: Amount
    public let submittedAt: Timestamp
    public let expiresAt: Timestamp?
    public let completedAt: Timestamp?
    public let refundedAt: Timestamp?
    public let refunded: Amount

    public init(_ remittance: Remittance) {
        id = remittance.id
        status = remittance.status.name
        provider = remittance.quote.provider
        quote = remittance.quote.id
        sender = remittance.sender
        recipient = remittance.recipient
        from = remittance.from
        to = remittance.to
        amount = remittance.amount
        fee = remittance.fee
        converted = remittance.converted
        delivered = Amount(remittance.status == .pending ? 0 : remittance.delivered)
        outboundLevy = Amount(remittance.outboundLevy)
        inboundLevy = Amount(remittance.inboundLevy)
        submittedAt = remittance.submittedAt
        expiresAt = remittance.expiresAt
        completedAt = remittance.completedAt
        refundedAt = remittance.refundedAt
        refunded = Amount(remittance.refunded)
    }

    private enum CodingKeys: String, CodingKey {
        case id, status, provider, quote, sender, recipient, from, to, amount, fee, converted, delivered
        case outboundLevy = "outbound_levy"
        case inboundLevy = "inbound_levy"
        case submittedAt = "submitted_at"
        case expiresAt = "expires_at"
        case completedAt = "completed_at"
        case refundedAt = "refunded_at"
        case refunded
    }
}

/// A payment request and its answer.
public struct RequestView: Codable, Sendable, Equatable {
    public let id: OperationRef
    public let status: String
    public let payee: AccountID
    public let payer: AccountID
    public let asset: AssetCode
    public let amount: Amount
    public let memo: String
    public let createdAt: Timestamp
    public let expiresAt: Timestamp
    public let answeredAt: Timestamp?

    public init(_ request: PaymentRequest, at time: Timestamp) {
        id = request.id
        status = request.status(at: time).name
        payee = request.payee
        payer = request.payer
        asset = request.asset
        amount = request.amount
        memo = request.memo
        createdAt = request.createdAt
        expiresAt = request.expiresAt
        answeredAt = request.answeredAt
    }

    private enum CodingKeys: String, CodingKey {
        case id, status, payee, payer, asset, amount, memo
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case answeredAt = "answered_at"
    }
}

/// A mandate, its terms and what was collected.
public struct MandateView: Codable, Sendable, Equatable {
    public let id: OperationRef
    /// `active`, `revoked`, `ended` or `not_started`.
    public let status: String
    public let terms: CreateMandate
    public let createdAt: Timestamp
    public let revokedAt: Timestamp?
    public let debits: UInt64
    public let collected: Amount
    /// Whether the current period already has its debit.
    public let debitedThisPeriod: Bool

    public init(_ mandate: Mandate, at time: Timestamp) {
        id = mandate.id
        status =
            mandate.revokedAt != nil ? "revoked" : time >= mandate.terms.end ? "ended" : time < mandate.terms.start ? "not_started" : "active"
        terms = mandate.terms
        createdAt = mandate.createdAt
        revokedAt = mandate.revokedAt
        debits = mandate.debits
        collected = Amount(mandate.collected)
        debitedThisPeriod = mandate.period(at: time).map { $0 == mandate.lastPeriod } ?? false
    }

    private enum CodingKeys: String, CodingKey {
        case id, status, terms
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case debits, collected
        case debitedThisPeriod = "debited_this_period"
    }
}
