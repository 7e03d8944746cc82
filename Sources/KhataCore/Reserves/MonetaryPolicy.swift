import KhataBytes

/// The rules that back a currency with reserves: which reserve assets count and
/// at what haircut, how much coverage the currency needs, how fresh attestations
/// and prices must be, and who may attest them.
///
/// A policy is data in the log (`SetMonetaryPolicy`), replaced whole by a new
/// version that the current policy's `governance` keys sign (for the first
/// policy, the ledger's issuer keys). docs/RESERVES.md explains each field and
/// the arithmetic that uses it.
public struct MonetaryPolicy: Hashable, Sendable {
    /// 1 for the first policy, then one more than the policy it replaces.
    public var version: UInt32
    /// The currency whose mints the policy governs (INR). Fixed by the first policy.
    public var currency: AssetCode
    /// Who may replace this policy (m of n).
    public var governance: KeySet
    /// Reserve value after haircuts, in basis points of the currency in
    /// circulation, that every mint must leave (10,000 = 100 %).
    public var requiredCoverageBasisPoints: UInt32
    /// How old an attestation may be, at the time of a mint that relies on it.
    public var maxAttestationAgeSeconds: UInt32
    /// How old a price may be, at the time of a mint that relies on it.
    public var maxPriceAgeSeconds: UInt32
    /// How many fresh prices from different oracles a reserve asset needs; the
    /// price relied on is their lower median.
    public var minimumPrices: UInt8
    /// The reserve assets that count, ascending by asset, one each.
    public var reserves: [ReserveRule]
    /// The registered custodians, ascending by account, one each.
    public var custodians: [Attestor]
    /// The registered price oracles, ascending by account, one each.
    public var oracles: [Attestor]

    public init(
        version: UInt32, currency: AssetCode, governance: KeySet, requiredCoverageBasisPoints: UInt32,
        maxAttestationAgeSeconds: UInt32, maxPriceAgeSeconds: UInt32, minimumPrices: UInt8,
        reserves: [ReserveRule], custodians: [Attestor], oracles: [Attestor]
    ) {
        self.version = version
        self.currency = currency
        self.governance = governance
        self.requiredCoverageBasisPoints = requiredCoverageBasisPoints
        self.maxAttestationAgeSeconds = maxAttestationAgeSeconds
        self.maxPriceAgeSeconds = maxPriceAgeSeconds
        self.minimumPrices = minimumPrices
        self.reserves = reserves
        self.custodians = custodians
        self.oracles = oracles
    }

    /// The rule for a reserve asset, if the policy counts it.
    public func rule(for asset: AssetCode) -> ReserveRule? { reserves.first { $0.asset == asset } }

    /// Whether `account` is a custodian registered to attest `asset`.
    public func isCustodian(_ account: AccountID, of asset: AssetCode) -> Bool {
        custodians.contains { $0.account == account && $0.assets.contains(asset) }
    }

    /// Whether `account` is an oracle registered to price `asset`.
    public func isOracle(_ account: AccountID, of asset: AssetCode) -> Bool {
        oracles.contains { $0.account == account && $0.assets.contains(asset) }
    }
}

/// How one reserve asset counts towards coverage.
public struct ReserveRule: Hashable, Sendable, Codable {
    public var asset: AssetCode
    /// The share of the asset's value that does not count, in basis points
    /// (2,000 = a 20 % haircut; 10,000 = counts for nothing).
    public var haircutBasisPoints: UInt16

    public init(asset: AssetCode, haircutBasisPoints: UInt16) {
        self.asset = asset
        self.haircutBasisPoints = haircutBasisPoints
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case asset
        case haircutBasisPoints = "haircut_basis_points"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a reserve rule")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        asset = try c.decode(AssetCode.self, forKey: .asset)
        haircutBasisPoints = try c.decode(UInt16.self, forKey: .haircutBasisPoints)
    }
}

/// A custodian or oracle registered by a policy: its account, whose controllers
/// sign its attestations, and the reserve assets it may attest.
public struct Attestor: Hashable, Sendable, Codable {
    public var account: AccountID
    /// Ascending, one each; every one is a reserve asset of the policy.
    public var assets: [AssetCode]

