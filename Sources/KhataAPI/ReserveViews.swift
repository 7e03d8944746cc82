import KhataBytes
import KhataCore
import KhataLiabilities

/// `GET /v1/reserves`: the currency's backing now, the policy, and the latest
/// liabilities commitment with the reserves it was compared with.
/// Amounts are exact minor units as strings; `*_text` fields are for people.
public struct ReservesView: Codable, Sendable {
    /// `covered`, `undercovered` (mints refused) or `stale` (mints refused until
    /// attestations or prices are fresh again).
    public let status: String
    public let currency: AssetCode
    public let policy: MonetaryPolicy
    /// The entry that set the policy.
    public let policyIndex: LeafIndex?
    public let now: EvaluationView
    public let liabilities: LiabilitiesView?

    enum CodingKeys: String, CodingKey {
        case status, currency, policy, now, liabilities
        case policyIndex = "policy_index"
    }

    public init(state: LedgerState, evaluation: ReserveEvaluation, policy: MonetaryPolicy, proofsAvailable: Bool) {
        let scale = state.assets[policy.currency]?.scale ?? 0
        status = ReservesView.status(of: evaluation)
        currency = policy.currency
        self.policy = policy
        policyIndex = state.reserves.policyIndex
        now = EvaluationView(evaluation, currencyScale: scale)
        liabilities = state.reserves.liabilities.map { LiabilitiesView($0, currencyScale: scale, proofsAvailable: proofsAvailable) }
    }

    public static func status(of evaluation: ReserveEvaluation) -> String {
        if !evaluation.isFresh { return "stale" }
        return evaluation.isCovered ? "covered" : "undercovered"
    }
}

/// A `ReserveEvaluation` for the API.
public struct EvaluationView: Codable, Sendable {
    public struct AssetView: Codable, Sendable {
        public let asset: AssetCode
        public let scale: UInt8
        public let haircutBasisPoints: UInt16
        /// Fresh attested holdings, minor units of the asset.
        public let amount: Amount
        /// The price relied on (currency minor units per whole unit), nil if too few fresh prices.
        public let price: Amount?
        /// Value after the haircut, currency minor units.
        public let value: String
        public let staleAttestations: Int
        public let attestations: [AttestationView]
        public let prices: [PriceView]

        enum CodingKeys: String, CodingKey {
            case asset, scale, amount, price, value, attestations, prices
            case haircutBasisPoints = "haircut_basis_points"
            case staleAttestations = "stale_attestations"
        }
    }

    public struct AttestationView: Codable, Sendable {
        public let custodian: AccountID
        public let amount: Amount
        public let asOf: Timestamp
        public let report: Digest32?
        public let index: LeafIndex
        enum CodingKeys: String, CodingKey {
            case custodian, amount, report, index
            case asOf = "as_of"
        }
    }

    public struct PriceView: Codable, Sendable {
        public let oracle: AccountID
        public let price: Amount
        public let asOf: Timestamp
        public let index: LeafIndex
        enum CodingKeys: String, CodingKey {
            case oracle, price, index
            case asOf = "as_of"
        }
    }

    public let time: Timestamp
    public let policyVersion: UInt32
    public let supply: Amount
    public let supplyText: String
    /// Haircut reserve value, currency minor units (may exceed 64 bits).
    public let reserveValue: String
    public let reserveValueText: String
    /// Rounded down; nil when nothing is in circulation.
    public let coverageBasisPoints: UInt64?
    public let requiredCoverageBasisPoints: UInt32
    public let covered: Bool
    public let fresh: Bool
    public let assets: [AssetView]

    enum CodingKeys: String, CodingKey {
        case time, supply, covered, fresh, assets
        case policyVersion = "policy_version"
        case supplyText = "supply_text"
        case reserveValue = "reserve_value"
        case reserveValueText = "reserve_value_text"
        case coverageBasisPoints = "coverage_basis_points"
        case requiredCoverageBasisPoints = "required_coverage_basis_points"
    }

