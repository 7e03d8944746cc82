import KhataBytes
import KhataEd25519

// The JSON form of the payment operations (docs/PAYMENTS.md, docs/ENCODING.md
// "JSON form"). Amounts and rates are strings of digits, times milliseconds
// since 1970; unknown fields are refused (the operation's list of fields is
// its `CodingKeys`).

/// Runs `make`, turning a structural refusal (`MalformedInput`) into a decoding error at `decoder`'s path.
func decodingValidated<T>(_ decoder: any Decoder, _ make: () throws -> T) throws -> T {
    do {
        return try make()
    } catch let error as MalformedInput {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
    }
}

extension ProviderRoles: Codable {
    public init(from decoder: any Decoder) throws {
        var roles: ProviderRoles = []
        for name in try decoder.singleValueContainer().decode([String].self) {
            switch name {
            case "addresses": roles.insert(.addresses)
            case "exchange": roles.insert(.exchange)
            default:
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "a provider's roles are addresses and exchange"))
            }
        }
        self = roles
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(names)
    }
}

extension RegisterProvider: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case displayName = "display_name"
        case account, roles
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = try decodingValidated(decoder) {
            try RegisterProvider(
                name: try c.decode(String.self, forKey: .name), displayName: try c.decode(String.self, forKey: .displayName),
                account: try c.decode(AccountID.self, forKey: .account), roles: try c.decode(ProviderRoles.self, forKey: .roles))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(displayName, forKey: .displayName)
        try c.encode(account, forKey: .account)
        try c.encode(roles, forKey: .roles)
    }
}

extension BindAddress: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case address, account
        case displayName = "display_name"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = try decodingValidated(decoder) {
            try BindAddress(
                address: try c.decode(PaymentAddress.self, forKey: .address), account: try c.decode(AccountID.self, forKey: .account),
                displayName: try c.decode(String.self, forKey: .displayName))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(address, forKey: .address)
        try c.encode(account, forKey: .account)
        try c.encode(displayName, forKey: .displayName)
    }
}

extension RequestPayment: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case payee, payer, asset, amount, memo
        case expiresInSeconds = "expires_in_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = try decodingValidated(decoder) {
            try RequestPayment(
                payee: try c.decode(AccountID.self, forKey: .payee), payer: try c.decode(AccountID.self, forKey: .payer),
                asset: try c.decode(AssetCode.self, forKey: .asset), amount: try c.decode(Amount.self, forKey: .amount),
                memo: try c.decodeIfPresent(String.self, forKey: .memo) ?? "", expiresInSeconds: try c.decode(UInt32.self, forKey: .expiresInSeconds))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(payee, forKey: .payee)
        try c.encode(payer, forKey: .payer)
        try c.encode(asset, forKey: .asset)
        try c.encode(amount, forKey: .amount)
        try c.encode(memo, forKey: .memo)
        try c.encode(expiresInSeconds, forKey: .expiresInSeconds)
    }
}

extension CreateMandate: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case payer, payee, asset
        case maxPerDebit = "max_per_debit"
        case periodSeconds = "period_seconds"
        case start, end, memo
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = try decodingValidated(decoder) {
            try CreateMandate(
                payer: try c.decode(AccountID.self, forKey: .payer), payee: try c.decode(AccountID.self, forKey: .payee),
                asset: try c.decode(AssetCode.self, forKey: .asset), maxPerDebit: try c.decode(Amount.self, forKey: .maxPerDebit),
                periodSeconds: try c.decode(UInt32.self, forKey: .periodSeconds), start: try c.decode(Timestamp.self, forKey: .start),
                end: try c.decode(Timestamp.self, forKey: .end), memo: try c.decodeIfPresent(String.self, forKey: .memo) ?? "")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(payer, forKey: .payer)
        try c.encode(payee, forKey: .payee)
        try c.encode(asset, forKey: .asset)
        try c.encode(maxPerDebit, forKey: .maxPerDebit)
        try c.encode(periodSeconds, forKey: .periodSeconds)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
        try c.encode(memo, forKey: .memo)
    }
}

