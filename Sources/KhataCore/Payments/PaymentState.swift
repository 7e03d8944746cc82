import KhataBytes
import KhataEd25519

/// A registered payment or exchange provider.
public struct PaymentProvider: Hashable, Sendable {
    public let name: String
    public let displayName: String
    public let account: AccountID
    public let roles: ProviderRoles
    public let registeredAt: LeafIndex
}

/// An address and the account it pays now.
public struct AddressBinding: Hashable, Sendable {
    public let address: PaymentAddress
    public let account: AccountID
    /// The name the provider verified.
    public let displayName: String
    public let boundAt: LeafIndex
}

/// Where a payment request stands. An open request past its expiry is expired
/// (`PaymentRequest.status(at:)`): nothing is logged for it.
public enum RequestStatus: UInt8, Hashable, Sendable, CaseIterable {
    case open = 1
    case paid = 2
    case declined = 3
    case expired = 4

    public var name: String {
        switch self {
        case .open: "open"
        case .paid: "paid"
        case .declined: "declined"
        case .expired: "expired"
        }
    }
}

/// A payee's request and the payer's answer.
public struct PaymentRequest: Hashable, Sendable {
    public let id: OperationRef
    public let payee: AccountID
    public let payer: AccountID
    public let asset: AssetCode
    public let amount: Amount
    public let memo: String
    public let createdAt: Timestamp
    public let expiresAt: Timestamp
    /// `open`, `paid` or `declined`; see `status(at:)`.
    public internal(set) var answer: RequestStatus
    public internal(set) var answeredAt: Timestamp?

    /// Its status at `time`: an open request is expired from `expiresAt`.
    public func status(at time: Timestamp) -> RequestStatus {
        answer == .open && time >= expiresAt ? .expired : answer
    }
}

/// A mandate and what was collected under it.
public struct Mandate: Hashable, Sendable {
    public let id: OperationRef
    public let terms: CreateMandate
    public let createdAt: Timestamp
    public internal(set) var revokedAt: Timestamp?
    /// The period (counted from `terms.start`, the first is 0) of the last debit.
    public internal(set) var lastPeriod: UInt64?
    public internal(set) var debits: UInt64 = 0
    public internal(set) var collected: UInt64 = 0

    /// The period `time` falls in, or nil before the start.
    public func period(at time: Timestamp) -> UInt64? {
        guard time >= terms.start else { return nil }
        return (time.milliseconds - terms.start.milliseconds) / (UInt64(terms.periodSeconds) * 1_000)
    }

    /// Whether it allows a debit at `time`: started, not ended, not revoked.
    public func isActive(at time: Timestamp) -> Bool {
        revokedAt == nil && time >= terms.start && time < terms.end
    }
}

/// A quote's provider and number: what the ledger counts its use by.
public struct QuoteKey: Hashable, Comparable, Sendable {
    public let provider: String
    public let id: UInt64

    public init(provider: String, id: UInt64) {
        self.provider = provider
        self.id = id
    }

    public static func < (a: Self, b: Self) -> Bool { (a.provider, a.id) < (b.provider, b.id) }
}

/// How much of a quote's capacity remittances used, kept until it expires.
public struct QuoteUse: Hashable, Sendable {
    public let terms: Digest32
    public internal(set) var used: UInt64
    public let expiresAt: Timestamp
}

/// Where a remittance stands.
public enum RemittanceStatus: UInt8, Hashable, Sendable, CaseIterable {
    /// The sender's payment is held until the remittance completes or times out.
    case pending = 1
    /// The recipient was paid.
    case completed = 2
    /// The sender was made whole: the hold lapsed or the provider gave it up,
    /// or refunds after completion returned everything the sender paid.
    case refunded = 3

    public var name: String {
        switch self {
        case .pending: "pending"
        case .completed: "completed"
        case .refunded: "refunded"
        }
    }
}