    public init(account: AccountID, assets: [AssetCode]) {
        self.account = account
        self.assets = assets
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case account, assets }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a custodian or oracle")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        account = try c.decode(AccountID.self, forKey: .account)
        assets = try c.decode([AssetCode].self, forKey: .assets)
    }
}

// MARK: - Stateless checks

extension MonetaryPolicy {
    /// The checks that need no ledger state: bounds, canonical order, ranges.
    /// `LedgerState` checks the rest (the assets exist and have the right kinds,
    /// the attestors' accounts exist, the version follows the current one).
    func validate() throws(MalformedInput) {
        guard (1...Limits.maxCoverageBasisPoints).contains(requiredCoverageBasisPoints) else {
            throw MalformedInput(
                .invalidValue, "required coverage is 1 to \(Limits.maxCoverageBasisPoints) basis points, got \(requiredCoverageBasisPoints)")
        }
        guard maxAttestationAgeSeconds > 0, maxPriceAgeSeconds > 0 else {
            throw MalformedInput(.invalidValue, "the maximum ages of attestations and prices must be at least one second")
        }
        guard minimumPrices > 0 else { throw MalformedInput(.invalidValue, "a policy needs at least one price per reserve asset") }
        guard (1...Limits.maxReserveAssets).contains(reserves.count) else {
            throw MalformedInput(.limitExceeded, "a policy has 1 to \(Limits.maxReserveAssets) reserve assets, got \(reserves.count)")
        }
        try MonetaryPolicy.requireAscending(reserves.map(\.asset), "reserve assets")
        for rule in reserves where rule.haircutBasisPoints > 10_000 {
            throw MalformedInput(.invalidValue, "the haircut of \(rule.asset) is \(rule.haircutBasisPoints) basis points; at most 10000")
        }
        guard !reserves.contains(where: { $0.asset == currency }) else {
            throw MalformedInput(.invalidValue, "\(currency) cannot be a reserve of itself")
        }
        for (attestors, role) in [(custodians, "custodians"), (oracles, "oracles")] {
            guard attestors.count <= Limits.maxAttestors else {
                throw MalformedInput(.limitExceeded, "a policy registers at most \(Limits.maxAttestors) \(role), got \(attestors.count)")
            }
            try MonetaryPolicy.requireAscending(attestors.map(\.account), role)
            for attestor in attestors {
                guard !attestor.assets.isEmpty else { throw MalformedInput(.invalidValue, "\(role): \(attestor.account) attests no asset") }
                try MonetaryPolicy.requireAscending(attestor.assets, "the assets of \(attestor.account)")
                // Custodians attest reserves only; oracles may also price other
                // assets (a foreign currency, for remittances' mid rates, docs/PAYMENTS.md),
                // which no coverage counts.
                for asset in attestor.assets where role == "custodians" ? rule(for: asset) == nil : asset == currency {
                    throw MalformedInput(
                        .invalidValue,
                        role == "custodians"
                            ? "custodians: \(attestor.account) names \(asset), which is not a reserve asset of the policy"
                            : "oracles: \(attestor.account) prices \(asset), the policy's own currency")
                }
            }
        }
        for rule in reserves {
            let pricing = oracles.filter { $0.assets.contains(rule.asset) }.count
            guard pricing >= Int(minimumPrices) else {
                throw MalformedInput(
                    .invalidValue, "\(rule.asset) has \(pricing) registered oracles but the policy needs \(minimumPrices) prices")
            }
        }
    }

    private static func requireAscending<T: Comparable>(_ values: [T], _ what: String) throws(MalformedInput) {
        for i in values.indices.dropFirst() where !(values[i - 1] < values[i]) {
            throw MalformedInput(.nonCanonical, "\(what) must be ascending and without repeats")
        }
    }
}

// MARK: - Canonical encoding