extension CollectMandate: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case mandate, amount, memo }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = try decodingValidated(decoder) {
            try CollectMandate(
                mandate: try c.decode(OperationRef.self, forKey: .mandate), amount: try c.decode(Amount.self, forKey: .amount),
                memo: try c.decodeIfPresent(String.self, forKey: .memo) ?? "")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mandate, forKey: .mandate)
        try c.encode(amount, forKey: .amount)
        try c.encode(memo, forKey: .memo)
    }
}

extension Quote: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case provider, id, from, to, rate, fee
        case minAmount = "min_amount"
        case maxAmount = "max_amount"
        case capacity
        case expiresAt = "expires_at"
        case key, signature
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a quote")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let rateText = try c.decode(String.self, forKey: .rate)
        guard let rate = Amount.parseDigits(Array(rateText.utf8)) else {
            throw DecodingError.dataCorruptedError(
                forKey: .rate, in: c, debugDescription: "a rate is a string of digits (minor units of `to` per 10^8 of `from`)")
        }
        let signatureText = try c.decode(String.self, forKey: .signature)
        guard let signature = Hex.decode(signatureText), signature.count == 64 else {
            throw DecodingError.dataCorruptedError(forKey: .signature, in: c, debugDescription: "a signature is 64 bytes as 128 hex digits")
        }
        self = try decodingValidated(decoder) {
            try Quote(
                provider: try c.decode(String.self, forKey: .provider), id: try c.decode(UInt64.self, forKey: .id),
                from: try c.decode(AssetCode.self, forKey: .from), to: try c.decode(AssetCode.self, forKey: .to), rate: rate,
                fee: try c.decode(Amount.self, forKey: .fee), minAmount: try c.decode(Amount.self, forKey: .minAmount),
                maxAmount: try c.decode(Amount.self, forKey: .maxAmount), capacity: try c.decode(Amount.self, forKey: .capacity),
                expiresAt: try c.decode(Timestamp.self, forKey: .expiresAt), key: try c.decode(PublicKey.self, forKey: .key), signature: signature)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(provider, forKey: .provider)
        try c.encode(id, forKey: .id)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encode(String(rate), forKey: .rate)
        try c.encode(fee, forKey: .fee)
        try c.encode(minAmount, forKey: .minAmount)
        try c.encode(maxAmount, forKey: .maxAmount)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(key, forKey: .key)
        try c.encode(Hex.encode(signature), forKey: .signature)
    }
}

extension Remit: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case quote, sender, recipient, amount
        case timeoutSeconds = "timeout_seconds"
        case memo
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = try decodingValidated(decoder) {
            try Remit(
                quote: try c.decode(Quote.self, forKey: .quote), sender: try c.decode(AccountID.self, forKey: .sender),
                recipient: try c.decode(AccountID.self, forKey: .recipient), amount: try c.decode(Amount.self, forKey: .amount),
                timeoutSeconds: try c.decodeIfPresent(UInt32.self, forKey: .timeoutSeconds) ?? 0,
                memo: try c.decodeIfPresent(String.self, forKey: .memo) ?? "")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(quote, forKey: .quote)
        try c.encode(sender, forKey: .sender)
        try c.encode(recipient, forKey: .recipient)
        try c.encode(amount, forKey: .amount)
        try c.encode(timeoutSeconds, forKey: .timeoutSeconds)
        try c.encode(memo, forKey: .memo)
    }
}

extension RefundRemittance: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case remittance, amount }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = try decodingValidated(decoder) {
            try RefundRemittance(remittance: try c.decode(OperationRef.self, forKey: .remittance), amount: try c.decode(Amount.self, forKey: .amount))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(remittance, forKey: .remittance)
        try c.encode(amount, forKey: .amount)
    }
}
