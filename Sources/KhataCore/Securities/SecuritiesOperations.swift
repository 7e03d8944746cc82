import KhataBytes

// The stockchain's operations (docs/STOCKCHAIN.md): an issuer registers an
// instrument with its terms and transfer rules; identity providers attest who
// may hold; the instrument's agent locks holdings and forces transfers. Every
// amount is in the instrument's (or its currency's) minor units, checked, never
// floating point.

/// The terms an instrument is issued on, by kind.
public enum InstrumentTerms: Hashable, Sendable {
    case equity(EquityTerms)
    case bond(BondTerms)
    case fund

    public var kind: AssetKind {
        switch self {
        case .equity: .equity
        case .bond: .bond
        case .fund: .fund
        }
    }
}

/// A share class.
public struct EquityTerms: Hashable, Sendable {
    /// The class's name, for example "ordinary" or "A" (UTF-8, at most `Limits.maxShareClassBytes` bytes).
    public var shareClass: String
    /// The nominal value of one share, in minor units of the instrument's currency.
    public var parValue: Amount

    public init(shareClass: String, parValue: Amount) {
        self.shareClass = shareClass
        self.parValue = parValue
    }
}

/// How a bond counts the days of a coupon period.
public enum DayCount: UInt8, Hashable, Sendable, CaseIterable {
    case thirty360 = 1
    case actual365 = 2
    case actualActual = 3

    public var name: String {
        switch self {
        case .thirty360: "30/360"
        case .actual365: "actual/365"
        case .actualActual: "actual/actual"
        }
    }

    public init?(name: String) {
        guard let value = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = value
    }
}

/// A bond's terms. A coupon pays `faceValue × couponBasisPoints / 10,000 ×
/// couponMonths / 12` per unit each period (docs/STOCKCHAIN.md).
public struct BondTerms: Hashable, Sendable {
    /// What one unit repays at maturity, in minor units of the instrument's currency.
    public var faceValue: Amount
    /// The yearly coupon rate in basis points (750 = 7.50 %); 0 for a zero-coupon bond.
    public var couponBasisPoints: UInt32
    /// Months between coupons: 1, 3, 6 or 12 (0 when the rate is 0).
    public var couponMonths: UInt8
    /// When the bond matures (ms).
    public var maturity: Timestamp
    public var dayCount: DayCount

    public init(faceValue: Amount, couponBasisPoints: UInt32, couponMonths: UInt8, maturity: Timestamp, dayCount: DayCount) {
        self.faceValue = faceValue
        self.couponBasisPoints = couponBasisPoints
        self.couponMonths = couponMonths
        self.maturity = maturity
        self.dayCount = dayCount
    }
}

/// An instrument's transfer rules, set by its issuer (ERC-3643's compliance
/// modules as data). Checked on every transfer, pending transfer and forced
/// transfer of the instrument; the issuer's own account and the issuance
/// account are exempt from the identity and holding limits.
public struct InstrumentRules: Hashable, Sendable {
    /// Who may lock holdings and force transfers; nil: the issuer's controllers.
    public var agent: KeySet?
    /// The identity tier a receiving account must hold, 0 for none.
    public var minimumTier: UInt8
    /// The accounts whose identity attestations count, ascending, at most
    /// `Limits.maxIdentityProviders`; not empty when `minimumTier` > 0.
    public var identityProviders: [AccountID]
    /// The most accounts that may hold a positive balance at once; 0 for no limit.
    public var maxHolders: UInt32
    /// The most one account may hold (posted plus pending credits); 0 for no limit.
    public var maxHolding: Amount

    public init(
        agent: KeySet? = nil, minimumTier: UInt8 = 0, identityProviders: [AccountID] = [], maxHolders: UInt32 = 0, maxHolding: Amount = .zero
    ) throws(MalformedInput) {
        self.agent = agent
        self.minimumTier = minimumTier
        self.identityProviders = identityProviders
        self.maxHolders = maxHolders
        self.maxHolding = maxHolding
        try validate()
    }

    /// No rules: anyone may hold any amount, and the issuer's controllers act as agent.
    public static let open = try! InstrumentRules()

    func validate() throws(MalformedInput) {
        guard identityProviders.count <= Limits.maxIdentityProviders else {
            throw MalformedInput(.limitExceeded, "an instrument names at most \(Limits.maxIdentityProviders) identity providers")
        }
        for i in identityProviders.indices.dropFirst() where identityProviders[i - 1] >= identityProviders[i] {
            throw MalformedInput(.invalidValue, "identity providers are ascending and distinct")
        }
        guard minimumTier == 0 || !identityProviders.isEmpty else {
            throw MalformedInput(.invalidValue, "a minimum identity tier needs at least one identity provider")
        }
    }
}

