/// The reserves behind the policy's currency at one moment, and whether they
/// cover a given supply: what every mint checks, what the API reports and what
/// a liabilities commitment records.
///
/// Which inputs a mint relies on (docs/RESERVES.md, "What a mint relies on"):
/// every registered custodian's latest attestation for each reserve asset (each
/// must be fresh: a custodian that has gone quiet stops minting rather than
/// being silently dropped), and for each reserve asset with attested holdings
/// the fresh prices of its registered oracles, of which at least
/// `minimumPrices` are needed; the lower median of those is the price.
public struct ReserveEvaluation: Hashable, Sendable {
    public let policyVersion: UInt32
    public let time: Timestamp
    public let supply: UInt64
    public let requiredCoverageBasisPoints: UInt32
    public let assets: [AssetValuation]
    /// The sum of the assets' haircut values, in the currency's minor units.
    public let reserveValue: UInt128

    /// Whether every input relied on is fresh enough.
    public var isFresh: Bool { assets.allSatisfy(\.isFresh) }
    /// Whether the reserve value covers the supply at the required coverage
    /// (regardless of freshness).
    public var isCovered: Bool {
        CoverageArithmetic.isCovered(reserveValue: reserveValue, supply: supply, requiredBasisPoints: requiredCoverageBasisPoints)
    }
    /// Coverage in basis points (rounded down), nil when nothing is in circulation.
    public var coverageBasisPoints: UInt64? { CoverageArithmetic.coverageBasisPoints(reserveValue: reserveValue, supply: supply) }

    /// Why a mint against this evaluation is refused, if it is.
    public var mintRejection: RejectionCode? {
        if !isFresh { return .reserveDataStale }
        if !isCovered { return .coverageInsufficient }
        return nil
    }
}

/// One reserve asset's part in an evaluation.
public struct AssetValuation: Hashable, Sendable {
    public let asset: AssetCode
    public let scale: UInt8
    public let haircutBasisPoints: UInt16
    /// The latest attestation of each registered custodian of the asset.
    public let attestations: [Logged<AttestReserve>]
    /// The latest price of each registered oracle of the asset.
    public let prices: [Logged<AttestPrice>]
    /// Attestations older than the policy allows.
    public let staleAttestations: Int
    /// The sum of the fresh attestations (saturated at 2^64 − 1).
    public let amount: UInt64
    /// The lower median of the fresh prices, or nil if there are fewer than the policy needs.
    public let price: UInt64?
    /// The value after the haircut, in the currency's minor units.
    public let value: UInt128

    /// No stale attestation, and a price whenever there are holdings to value.
    public var isFresh: Bool { staleAttestations == 0 && (amount == 0 || price != nil) }
}

extension ReserveState {
    /// Evaluates the reserves at `time` against `supply`; nil when there is no policy.
    /// Costs O(attestors × assets).
    public func evaluate(at time: Timestamp, supply: UInt64, assets registry: [AssetCode: Asset]) -> ReserveEvaluation? {
        guard let policy else { return nil }
        var valuations: [AssetValuation] = []
        var total: UInt128 = 0
        for rule in policy.reserves {
            let valuation = value(rule, policy: policy, at: time, scale: registry[rule.asset]?.scale ?? 0)
            total = CoverageArithmetic.saturatingAdd(total, valuation.value)
            valuations.append(valuation)
        }
        return ReserveEvaluation(
            policyVersion: policy.version, time: time, supply: supply,
            requiredCoverageBasisPoints: policy.requiredCoverageBasisPoints, assets: valuations, reserveValue: total)
    }

    private func value(_ rule: ReserveRule, policy: MonetaryPolicy, at time: Timestamp, scale: UInt8) -> AssetValuation {
        let attestationAge = UInt64(policy.maxAttestationAgeSeconds) * 1_000
        let priceAge = UInt64(policy.maxPriceAgeSeconds) * 1_000
        let attested = policy.custodians.filter { $0.assets.contains(rule.asset) }
            .compactMap { attestations[AttestorKey(account: $0.account, asset: rule.asset)] }
        let priced = policy.oracles.filter { $0.assets.contains(rule.asset) }
            .compactMap { prices[AttestorKey(account: $0.account, asset: rule.asset)] }
        var amount: UInt64 = 0
        var stale = 0
        for logged in attested {
            guard isFresh(logged.value.asOf, at: time, maxAge: attestationAge) else {
                stale += 1
                continue
            }
            let (sum, overflow) = amount.addingReportingOverflow(logged.value.amount.units)
            amount = overflow ? .max : sum
        }
        let fresh = priced.filter { isFresh($0.value.asOf, at: time, maxAge: priceAge) }.map(\.value.price.units)
        let price = fresh.count >= Int(policy.minimumPrices) ? CoverageArithmetic.lowerMedian(fresh) : nil
        let value =
            price.map {
                CoverageArithmetic.haircutValue(amount: amount, price: $0, scale: scale, haircutBasisPoints: rule.haircutBasisPoints)
            } ?? 0
        return AssetValuation(
            asset: rule.asset, scale: scale, haircutBasisPoints: rule.haircutBasisPoints, attestations: attested, prices: priced,
            staleAttestations: stale, amount: amount, price: price, value: value)
    }

    /// Whether something observed at `asOf` may still be relied on at `time`.
    private func isFresh(_ asOf: Timestamp, at time: Timestamp, maxAge: UInt64) -> Bool {
        asOf.milliseconds + maxAge >= time.milliseconds
    }
}
