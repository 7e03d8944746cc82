import KhataBytes
import KhataEd25519

// The operations of payments (docs/PAYMENTS.md): registering providers, binding
// addresses, payment requests, mandates, and remittances at a provider's firm
// quote with their completion and refunds.

/// A request, mandate or remittance is named by the operation that made it:
/// its transaction and the operation's index, written `<transaction id hex>/<index>`
/// (the same form as a pending transfer's id; a remittance that waits is one).
public typealias OperationRef = PendingID

/// A payment address, `handle@provider`: lower-case ASCII, a handle of 1 to
/// `Limits.maxHandleBytes` letters, digits, `.`, `_` or `-`, and a registered
/// provider's name of 1 to `Limits.maxProviderNameBytes` letters, digits or `-`.
public struct PaymentAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let handle: String
    public let provider: String

    public init(handle: String, provider: String) throws(MalformedInput) {
        guard PaymentAddress.isHandle(handle) else {
            throw MalformedInput(
                .invalidValue, "a handle is 1 to \(Limits.maxHandleBytes) lower-case letters, digits, '.', '_' or '-'")
        }
        guard PaymentAddress.isProviderName(provider) else {
            throw MalformedInput(
                .invalidValue, "a provider's name is 1 to \(Limits.maxProviderNameBytes) lower-case letters, digits or '-'")
        }
        self.handle = handle
        self.provider = provider
    }

    /// Reads `handle@provider` as a person types it: letters are lowered (an
    /// address, like an e-mail address, does not depend on case); nil if it is not one.
    public init?(text: some StringProtocol) {
        let parts = text.lowercased().split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = try? PaymentAddress(handle: String(parts[0]), provider: String(parts[1])) else { return nil }
        self = address
    }

    public var description: String { "\(handle)@\(provider)" }
    public static func < (a: Self, b: Self) -> Bool { (a.provider, a.handle) < (b.provider, b.handle) }

    static func isHandle(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return (1...Limits.maxHandleBytes).contains(bytes.count)
            && bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    public static func isProviderName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return (1...Limits.maxProviderNameBytes).contains(bytes.count) && bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

extension PaymentAddress: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = PaymentAddress(text: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a payment address is handle@provider, e.g. asha@kbank"))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// What a provider does: keeps payment addresses, quotes exchange rates, or both.
public struct ProviderRoles: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Binds `handle@name` addresses to its customers' accounts.
    public static let addresses = ProviderRoles(rawValue: 1)
    /// Publishes firm quotes and settles remittances from its account.
    public static let exchange = ProviderRoles(rawValue: 2)
    public static let all: ProviderRoles = [.addresses, .exchange]

    public var names: [String] { (contains(.addresses) ? ["addresses"] : []) + (contains(.exchange) ? ["exchange"] : []) }
}

/// Registers a payment or exchange provider under a name. Its account's
/// controllers are its keys: they bind addresses, sign quotes and confirm
/// remittances, and the account pays and receives an exchange's legs.
/// Authorised by the ledger's issuer keys (as `RegisterAsset`).
public struct RegisterProvider: Hashable, Sendable {
    /// The name addresses end with (`asha@kbank`): as `PaymentAddress.provider`.
    public var name: String
    /// What people are shown (UTF-8, 1 to `Limits.maxDisplayNameBytes` bytes).
    public var displayName: String
    public var account: AccountID
    public var roles: ProviderRoles

    public init(name: String, displayName: String, account: AccountID, roles: ProviderRoles) throws(MalformedInput) {
        self.name = name
        self.displayName = displayName
        self.account = account
        self.roles = roles
        try validate()
    }

    func validate() throws(MalformedInput) {
        guard PaymentAddress.isProviderName(name) else {
            throw MalformedInput(.invalidValue, "a provider's name is 1 to \(Limits.maxProviderNameBytes) lower-case letters, digits or '-'")
        }
        try validateDisplayName(displayName)
        guard !roles.isEmpty, ProviderRoles.all.isSuperset(of: roles) else {
            throw MalformedInput(.invalidValue, "a provider's roles are addresses, exchange or both")
        }
    }
}

func validateDisplayName(_ name: String) throws(MalformedInput) {
    guard (1...Limits.maxDisplayNameBytes).contains(name.utf8.count) else {
        throw MalformedInput(.limitExceeded, "a display name has 1 to \(Limits.maxDisplayNameBytes) bytes of UTF-8")
    }
}

/// Binds an address to an account, with the name the provider verified.
/// Authorised by the provider's keys and the account's controllers: nobody is
/// given an address, or has one bound to their account, without consent. An
/// address bound to another account must be unbound first; binding it again to
/// the same account replaces the name.
public struct BindAddress: Hashable, Sendable {
    public var address: PaymentAddress
    public var account: AccountID
    /// The holder's name as the provider verified it (UTF-8, 1 to `Limits.maxDisplayNameBytes` bytes).
    public var displayName: String

    public init(address: PaymentAddress, account: AccountID, displayName: String) throws(MalformedInput) {
        self.address = address
        self.account = account
        self.displayName = displayName
        try validateDisplayName(displayName)
    }
}

/// Removes an address. Authorised by the provider's keys or by the bound
/// account's controllers: a holder can always leave.
public struct UnbindAddress: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case address }
    public var address: PaymentAddress
    public init(address: PaymentAddress) { self.address = address }
}

