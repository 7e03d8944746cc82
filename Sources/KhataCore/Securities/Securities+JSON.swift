import KhataBytes

// The JSON form of the stockchain's operations (docs/ENCODING.md, "JSON form";
// docs/STOCKCHAIN.md). Fields beside "type" in the operation's object, as for
// the reserve operations; unknown fields are refused.

extension RegisterInstrument: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case asset, kind, scale, issuer
        case issuanceAccount = "issuance_account"
        case name, document, authorised, currency, terms, rules
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(AssetKind.self, forKey: .kind)
        let terms: InstrumentTerms
        switch kind {
        case .equity: terms = .equity(try c.decode(EquityTerms.self, forKey: .terms))
        case .bond: terms = .bond(try c.decode(BondTerms.self, forKey: .terms))
        case .fund:
            // A fund has no terms beyond the instrument's: `terms` is absent or {}.
            if c.contains(.terms) { try c.superDecoder(forKey: .terms).refuseUnknownKeys([], in: "a fund's terms") }
            terms = .fund
        case .currency, .reserve:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "an instrument is an equity, a bond or a fund")
        }
        self.init(
            asset: try c.decode(AssetCode.self, forKey: .asset), scale: try c.decodeIfPresent(UInt8.self, forKey: .scale) ?? 0,
            issuer: try c.decode(AccountID.self, forKey: .issuer), issuanceAccount: try c.decode(AccountID.self, forKey: .issuanceAccount),
            name: try c.decode(String.self, forKey: .name), document: try c.decode(Digest32.self, forKey: .document),
            authorised: try c.decode(Amount.self, forKey: .authorised), currency: try c.decode(AssetCode.self, forKey: .currency),
            terms: terms, rules: try c.decodeIfPresent(InstrumentRules.self, forKey: .rules) ?? .open)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(asset, forKey: .asset)
        try c.encode(kind, forKey: .kind)
        try c.encode(scale, forKey: .scale)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(issuanceAccount, forKey: .issuanceAccount)
        try c.encode(name, forKey: .name)
        try c.encode(document, forKey: .document)
        try c.encode(authorised, forKey: .authorised)
        try c.encode(currency, forKey: .currency)
        switch terms {
        case .equity(let terms): try c.encode(terms, forKey: .terms)
        case .bond(let terms): try c.encode(terms, forKey: .terms)
        case .fund: _ = c.nestedContainer(keyedBy: AnyJSONKey.self, forKey: .terms)
        }
        try c.encode(rules, forKey: .rules)
    }
}

extension EquityTerms: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case shareClass = "class"
        case parValue = "par_value"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "an equity's terms")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(shareClass: try c.decode(String.self, forKey: .shareClass), parValue: try c.decode(Amount.self, forKey: .parValue))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(shareClass, forKey: .shareClass)
        try c.encode(parValue, forKey: .parValue)
    }
}

extension BondTerms: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case faceValue = "face_value"
        case couponBasisPoints = "coupon_basis_points"
        case couponMonths = "coupon_months"
        case maturity
        case dayCount = "day_count"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a bond's terms")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let dayCountName = try c.decode(String.self, forKey: .dayCount)
        guard let dayCount = DayCount(name: dayCountName) else {
            throw DecodingError.dataCorruptedError(
                forKey: .dayCount, in: c, debugDescription: "a day count is 30/360, actual/365 or actual/actual")
        }
        self.init(
            faceValue: try c.decode(Amount.self, forKey: .faceValue), couponBasisPoints: try c.decode(UInt32.self, forKey: .couponBasisPoints),
            couponMonths: try c.decode(UInt8.self, forKey: .couponMonths), maturity: try c.decode(Timestamp.self, forKey: .maturity),
            dayCount: dayCount)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(faceValue, forKey: .faceValue)
        try c.encode(couponBasisPoints, forKey: .couponBasisPoints)
        try c.encode(couponMonths, forKey: .couponMonths)
        try c.encode(maturity, forKey: .maturity)
        try c.encode(dayCount.name, forKey: .dayCount)
    }
}

extension InstrumentRules: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case agent
        case minimumTier = "minimum_tier"
        case identityProviders = "identity_providers"
        case maxHolders = "max_holders"
        case maxHolding = "max_holding"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "an instrument's rules")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                agent: try c.decodeIfPresent(KeySet.self, forKey: .agent), minimumTier: try c.decodeIfPresent(UInt8.self, forKey: .minimumTier) ?? 0,
                identityProviders: try c.decodeIfPresent([AccountID].self, forKey: .identityProviders) ?? [],
                maxHolders: try c.decodeIfPresent(UInt32.self, forKey: .maxHolders) ?? 0,
                maxHolding: try c.decodeIfPresent(Amount.self, forKey: .maxHolding) ?? .zero)
        } catch let error as MalformedInput {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(agent, forKey: .agent)
        try c.encode(minimumTier, forKey: .minimumTier)
        try c.encode(identityProviders, forKey: .identityProviders)
        try c.encode(maxHolders, forKey: .maxHolders)
        try c.encode(maxHolding, forKey: .maxHolding)
    }
}

extension DeclareAction: Codable {
    enum CodingKeys: String, CodingKey {
        case asset, terms
        case escrowAccount = "escrow_account"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            asset: try c.decode(AssetCode.self, forKey: .asset), terms: try c.decode(ActionTerms.self, forKey: .terms),
            escrowAccount: try c.decodeIfPresent(AccountID.self, forKey: .escrowAccount))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(asset, forKey: .asset)
        try c.encode(terms, forKey: .terms)
        try c.encodeIfPresent(escrowAccount, forKey: .escrowAccount)
    }
}

extension ActionTerms: Codable {
    enum CodingKeys: String, CodingKey {
        case kind, amount, per, days, numerator, denominator
        case cashInLieu = "cash_in_lieu"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        let fields: Set<String>
        switch kind {
        case "cash_dividend", "redemption":
            fields = ["kind", "amount", "per"]
            let amount = try c.decode(Amount.self, forKey: .amount)
            let per = try c.decodeIfPresent(Amount.self, forKey: .per) ?? Amount(1)
            self = kind == "redemption" ? .redemption(amount: amount, per: per) : .cashDividend(amount: amount, per: per)
        case "coupon":
            fields = ["kind", "days"]
            self = .coupon(days: try c.decodeIfPresent(UInt16.self, forKey: .days) ?? 0)
        case "ballot":
            fields = ["kind", "question", "options", "closes_at"]
            self = .ballot(try BallotTerms(from: decoder))
        case "split":
            fields = ["kind", "numerator", "denominator", "cash_in_lieu"]
            self = .split(
                numerator: try c.decode(UInt32.self, forKey: .numerator), denominator: try c.decode(UInt32.self, forKey: .denominator),
                cashInLieu: try c.decodeIfPresent(Amount.self, forKey: .cashInLieu) ?? .zero)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c,
                debugDescription: "an action is a cash_dividend, coupon, redemption, split or ballot, not \"\(kind.prefix(40))\"")
        }
        try decoder.refuseUnknownKeys(fields, in: "a \(kind)'s terms")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .kind)
        switch self {
        case .cashDividend(let amount, let per), .redemption(let amount, let per):
            try c.encode(amount, forKey: .amount)
            try c.encode(per, forKey: .per)
        case .coupon(let days):
            try c.encode(days, forKey: .days)
        case .split(let numerator, let denominator, let cash):
            try c.encode(numerator, forKey: .numerator)
            try c.encode(denominator, forKey: .denominator)
            try c.encode(cash, forKey: .cashInLieu)
        case .ballot(let ballot):
            try ballot.encode(to: encoder)
        }
    }
}