/// Registers an instrument: a new asset of kind equity, bond or fund, its
/// issuance account, its terms and its transfer rules. Authorised by the
/// `issuer` account's controllers (an issuer needs no permission from the
/// ledger's operator). Issuing is a transfer from the issuance account,
/// authorised by the issuer and never past `authorised`; cancelling is a
/// transfer back to it, authorised by the issuer as well as the holder.
public struct RegisterInstrument: Hashable, Sendable {
    public var asset: AssetCode
    /// Minor-unit digits; 0 for whole shares or units.
    public var scale: UInt8
    public var issuer: AccountID
    public var issuanceAccount: AccountID
    /// A display name (UTF-8, at most `Limits.maxInstrumentNameBytes` bytes).
    public var name: String
    /// SHA-256 of the offering document (prospectus, term sheet).
    public var document: Digest32
    /// The most that may be outstanding (issued and pending issue), in minor units.
    public var authorised: Amount
    /// The asset par values, face values and payments are in (a registered currency).
    public var currency: AssetCode
    public var terms: InstrumentTerms
    public var rules: InstrumentRules

    public init(
        asset: AssetCode, scale: UInt8 = 0, issuer: AccountID, issuanceAccount: AccountID, name: String, document: Digest32,
        authorised: Amount, currency: AssetCode, terms: InstrumentTerms, rules: InstrumentRules = .open
    ) {
        self.asset = asset
        self.scale = scale
        self.issuer = issuer
        self.issuanceAccount = issuanceAccount
        self.name = name
        self.document = document
        self.authorised = authorised
        self.currency = currency
        self.terms = terms
        self.rules = rules
    }

    public var kind: AssetKind { terms.kind }
}

/// Replaces an instrument's transfer rules. Authorised by the issuer's controllers.
/// Holdings that a new rule would forbid stay; the rule binds the next transfer.
public struct SetInstrumentRules: Hashable, Sendable, Codable {
    public var asset: AssetCode
    public var rules: InstrumentRules

    public init(asset: AssetCode, rules: InstrumentRules) {
        self.asset = asset
        self.rules = rules
    }
}

/// An identity provider's statement that `account`'s holder is verified to
/// `tier` until `expiresAt`. Authorised by the provider account's controllers;
/// it counts for the instruments that name the provider. Tier 0 withdraws the
/// provider's attestation. Replaces the provider's previous one for the account.
public struct AttestIdentity: Hashable, Sendable, Codable {
    public var provider: AccountID
    public var account: AccountID
    public var tier: UInt8
    /// After the entry's time, unless `tier` is 0 (then 0).
    public var expiresAt: Timestamp

    public init(provider: AccountID, account: AccountID, tier: UInt8, expiresAt: Timestamp) {
        self.provider = provider
        self.account = account
        self.tier = tier
        self.expiresAt = expiresAt
    }

    private enum CodingKeys: String, CodingKey {
        case provider, account, tier
        case expiresAt = "expires_at"
    }
}

/// Locks `amount` of `account`'s holding of an instrument: a freeze (no
/// `until`) or a lock-up until a time. The locked part cannot be debited
/// except by a forced transfer. Amount 0 lifts the lock. Replaces the account's
/// previous lock on the instrument. Authorised by the instrument's agent.
public struct LockHolding: Hashable, Sendable, Codable {
    public var asset: AssetCode
    public var account: AccountID
    /// In the instrument's minor units; may exceed the holding (`UInt64.max` freezes all of it, now and later).
    public var amount: Amount
    /// When the lock ends (ms); nil: until lifted.
    public var until: Timestamp?
    /// Why, for the holder and the public (UTF-8, at most `Limits.maxMemoBytes` bytes; not empty).
    public var reason: String

    public init(asset: AssetCode, account: AccountID, amount: Amount, until: Timestamp? = nil, reason: String) {
        self.asset = asset
        self.account = account
        self.amount = amount
        self.until = until
        self.reason = reason
    }
}

/// Moves a holding without its holder's signature: a court order, or recovery
/// to a new account after lost keys. Authorised by the instrument's agent; the
/// memo (its stated reason) must not be empty. Locks do not stop it; the
/// receiving account's identity and holding limits do. Never issues (the debit
/// is not the issuance account).
public struct ForcedTransfer: Hashable, Sendable, Codable {
    public var transfer: Transfer
    public init(transfer: Transfer) { self.transfer = transfer }
}

// MARK: - Canonical encoding (docs/ENCODING.md, "Operations")