/// A payee's request that `payer` pay it. Authorised by the payee's
/// controllers; the payer answers with `AnswerRequest` before it expires.
public struct RequestPayment: Hashable, Sendable {
    public var payee: AccountID
    public var payer: AccountID
    public var asset: AssetCode
    public var amount: Amount
    /// What it is for (UTF-8, at most `Limits.maxMemoBytes` bytes).
    public var memo: String
    /// 1 to `Limits.maxRequestSeconds` seconds after the entry's time.
    public var expiresInSeconds: UInt32

    public init(payee: AccountID, payer: AccountID, asset: AssetCode, amount: Amount, memo: String, expiresInSeconds: UInt32) throws(MalformedInput) {
        self.payee = payee
        self.payer = payer
        self.asset = asset
        self.amount = amount
        self.memo = memo
        self.expiresInSeconds = expiresInSeconds
        try validate()
    }

    func validate() throws(MalformedInput) {
        guard !amount.isZero else { throw MalformedInput(.invalidValue, "a request asks for more than zero") }
        try validateMemo(memo)
        guard (1...Limits.maxRequestSeconds).contains(expiresInSeconds) else {
            throw MalformedInput(.limitExceeded, "a request is open 1 to \(Limits.maxRequestSeconds) seconds")
        }
    }
}

func validateMemo(_ memo: String) throws(MalformedInput) {
    guard memo.utf8.count <= Limits.maxMemoBytes else {
        throw MalformedInput(.limitExceeded, "a memo is at most \(Limits.maxMemoBytes) bytes of UTF-8, got \(memo.utf8.count)")
    }
}

/// The payer's answer to a request: pay it (the whole amount, now, under the
/// laws as for a transfer) or decline it. Authorised by the payer's controllers.
public struct AnswerRequest: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case request, accept }
    public var request: OperationRef
    public var accept: Bool

    public init(request: OperationRef, accept: Bool) {
        self.request = request
        self.accept = accept
    }
}

/// A payer's standing permission for a payee to collect: at most
/// `maxPerDebit` each time, at most once in each period of `periodSeconds`
/// counted from `start`, from `start` until `end`. Authorised by the payer's
/// controllers; the payer revokes it at any moment.
public struct CreateMandate: Hashable, Sendable {
    public var payer: AccountID
    public var payee: AccountID
    public var asset: AssetCode
    public var maxPerDebit: Amount
    /// `Limits.minMandatePeriodSeconds` to `Limits.maxMandatePeriodSeconds`.
    public var periodSeconds: UInt32
    public var start: Timestamp
    /// After `start`; the first instant it no longer allows a debit.
    public var end: Timestamp
    public var memo: String

    public init(
        payer: AccountID, payee: AccountID, asset: AssetCode, maxPerDebit: Amount, periodSeconds: UInt32, start: Timestamp, end: Timestamp,
        memo: String
    ) throws(MalformedInput) {
        self.payer = payer
        self.payee = payee
        self.asset = asset
        self.maxPerDebit = maxPerDebit
        self.periodSeconds = periodSeconds
        self.start = start
        self.end = end
        self.memo = memo
        try validate()
    }