/// A remittance, its amounts and its times.
public struct Remittance: Hashable, Sendable {
    public let id: OperationRef
    public let quote: QuoteKey
    public let providerAccount: AccountID
    public let sender: AccountID
    public let recipient: AccountID
    public let from: AssetCode
    public let to: AssetCode
    /// What was sent, in `from`, without the fee.
    public let amount: Amount
    public let fee: Amount
    /// What the quote's rate makes of `amount`, in `to`; the recipient gets this less any levy on entering its zone.
    public let converted: Amount
    public let submittedAt: Timestamp
    /// When a waiting remittance lapses; nil for one that completed at once.
    public let expiresAt: Timestamp?
    public internal(set) var status: RemittanceStatus
    public internal(set) var completedAt: Timestamp?
    public internal(set) var refundedAt: Timestamp?
    /// Refunded after completion, in `from`.
    public internal(set) var refunded: UInt64 = 0
    /// The levy the sender's zone took on leaving, in `from` (held with a waiting remittance).
    public internal(set) var outboundLevy: UInt64 = 0
    /// The hold of that levy while the remittance waits: the `pay_levy` leg's operation.
    public internal(set) var levyHold: PendingID?
    /// The levy the recipient's zone took on entering, in `to`, from `converted`.
    public internal(set) var inboundLevy: UInt64 = 0

    /// What the recipient got: the converted amount less the levy on entering.
    public var delivered: UInt64 { converted.units - inboundLevy }

    /// What the sender paid: the amount and the fee.
    public var paid: UInt64 { amount.units + fee.units }
}

/// Providers, addresses, requests, mandates, quote use and remittances (docs/PAYMENTS.md).
public struct PaymentState: Hashable, Sendable {
    public internal(set) var providers: [String: PaymentProvider] = [:]
    public internal(set) var addresses: [PaymentAddress: AddressBinding] = [:]
    public internal(set) var requests: [OperationRef: PaymentRequest] = [:]
    public internal(set) var mandates: [OperationRef: Mandate] = [:]
    public internal(set) var quotes: [QuoteKey: QuoteUse] = [:]
    public internal(set) var remittances: [OperationRef: Remittance] = [:]
    /// The holds of waiting remittances (the payment's and its levy's), each to
    /// its remittance. Derived from `remittances`.
    var holds: [PendingID: OperationRef] = [:]

    /// The provider that binds `address`'s addresses, if registered for them.
    public func addressProvider(of address: PaymentAddress) -> PaymentProvider? {
        providers[address.provider].flatMap { $0.roles.contains(.addresses) ? $0 : nil }
    }
}

/// When a quote's use record may be dropped.
struct QuoteExpiry: Comparable, Sendable {
    let at: Timestamp
    let quote: QuoteKey
    static func < (a: Self, b: Self) -> Bool { (a.at, a.quote) < (b.at, b.quote) }
}

// MARK: - Snapshot encoding (docs/ENCODING.md, "Snapshot")

extension ByteWriter {
    mutating func write(payments state: PaymentState) {
        write(UInt32(state.providers.count))
        for name in state.providers.keys.sorted() {
            let provider = state.providers[name]!
            writeShortBytes(Array(provider.name.utf8))
            writeShortBytes(Array(provider.displayName.utf8))
            write(id: provider.account)
            write(provider.roles.rawValue)
            write(provider.registeredAt.value)
        }
        write(UInt64(state.addresses.count))
        for address in state.addresses.keys.sorted() {
            let binding = state.addresses[address]!
            write(address: address)
            write(id: binding.account)
            writeShortBytes(Array(binding.displayName.utf8))
            write(binding.boundAt.value)
        }
        write(UInt64(state.requests.count))
        for id in state.requests.keys.sorted() {
            let request = state.requests[id]!
            write(pending: id)
            write(id: request.payee)
            write(id: request.payer)
            write(asset: request.asset)
            write(request.amount.units)
            writeShortBytes(Array(request.memo.utf8))
            write(request.createdAt.milliseconds)
            write(request.expiresAt.milliseconds)
            write(request.answer.rawValue)
            write(request.answeredAt?.milliseconds ?? UInt64.max)
        }
        write(UInt64(state.mandates.count))
        for id in state.mandates.keys.sorted() {
            let mandate = state.mandates[id]!
            write(pending: id)
            write(createMandate: mandate.terms)
            write(mandate.createdAt.milliseconds)
            write(mandate.revokedAt?.milliseconds ?? UInt64.max)
            write(mandate.lastPeriod ?? UInt64.max)
            write(mandate.debits)
            write(mandate.collected)
        }
        write(UInt64(state.quotes.count))
        for key in state.quotes.keys.sorted() {
            let use = state.quotes[key]!
            writeShortBytes(Array(key.provider.utf8))
            write(key.id)
            write(bytes: use.terms.bytes)
            write(use.used)
            write(use.expiresAt.milliseconds)
        }
        write(UInt64(state.remittances.count))
        for id in state.remittances.keys.sorted() {
            let remittance = state.remittances[id]!
            write(pending: id)
            writeShortBytes(Array(remittance.quote.provider.utf8))
            write(remittance.quote.id)
            write(id: remittance.providerAccount)
            write(id: remittance.sender)
            write(id: remittance.recipient)
            write(asset: remittance.from)
            write(asset: remittance.to)
            write(remittance.amount.units)
            write(remittance.fee.units)
            write(remittance.converted.units)
            write(remittance.submittedAt.milliseconds)
            write(remittance.expiresAt?.milliseconds ?? UInt64.max)
            write(remittance.status.rawValue)
            write(remittance.completedAt?.milliseconds ?? UInt64.max)
            write(remittance.refundedAt?.milliseconds ?? UInt64.max)
            write(remittance.refunded)
            write(remittance.outboundLevy)
            if let hold = remittance.levyHold {
                write(UInt8(1))
                write(pending: hold)
            } else {
                write(UInt8(0))
            }
            write(remittance.inboundLevy)
        }
    }