extension ByteWriter {
    /// docs/ENCODING.md, "Monetary policy".
    public mutating func write(policy: MonetaryPolicy) {
        write(policy.version)
        write(asset: policy.currency)
        write(keySet: policy.governance)
        write(policy.requiredCoverageBasisPoints)
        write(policy.maxAttestationAgeSeconds)
        write(policy.maxPriceAgeSeconds)
        write(policy.minimumPrices)
        write(UInt8(policy.reserves.count))
        for rule in policy.reserves {
            write(asset: rule.asset)
            write(rule.haircutBasisPoints)
        }
        for attestors in [policy.custodians, policy.oracles] {
            write(UInt8(attestors.count))
            for attestor in attestors {
                write(id: attestor.account)
                write(UInt8(attestor.assets.count))
                for asset in attestor.assets { write(asset: asset) }
            }
        }
    }
}

extension ByteReader {
    public mutating func readPolicy() throws(MalformedInput) -> MonetaryPolicy {
        let version = try readUInt32("policy version")
        let currency = try readAssetCode()
        let governance = try readKeySet()
        let coverage = try readUInt32("required coverage")
        let attestationAge = try readUInt32("maximum attestation age")
        let priceAge = try readUInt32("maximum price age")
        let minimumPrices = try readUInt8("minimum prices")
        let reserveCount = Int(try readUInt8("reserve count"))
        guard reserveCount <= Limits.maxReserveAssets else {
            throw MalformedInput(.limitExceeded, "a policy has at most \(Limits.maxReserveAssets) reserve assets, got \(reserveCount)")
        }
        var reserves: [ReserveRule] = []
        for _ in 0..<reserveCount {
            reserves.append(ReserveRule(asset: try readAssetCode(), haircutBasisPoints: try readUInt16("haircut")))
        }
        let custodians = try readAttestors()
        let oracles = try readAttestors()
        let policy = MonetaryPolicy(
            version: version, currency: currency, governance: governance, requiredCoverageBasisPoints: coverage,
            maxAttestationAgeSeconds: attestationAge, maxPriceAgeSeconds: priceAge, minimumPrices: minimumPrices,
            reserves: reserves, custodians: custodians, oracles: oracles)
        try policy.validate()
        return policy
    }

    private mutating func readAttestors() throws(MalformedInput) -> [Attestor] {
        let count = Int(try readUInt8("attestor count"))
        guard count <= Limits.maxAttestors else {
            throw MalformedInput(.limitExceeded, "a policy registers at most \(Limits.maxAttestors) attestors of a kind, got \(count)")
        }
        var attestors: [Attestor] = []
        for _ in 0..<count {
            let account = try readID(AccountID.self, "attestor account")
            let assetCount = Int(try readUInt8("attestor asset count"))
            guard assetCount <= Limits.maxReserveAssets else {
                throw MalformedInput(.limitExceeded, "an attestor names at most \(Limits.maxReserveAssets) assets, got \(assetCount)")
            }
            var assets: [AssetCode] = []
            for _ in 0..<assetCount { assets.append(try readAssetCode()) }
            attestors.append(Attestor(account: account, assets: assets))
        }
        return attestors
    }
}

// MARK: - JSON

extension MonetaryPolicy: Codable {
    private enum CodingKeys: String, CodingKey, CaseIterable {
        case version, currency, governance
        case requiredCoverageBasisPoints = "required_coverage_basis_points"
        case maxAttestationAgeSeconds = "max_attestation_age_seconds"
        case maxPriceAgeSeconds = "max_price_age_seconds"
        case minimumPrices = "minimum_prices"
        case reserves, custodians, oracles
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a monetary policy")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            version: try c.decode(UInt32.self, forKey: .version), currency: try c.decode(AssetCode.self, forKey: .currency),
            governance: try c.decode(KeySet.self, forKey: .governance),
            requiredCoverageBasisPoints: try c.decode(UInt32.self, forKey: .requiredCoverageBasisPoints),
            maxAttestationAgeSeconds: try c.decode(UInt32.self, forKey: .maxAttestationAgeSeconds),
            maxPriceAgeSeconds: try c.decode(UInt32.self, forKey: .maxPriceAgeSeconds),
            minimumPrices: try c.decode(UInt8.self, forKey: .minimumPrices), reserves: try c.decode([ReserveRule].self, forKey: .reserves),
            custodians: try c.decode([Attestor].self, forKey: .custodians), oracles: try c.decode([Attestor].self, forKey: .oracles))
    }
}