    func validate() throws(MalformedInput) {
        guard !maxPerDebit.isZero else { throw MalformedInput(.invalidValue, "a mandate's maximum per debit is more than zero") }
        guard payer != payee else { throw MalformedInput(.invalidValue, "a mandate's payer and payee differ") }
        guard (Limits.minMandatePeriodSeconds...Limits.maxMandatePeriodSeconds).contains(periodSeconds) else {
            throw MalformedInput(
                .limitExceeded, "a mandate's period is \(Limits.minMandatePeriodSeconds) to \(Limits.maxMandatePeriodSeconds) seconds")
        }
        guard start < end, end.milliseconds <= Limits.maxTimestampMilliseconds else {
            throw MalformedInput(.invalidValue, "a mandate starts before it ends, and ends by \(Limits.maxTimestampMilliseconds) ms")
        }
        try validateMemo(memo)
    }
}

/// Ends a mandate at once. Authorised by the payer's controllers.
public struct RevokeMandate: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case mandate }
    public var mandate: OperationRef
    public init(mandate: OperationRef) { self.mandate = mandate }
}

/// A debit under a mandate: moves `amount` from its payer to its payee, under
/// the laws as for a transfer. Authorised by the payee's controllers alone.
public struct CollectMandate: Hashable, Sendable {
    public var mandate: OperationRef
    public var amount: Amount
    public var memo: String

    public init(mandate: OperationRef, amount: Amount, memo: String = "") throws(MalformedInput) {
        self.mandate = mandate
        self.amount = amount
        self.memo = memo
        guard !amount.isZero else { throw MalformedInput(.invalidValue, "a debit is more than zero") }
        try validateMemo(memo)
    }
}

/// An exchange provider's firm offer: it takes `from` and pays `to` at `rate`,
/// for `fee`, for any amount from `minAmount` to `maxAmount`, until
/// `expiresAt`, up to `capacity` in all. Signed by one of the provider's keys
/// over `signingBytes(origin:)`; the signature travels in the transaction
/// that accepts it and is checked with the transaction's own.
public struct Quote: Hashable, Sendable {
    public var provider: String
    /// The provider's number for the quote; one number names one set of terms.
    public var id: UInt64
    public var from: AssetCode
    public var to: AssetCode
    /// Minor units of `to` paid per 10^8 minor units of `from`.
    public var rate: UInt64
    /// Minor units of `from` the sender pays on top of the amount sent.
    public var fee: Amount
    public var minAmount: Amount
    public var maxAmount: Amount
    /// The most of `from` all remittances at this quote may send together.
    public var capacity: Amount
    public var expiresAt: Timestamp
    public var key: PublicKey
    public var signature: [UInt8]

    /// The scale of `rate`: it counts minor units of `to` per this many of `from`.
    public static let rateScale: UInt64 = 100_000_000
    public static let domainSeparator: [UInt8] = Array("khata/quote/v1\n".utf8)

    public init(
        provider: String, id: UInt64, from: AssetCode, to: AssetCode, rate: UInt64, fee: Amount, minAmount: Amount, maxAmount: Amount,
        capacity: Amount, expiresAt: Timestamp, key: PublicKey, signature: [UInt8] = Array(repeating: 0, count: 64)
    ) throws(MalformedInput) {
        self.provider = provider
        self.id = id
        self.from = from
        self.to = to
        self.rate = rate
        self.fee = fee
        self.minAmount = minAmount
        self.maxAmount = maxAmount
        self.capacity = capacity
        self.expiresAt = expiresAt
        self.key = key
        self.signature = signature
        try validate()
    }

    func validate() throws(MalformedInput) {
        guard PaymentAddress.isProviderName(provider) else { throw MalformedInput(.invalidValue, "a quote names a provider by its name") }
        guard from != to else { throw MalformedInput(.invalidValue, "a quote exchanges two different assets") }
        guard rate > 0 else { throw MalformedInput(.invalidValue, "a quote's rate is more than zero") }
        guard !minAmount.isZero, minAmount <= maxAmount, maxAmount <= capacity else {
            throw MalformedInput(.invalidValue, "a quote's range is 0 < minimum ≤ maximum ≤ capacity")
        }
        guard expiresAt.milliseconds <= Limits.maxTimestampMilliseconds else {
            throw MalformedInput(.limitExceeded, "a quote expires by \(Limits.maxTimestampMilliseconds) ms")
        }
        guard signature.count == 64 else { throw MalformedInput(.invalidValue, "a quote's signature is 64 bytes") }
    }