extension ByteWriter {
    mutating func write(registerInstrument op: RegisterInstrument) {
        write(asset: op.asset)
        write(op.kind.rawValue)
        write(op.scale)
        write(id: op.issuer)
        write(id: op.issuanceAccount)
        writeShortBytes(Array(op.name.utf8))
        write(bytes: op.document.bytes)
        write(op.authorised.units)
        write(asset: op.currency)
        switch op.terms {
        case .equity(let terms):
            writeShortBytes(Array(terms.shareClass.utf8))
            write(terms.parValue.units)
        case .bond(let terms):
            write(terms.faceValue.units)
            write(terms.couponBasisPoints)
            write(terms.couponMonths)
            write(terms.maturity.milliseconds)
            write(terms.dayCount.rawValue)
        case .fund:
            break
        }
        write(rules: op.rules)
    }

    mutating func write(rules: InstrumentRules) {
        if let agent = rules.agent {
            write(UInt8(1))
            write(keySet: agent)
        } else {
            write(UInt8(0))
        }
        write(rules.minimumTier)
        write(UInt8(rules.identityProviders.count))
        for provider in rules.identityProviders { write(id: provider) }
        write(rules.maxHolders)
        write(rules.maxHolding.units)
    }

    mutating func write(lockHolding op: LockHolding) {
        write(asset: op.asset)
        write(id: op.account)
        write(op.amount.units)
        write(op.until?.milliseconds ?? 0)
        writeShortBytes(Array(op.reason.utf8))
    }

    mutating func write(attestIdentity op: AttestIdentity) {
        write(id: op.provider)
        write(id: op.account)
        write(op.tier)
        write(op.expiresAt.milliseconds)
    }
}

extension ByteReader {
    mutating func readRegisterInstrument() throws(MalformedInput) -> RegisterInstrument {
        let asset = try readAssetCode()
        let kindByte = try readUInt8("instrument kind")
        guard let kind = AssetKind(rawValue: kindByte), kind.isSecurity else {
            throw MalformedInput(.unknownTag, "instrument kind \(kindByte) is not equity (3), bond (4) or fund (5)")
        }
        let scale = try readUInt8("instrument scale")
        guard scale <= Limits.maxAssetScale else { throw MalformedInput(.limitExceeded, "asset scale \(scale) exceeds \(Limits.maxAssetScale)") }
        let issuer = try readID(AccountID.self, "issuer account")
        let issuance = try readID(AccountID.self, "issuance account")
        let name = try readText(limit: Limits.maxInstrumentNameBytes, "instrument name")
        let document = Digest32(bytes: try readBytes(32, "offering document digest"))!
        let authorised = Amount(try readUInt64("authorised amount"))
        let currency = try readAssetCode()
        let terms: InstrumentTerms
        switch kind {
        case .equity:
            let shareClass = try readText(limit: Limits.maxShareClassBytes, "share class")
            terms = .equity(EquityTerms(shareClass: shareClass, parValue: Amount(try readUInt64("par value"))))
        case .bond:
            let face = Amount(try readUInt64("face value"))
            let coupon = try readUInt32("coupon basis points")
            let months = try readUInt8("coupon months")
            let maturity = try readTimestamp("maturity")
            let dayCountByte = try readUInt8("day count")
            guard let dayCount = DayCount(rawValue: dayCountByte) else { throw MalformedInput(.unknownTag, "unknown day count \(dayCountByte)") }
            terms = .bond(BondTerms(faceValue: face, couponBasisPoints: coupon, couponMonths: months, maturity: maturity, dayCount: dayCount))
        default:
            terms = .fund
        }
        let op = RegisterInstrument(
            asset: asset, scale: scale, issuer: issuer, issuanceAccount: issuance, name: name, document: document, authorised: authorised,
            currency: currency, terms: terms, rules: try readRules())
        try op.validate()
        return op
    }

    mutating func readRules() throws(MalformedInput) -> InstrumentRules {
        let agent: KeySet?
        switch try readUInt8("agent present") {
        case 0: agent = nil
        case 1: agent = try readKeySet()
        case let other: throw MalformedInput(.invalidValue, "agent present is 0 or 1, got \(other)")
        }
        let tier = try readUInt8("minimum tier")
        let count = try readUInt8("identity provider count")
        guard count <= Limits.maxIdentityProviders else {
            throw MalformedInput(.limitExceeded, "an instrument names at most \(Limits.maxIdentityProviders) identity providers")
        }
        var providers: [AccountID] = []
        for _ in 0..<count { providers.append(try readID(AccountID.self, "identity provider")) }
        return try InstrumentRules(
            agent: agent, minimumTier: tier, identityProviders: providers, maxHolders: try readUInt32("max holders"),
            maxHolding: Amount(try readUInt64("max holding")))
    }

