import KhataBytes
import KhataEd25519

// The JSON form of laws and of the zone operations (docs/LAWS.md,
// docs/ENCODING.md "JSON form"). Amounts are strings of digits; a cap that is
// absent is no limit. Unknown fields are refused.

extension Law: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case document, url
        case utcOffsetMinutes = "utc_offset_minutes"
        case currency, providers, tiers
        case allowedAssets = "allowed_assets"
        case withholdingBasisPoints = "withholding_basis_points"
        case treasury, corridors
        case exitLevyBasisPoints = "exit_levy_basis_points"
        case entryMinimumTier = "entry_minimum_tier"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a law")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                document: try c.decode(Digest32.self, forKey: .document), url: try c.decodeIfPresent(String.self, forKey: .url) ?? "",
                utcOffsetMinutes: try c.decodeIfPresent(Int16.self, forKey: .utcOffsetMinutes) ?? 0,
                currency: try c.decodeIfPresent(AssetCode.self, forKey: .currency),
                providers: try c.decodeIfPresent([ProviderGrant].self, forKey: .providers) ?? [],
                tiers: try c.decodeIfPresent([TierLimits].self, forKey: .tiers) ?? [],
                allowedAssets: try c.decodeIfPresent([AssetCode].self, forKey: .allowedAssets) ?? [],
                withholdingBasisPoints: try c.decodeIfPresent(UInt16.self, forKey: .withholdingBasisPoints) ?? 0,
                treasury: try c.decodeIfPresent(AccountID.self, forKey: .treasury),
                corridors: try c.decodeIfPresent([Corridor].self, forKey: .corridors) ?? [],
                exitLevyBasisPoints: try c.decodeIfPresent(UInt16.self, forKey: .exitLevyBasisPoints) ?? 0,
                entryMinimumTier: try c.decodeIfPresent(UInt8.self, forKey: .entryMinimumTier) ?? 0)
        } catch let error as MalformedInput {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(document, forKey: .document)
        try c.encode(url, forKey: .url)
        try c.encode(utcOffsetMinutes, forKey: .utcOffsetMinutes)
        try c.encodeIfPresent(currency, forKey: .currency)
        try c.encode(providers, forKey: .providers)
        try c.encode(tiers, forKey: .tiers)
        try c.encode(allowedAssets, forKey: .allowedAssets)
        try c.encode(withholdingBasisPoints, forKey: .withholdingBasisPoints)
        try c.encodeIfPresent(treasury, forKey: .treasury)
        try c.encode(corridors, forKey: .corridors)
        try c.encode(exitLevyBasisPoints, forKey: .exitLevyBasisPoints)
        try c.encode(entryMinimumTier, forKey: .entryMinimumTier)
    }
}

extension ProviderGrant: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case account
        case maxTier = "max_tier"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "an identity provider grant")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(account: try c.decode(AccountID.self, forKey: .account), maxTier: try c.decode(UInt8.self, forKey: .maxTier))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(account, forKey: .account)
        try c.encode(maxTier, forKey: .maxTier)
    }
}

extension TierLimits: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case perPayment = "per_payment"
        case daily, monthly, balance
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a tier's limits")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            perPayment: try c.decodeIfPresent(Amount.self, forKey: .perPayment), daily: try c.decodeIfPresent(Amount.self, forKey: .daily),
            monthly: try c.decodeIfPresent(Amount.self, forKey: .monthly), balance: try c.decodeIfPresent(Amount.self, forKey: .balance))
        guard [perPayment, daily, monthly, balance].allSatisfy({ $0?.units != UInt64.max }) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a cap of 2^64 − 1 is written as no cap (absent)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(perPayment, forKey: .perPayment)
        try c.encodeIfPresent(daily, forKey: .daily)
        try c.encodeIfPresent(monthly, forKey: .monthly)
        try c.encodeIfPresent(balance, forKey: .balance)
    }
}

extension Corridor: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case direction, zone
        case levyBasisPoints = "levy_basis_points"
        case levyFloor = "levy_floor"
        case levyCap = "levy_cap"
        case maxPerPayment = "max_per_payment"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a corridor")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .direction)
        guard let direction = Direction(name: name) else {
            throw DecodingError.dataCorruptedError(forKey: .direction, in: c, debugDescription: "a corridor's direction is outbound or inbound")
        }
        // "any" names every other zone.
        let zone: ZoneID
        if let any = try? c.decode(String.self, forKey: .zone), any == "any" {
            zone = Corridor.anyZone
        } else {
            zone = try c.decode(ZoneID.self, forKey: .zone)
        }
        self.init(
            direction: direction, zone: zone, levyBasisPoints: try c.decodeIfPresent(UInt16.self, forKey: .levyBasisPoints) ?? 0,
            levyFloor: try c.decodeIfPresent(Amount.self, forKey: .levyFloor) ?? .zero, levyCap: try c.decodeIfPresent(Amount.self, forKey: .levyCap),
            maxPerPayment: try c.decodeIfPresent(Amount.self, forKey: .maxPerPayment))
        guard levyCap?.units != UInt64.max, maxPerPayment?.units != UInt64.max else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a cap of 2^64 − 1 is written as no cap (absent)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(direction.name, forKey: .direction)
        if zone == Corridor.anyZone { try c.encode("any", forKey: .zone) } else { try c.encode(zone, forKey: .zone) }
        try c.encode(levyBasisPoints, forKey: .levyBasisPoints)
        try c.encode(levyFloor, forKey: .levyFloor)
        try c.encodeIfPresent(levyCap, forKey: .levyCap)
        try c.encodeIfPresent(maxPerPayment, forKey: .maxPerPayment)
    }
}

extension Governance: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case votingSeconds = "voting_seconds"
        case quorum, threshold, vetoes
        case timelockSeconds = "timelock_seconds"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a zone's governance")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            votingSeconds: try c.decode(UInt32.self, forKey: .votingSeconds), quorum: try c.decode(UInt8.self, forKey: .quorum),
            threshold: try c.decode(UInt8.self, forKey: .threshold), vetoes: try c.decodeIfPresent(UInt8.self, forKey: .vetoes) ?? 0,
            timelockSeconds: try c.decode(UInt32.self, forKey: .timelockSeconds))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(votingSeconds, forKey: .votingSeconds)
        try c.encode(quorum, forKey: .quorum)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(vetoes, forKey: .vetoes)
        try c.encode(timelockSeconds, forKey: .timelockSeconds)
    }
}

extension RegisterZone: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case zone, name, governors, guardian, governance, law }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                zone: try c.decode(ZoneID.self, forKey: .zone), name: try c.decode(String.self, forKey: .name),
                governors: try c.decode([PublicKey].self, forKey: .governors), guardian: try c.decode(PublicKey.self, forKey: .guardian),
                governance: try c.decode(Governance.self, forKey: .governance), law: try c.decode(Law.self, forKey: .law))
        } catch let error as MalformedInput {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(zone, forKey: .zone)
        try c.encode(name, forKey: .name)
        try c.encode(governors, forKey: .governors)
        try c.encode(guardian, forKey: .guardian)
        try c.encode(governance, forKey: .governance)
        try c.encode(law, forKey: .law)
    }
}

extension VoteLaw.Choice: Codable {
    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let choice = Self(name: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a vote is yes, no or veto"))
        }
        self = choice
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}