    /// The terms, as signed (everything but the signature).
    public var terms: [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writer.write(quoteTerms: self)
        return writer.bytes
    }

    /// What the provider signs: the domain separator, the ledger's origin, the terms.
    public func signingBytes(origin: String) -> [UInt8] {
        var writer = ByteWriter(capacity: 160)
        writer.write(bytes: Quote.domainSeparator)
        writer.writeShortBytes(Array(origin.utf8))
        writer.write(quoteTerms: self)
        return writer.bytes
    }

    /// SHA-256 of the terms: one provider's quote number stands for these terms only.
    public var termsDigest: Digest32 { Digest32.sha256(terms) }

    /// This quote signed by `key` (one of the provider's keys) for the ledger `origin`.
    public func signed(by key: SigningKey, origin: String) -> Quote {
        var quote = self
        quote.key = key.publicKey
        quote.signature = key.sign(quote.signingBytes(origin: origin))
        return quote
    }

    /// What `amount` of `from` buys: rounded up, so rounding never costs the
    /// sender (at most one minor unit, and the provider gives it). Nil if it
    /// does not fit in 64 bits.
    public func converted(_ amount: Amount) -> Amount? {
        let product = UInt128(amount.units) * UInt128(rate)
        let (quotient, remainder) = product.quotientAndRemainder(dividingBy: UInt128(Quote.rateScale))
        let units = quotient + (remainder > 0 ? 1 : 0)
        return UInt64(exactly: units).map(Amount.init)
    }
}

/// Sends `amount` of the quote's `from` (plus its fee) from `sender` to the
/// provider, which pays `recipient` the converted amount of `to`, in one
/// entry. With `timeoutSeconds` 0 it completes at once; otherwise the sender's
/// payment is held until the provider (or the recipient) completes it, and if
/// nobody does within the timeout the hold lapses and the sender is whole again.
/// Authorised by the sender's controllers (the quote carries the provider's signature).
public struct Remit: Hashable, Sendable {
    public var quote: Quote
    public var sender: AccountID
    public var recipient: AccountID
    public var amount: Amount
    /// 0, or 1 to `Limits.maxRemittanceSeconds`.
    public var timeoutSeconds: UInt32
    public var memo: String

    public init(quote: Quote, sender: AccountID, recipient: AccountID, amount: Amount, timeoutSeconds: UInt32 = 0, memo: String = "")
        throws(MalformedInput)
    {
        self.quote = quote
        self.sender = sender
        self.recipient = recipient
        self.amount = amount
        self.timeoutSeconds = timeoutSeconds
        self.memo = memo
        try validate()
    }

    func validate() throws(MalformedInput) {
        try quote.validate()
        guard !amount.isZero else { throw MalformedInput(.invalidValue, "a remittance sends more than zero") }
        guard sender != recipient else { throw MalformedInput(.invalidValue, "a remittance's sender and recipient differ") }
        guard timeoutSeconds <= Limits.maxRemittanceSeconds else {
            throw MalformedInput(.limitExceeded, "a remittance waits at most \(Limits.maxRemittanceSeconds) seconds")
        }
        try validateMemo(memo)
    }
}

/// Completes a remittance that waits: the held payment goes to the provider
/// and the provider pays the recipient, under the laws as they are now.
/// Authorised by the provider's keys or the recipient's controllers.
public struct CompleteRemittance: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case remittance }
    public var remittance: OperationRef
    public init(remittance: OperationRef) { self.remittance = remittance }
}

/// Returns money to a completed remittance's sender, in what it sent, from the
/// provider: a new payment linked to the original, never an edit of it. All
/// refunds together are at most what the sender paid (amount and fee).
/// Authorised by the provider's keys.
public struct RefundRemittance: Hashable, Sendable {
    public var remittance: OperationRef
    public var amount: Amount

    public init(remittance: OperationRef, amount: Amount) throws(MalformedInput) {
        self.remittance = remittance
        self.amount = amount
        guard !amount.isZero else { throw MalformedInput(.invalidValue, "a refund is more than zero") }
    }
}