    mutating func write(address: PaymentAddress) {
        writeShortBytes(Array(address.handle.utf8))
        writeShortBytes(Array(address.provider.utf8))
    }
}

extension ByteReader {
    mutating func readPaymentState() throws(MalformedInput) -> PaymentState {
        var state = PaymentState()
        for _ in 0..<(try readUInt32("provider count")) {
            let name = try readProviderName()
            let displayName = try readDisplayName()
            let account = try readID(AccountID.self, "provider account")
            let roles = ProviderRoles(rawValue: try readUInt8("provider roles"))
            guard !roles.isEmpty, ProviderRoles.all.isSuperset(of: roles) else {
                throw MalformedInput(.invalidValue, "provider \(name) has unknown roles")
            }
            let provider = PaymentProvider(
                name: name, displayName: displayName, account: account, roles: roles, registeredAt: LeafIndex(try readUInt64("registered at")))
            state.providers[name] = provider
        }
        for _ in 0..<(try readUInt64("address count")) {
            let address = try readAddress()
            state.addresses[address] = AddressBinding(
                address: address, account: try readID(AccountID.self, "account"), displayName: try readDisplayName(),
                boundAt: LeafIndex(try readUInt64("bound at")))
        }
        for _ in 0..<(try readUInt64("request count")) {
            let id = try readPendingID()
            let payee = try readID(AccountID.self, "payee")
            let payer = try readID(AccountID.self, "payer")
            let asset = try readAssetCode()
            let amount = Amount(try readUInt64("amount"))
            let memo = try readMemo()
            let created = Timestamp(milliseconds: try readUInt64("created at"))
            let expires = Timestamp(milliseconds: try readUInt64("expires at"))
            let raw = try readUInt8("request status")
            guard let answer = RequestStatus(rawValue: raw), answer != .expired else {
                throw MalformedInput(.unknownTag, "unknown request status \(raw)")
            }
            let answered = try readUInt64("answered at")
            state.requests[id] = PaymentRequest(
                id: id, payee: payee, payer: payer, asset: asset, amount: amount, memo: memo, createdAt: created, expiresAt: expires,
                answer: answer, answeredAt: answered == UInt64.max ? nil : Timestamp(milliseconds: answered))
        }
        for _ in 0..<(try readUInt64("mandate count")) {
            let id = try readPendingID()
            let terms = try readCreateMandate()
            let created = Timestamp(milliseconds: try readUInt64("created at"))
            let revoked = try readUInt64("revoked at")
            let last = try readUInt64("last period")
            state.mandates[id] = Mandate(
                id: id, terms: terms, createdAt: created, revokedAt: revoked == UInt64.max ? nil : Timestamp(milliseconds: revoked),
                lastPeriod: last == UInt64.max ? nil : last, debits: try readUInt64("debits"), collected: try readUInt64("collected"))
        }
        for _ in 0..<(try readUInt64("quote count")) {
            let key = QuoteKey(provider: try readProviderName(), id: try readUInt64("quote id"))
            let terms = Digest32(bytes: try readBytes(32, "quote terms digest"))!
            state.quotes[key] = QuoteUse(
                terms: terms, used: try readUInt64("used"), expiresAt: Timestamp(milliseconds: try readUInt64("expires at")))
        }
        for _ in 0..<(try readUInt64("remittance count")) {
            let id = try readPendingID()
            let quote = QuoteKey(provider: try readProviderName(), id: try readUInt64("quote id"))
            let providerAccount = try readID(AccountID.self, "provider account")
            let sender = try readID(AccountID.self, "sender")
            let recipient = try readID(AccountID.self, "recipient")
            let from = try readAssetCode()
            let to = try readAssetCode()
            let amount = Amount(try readUInt64("amount"))
            let fee = Amount(try readUInt64("fee"))
            let converted = Amount(try readUInt64("converted"))
            let submitted = Timestamp(milliseconds: try readUInt64("submitted at"))
            let expires = try readUInt64("expires at")
            let raw = try readUInt8("remittance status")
            guard let status = RemittanceStatus(rawValue: raw) else { throw MalformedInput(.unknownTag, "unknown remittance status \(raw)") }
            let completed = try readUInt64("completed at")
            let refundedAt = try readUInt64("refunded at")
            state.remittances[id] = Remittance(
                id: id, quote: quote, providerAccount: providerAccount, sender: sender, recipient: recipient, from: from, to: to,
                amount: amount, fee: fee, converted: converted, submittedAt: submitted,
                expiresAt: expires == UInt64.max ? nil : Timestamp(milliseconds: expires), status: status,
                completedAt: completed == UInt64.max ? nil : Timestamp(milliseconds: completed),
                refundedAt: refundedAt == UInt64.max ? nil : Timestamp(milliseconds: refundedAt), refunded: try readUInt64("refunded"),
                outboundLevy: try readUInt64("outbound levy"), levyHold: try readOptionalPendingID(), inboundLevy: try readUInt64("inbound levy"))
            guard converted.units >= state.remittances[id]!.inboundLevy, !amount.units.addingReportingOverflow(fee.units).overflow,
                !(amount.units + fee.units).addingReportingOverflow(state.remittances[id]!.outboundLevy).overflow
            else {
                throw MalformedInput(
                    .invalidValue, "remittance \(id) has amounts that do not add up (a levy past what it converted, or a sum past 2^64)")
            }
            if status == .pending {
                state.holds[id] = id
                if let hold = state.remittances[id]!.levyHold { state.holds[hold] = id }
            }
        }
        return state
    }