    mutating func readLockHolding() throws(MalformedInput) -> LockHolding {
        let asset = try readAssetCode()
        let account = try readID(AccountID.self, "account")
        let amount = Amount(try readUInt64("locked amount"))
        let until = try readTimestamp("lock end")
        let reason = try readText(limit: Limits.maxMemoBytes, "lock reason")
        let op = LockHolding(asset: asset, account: account, amount: amount, until: until.milliseconds == 0 ? nil : until, reason: reason)
        try op.validate()
        return op
    }

    mutating func readAttestIdentity() throws(MalformedInput) -> AttestIdentity {
        let provider = try readID(AccountID.self, "identity provider")
        let account = try readID(AccountID.self, "account")
        let op = AttestIdentity(provider: provider, account: account, tier: try readUInt8("tier"), expiresAt: try readTimestamp("expiry"))
        try op.validate()
        return op
    }

    /// A short(limit) string that must be valid UTF-8.
    mutating func readText(limit: Int, _ what: StaticString) throws(MalformedInput) -> String {
        let bytes = try readShortBytes(limit: limit, what)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw MalformedInput(.invalidValue, "\(what) is not valid UTF-8") }
        return text
    }
}

// MARK: - What each operation must satisfy to be encoded at all

extension RegisterInstrument {
    func validate() throws(MalformedInput) {
        guard name.utf8.count <= Limits.maxInstrumentNameBytes, !name.isEmpty else {
            throw MalformedInput(.invalidValue, "an instrument name has 1 to \(Limits.maxInstrumentNameBytes) bytes")
        }
        guard !authorised.isZero else { throw MalformedInput(.invalidValue, "an instrument authorises more than 0") }
        // Its registers are Merkle-sum trees, whose totals are at most 2^63 − 1.
        guard authorised.units <= Limits.maxLiabilityTotal else {
            throw MalformedInput(.limitExceeded, "an instrument authorises at most \(Limits.maxLiabilityTotal)")
        }
        guard scale <= Limits.maxAssetScale else { throw MalformedInput(.limitExceeded, "asset scale \(scale) exceeds \(Limits.maxAssetScale)") }
        switch terms {
        case .equity(let terms):
            guard terms.shareClass.utf8.count <= Limits.maxShareClassBytes else {
                throw MalformedInput(.limitExceeded, "a share class has at most \(Limits.maxShareClassBytes) bytes")
            }
        case .bond(let terms):
            guard !terms.faceValue.isZero else { throw MalformedInput(.invalidValue, "a bond's face value is more than 0") }
            guard terms.maturity.milliseconds <= Limits.maxTimestampMilliseconds else {
                throw MalformedInput(.limitExceeded, "a maturity is at most \(Limits.maxTimestampMilliseconds)")
            }
            guard terms.couponBasisPoints <= Limits.maxCouponBasisPoints else {
                throw MalformedInput(.limitExceeded, "a coupon rate is at most \(Limits.maxCouponBasisPoints) basis points")
            }
            let periods: Set<UInt8> = terms.couponBasisPoints == 0 ? [0] : [1, 3, 6, 12]
            guard periods.contains(terms.couponMonths) else {
                throw MalformedInput(
                    .invalidValue, "coupon months are 1, 3, 6 or 12 (0 for a zero-coupon bond), got \(terms.couponMonths)")
            }
        case .fund:
            break
        }
        try rules.validate()
    }
}

extension LockHolding {
    func validate() throws(MalformedInput) {
        guard !reason.isEmpty, reason.utf8.count <= Limits.maxMemoBytes else {
            throw MalformedInput(.invalidValue, "a lock states its reason in 1 to \(Limits.maxMemoBytes) bytes")
        }
        guard until.map({ $0.milliseconds > 0 && $0.milliseconds <= Limits.maxTimestampMilliseconds }) ?? true else {
            throw MalformedInput(.invalidValue, "a lock's end is a time after 0")
        }
    }
}

extension AttestIdentity {
    func validate() throws(MalformedInput) {
        guard expiresAt.milliseconds <= Limits.maxTimestampMilliseconds else {
            throw MalformedInput(.limitExceeded, "an expiry is at most \(Limits.maxTimestampMilliseconds)")
        }
        guard (tier == 0) == (expiresAt.milliseconds == 0) else {
            throw MalformedInput(.invalidValue, "an identity attestation has a tier and an expiry, or (to withdraw it) neither")
        }
    }
}