    public init(_ evaluation: ReserveEvaluation, currencyScale: UInt8) {
        time = evaluation.time
        policyVersion = evaluation.policyVersion
        supply = Amount(evaluation.supply)
        supplyText = AmountText.format(Amount(evaluation.supply), scale: currencyScale)
        reserveValue = String(evaluation.reserveValue)
        reserveValueText = AmountText.format(evaluation.reserveValue, scale: currencyScale)
        coverageBasisPoints = evaluation.coverageBasisPoints
        requiredCoverageBasisPoints = evaluation.requiredCoverageBasisPoints
        covered = evaluation.isCovered
        fresh = evaluation.isFresh
        assets = evaluation.assets.map { asset in
            AssetView(
                asset: asset.asset, scale: asset.scale, haircutBasisPoints: asset.haircutBasisPoints, amount: Amount(asset.amount),
                price: asset.price.map(Amount.init), value: String(asset.value), staleAttestations: asset.staleAttestations,
                attestations: asset.attestations.map {
                    AttestationView(
                        custodian: $0.value.custodian, amount: $0.value.amount, asOf: $0.value.asOf, report: $0.value.report, index: $0.index)
                },
                prices: asset.prices.map { PriceView(oracle: $0.value.oracle, price: $0.value.price, asOf: $0.value.asOf, index: $0.index) })
        }
    }
}

/// A logged liabilities commitment and what it was compared with.
public struct LiabilitiesView: Codable, Sendable {
    /// The commitment's entry in the log.
    public let index: LeafIndex
    public let commitment: CommitLiabilities
    public let totalText: String
    /// The reserves at the commitment's entry, against its total.
    public let evaluation: EvaluationView
    /// Whether this node holds the tree and can serve holders' proofs.
    public let proofsAvailable: Bool

    enum CodingKeys: String, CodingKey {
        case index, commitment, evaluation
        case totalText = "total_text"
        case proofsAvailable = "proofs_available"
    }

    public init(_ record: LiabilitiesRecord, currencyScale: UInt8, proofsAvailable: Bool) {
        index = record.index
        commitment = record.commitment
        totalText = AmountText.format(record.commitment.total, scale: currencyScale)
        evaluation = EvaluationView(record.evaluation, currencyScale: currencyScale)
        self.proofsAvailable = proofsAvailable
    }
}

/// `GET /v1/reserves/proof/{account}`: a holder's proof and the entry that
/// commits the tree it belongs to. Verify the proof against the commitment
/// decoded from that entry (checked into a cosigned checkpoint), not against
/// `commitment` here, which is a convenience copy.
public struct LiabilityProofView: Codable, Sendable {
    public let index: LeafIndex
    public let commitment: CommitLiabilities
    public let proof: LiabilityProof

    public init(index: LeafIndex, commitment: CommitLiabilities, proof: LiabilityProof) {
        self.index = index
        self.commitment = commitment
        self.proof = proof
    }
}

/// One point of `GET /v1/reserves/history`.
public struct CoverageSample: Codable, Sendable, Equatable {
    public let time: Timestamp
    public let coverageBasisPoints: UInt64?
    public let requiredCoverageBasisPoints: UInt32
    public let supply: Amount
    public let reserveValue: String
    public let status: String

    enum CodingKeys: String, CodingKey {
        case time, supply, status
        case coverageBasisPoints = "coverage_basis_points"
        case requiredCoverageBasisPoints = "required_coverage_basis_points"
        case reserveValue = "reserve_value"
    }

    public init(_ evaluation: ReserveEvaluation) {
        time = evaluation.time
        coverageBasisPoints = evaluation.coverageBasisPoints
        requiredCoverageBasisPoints = evaluation.requiredCoverageBasisPoints
        supply = Amount(evaluation.supply)
        reserveValue = String(evaluation.reserveValue)
        status = ReservesView.status(of: evaluation)
    }

    /// Whether two samples say the same, time aside (the history keeps changes).
    public func sameReading(as other: CoverageSample) -> Bool {
        coverageBasisPoints == other.coverageBasisPoints && requiredCoverageBasisPoints == other.requiredCoverageBasisPoints
            && status == other.status
    }
}

/// `GET /v1/reserves/history`.
public struct CoverageHistoryView: Codable, Sendable {
    public let samples: [CoverageSample]
    public init(samples: [CoverageSample]) { self.samples = samples }
}