    mutating func readOptionalPendingID() throws(MalformedInput) -> PendingID? {
        switch try readUInt8("presence") {
        case 0: return nil
        case 1: return try readPendingID()
        case let other: throw MalformedInput(.invalidValue, "a presence byte is 0 or 1, got \(other)")
        }
    }

    mutating func readProviderName() throws(MalformedInput) -> String {
        let bytes = try readShortBytes(limit: Limits.maxProviderNameBytes, "provider name")
        let name = String(decoding: bytes, as: UTF8.self)
        guard PaymentAddress.isProviderName(name) else {
            throw MalformedInput(.invalidValue, "a provider's name is 1 to \(Limits.maxProviderNameBytes) lower-case letters, digits or '-'")
        }
        return name
    }

    mutating func readAddress() throws(MalformedInput) -> PaymentAddress {
        let handle = String(decoding: try readShortBytes(limit: Limits.maxHandleBytes, "handle"), as: UTF8.self)
        return try PaymentAddress(handle: handle, provider: try readProviderName())
    }

    mutating func readDisplayName() throws(MalformedInput) -> String {
        let bytes = try readShortBytes(limit: Limits.maxDisplayNameBytes, "display name")
        guard let name = String(validating: bytes, as: UTF8.self) else { throw MalformedInput(.invalidValue, "a display name is not UTF-8") }
        try validateDisplayName(name)
        return name
    }

    mutating func readMemo() throws(MalformedInput) -> String {
        let bytes = try readShortBytes(limit: Limits.maxMemoBytes, "memo")
        guard let memo = String(validating: bytes, as: UTF8.self) else { throw MalformedInput(.invalidValue, "memo is not valid UTF-8") }
        return memo
    }
}
