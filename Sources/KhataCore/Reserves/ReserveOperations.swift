import KhataBytes

/// A custodian's statement that it holds `amount` of a reserve asset for the
/// issuer, as of `asOf`. Authorised by the custodian account's controllers; the
/// account must be registered by the monetary policy as a custodian of the
/// asset. Replaces the custodian's previous attestation for the asset.
public struct AttestReserve: Hashable, Sendable, Codable {
    public var custodian: AccountID
    public var asset: AssetCode
    /// In the asset's minor units: satoshis for BTC, milligrams for XAU.
    public var amount: Amount
    /// When the holding was observed; not after the entry's time, and later than
    /// the attestation it replaces.
    public var asOf: Timestamp
    /// SHA-256 of the custodian's audit report, if it published one.
    public var report: Digest32?

    public init(custodian: AccountID, asset: AssetCode, amount: Amount, asOf: Timestamp, report: Digest32? = nil) {
        self.custodian = custodian
        self.asset = asset
        self.amount = amount
        self.asOf = asOf
        self.report = report
    }

    private enum CodingKeys: String, CodingKey {
        case custodian, asset, amount
        case asOf = "as_of"
        case report
    }
}

/// An oracle's statement of the INR price of a reserve asset, as of `asOf`.
/// Authorised by the oracle account's controllers; the account must be
/// registered by the monetary policy as an oracle of the asset. Replaces the
/// oracle's previous price for the asset.
public struct AttestPrice: Hashable, Sendable, Codable {
    public var oracle: AccountID
    public var asset: AssetCode
    /// Minor units of the policy's currency (paise) per whole unit of the asset
    /// (10^scale minor units: one BTC, one gram of XAU).
    public var price: Amount
    public var asOf: Timestamp

    public init(oracle: AccountID, asset: AssetCode, price: Amount, asOf: Timestamp) {
        self.oracle = oracle
        self.asset = asset
        self.price = price
        self.asOf = asOf
    }

    private enum CodingKeys: String, CodingKey {
        case oracle, asset, price
        case asOf = "as_of"
    }
}

/// Replaces the monetary policy. Authorised by the current policy's governance
/// keys, or by the ledger's issuer keys when there is no policy yet.
public struct SetMonetaryPolicy: Hashable, Sendable, Codable {
    public var policy: MonetaryPolicy
    public init(policy: MonetaryPolicy) { self.policy = policy }
}

/// The ledger's commitment to every holding of the policy's currency: the root
/// and total of a Merkle-sum tree (docs/RESERVES.md) over the balances as they
/// stood after `asOf` entries. Authorised by the ledger key alone; the state
/// machine checks that `total` is the supply at `asOf`, so the total cannot
/// understate what the issuer owes.
public struct CommitLiabilities: Hashable, Sendable, Codable {
    public var asset: AssetCode
    /// The number of entries the committed balances reflect (a tree size).
    public var asOf: UInt64
    /// The sum of every leaf: the currency in circulation at `asOf`.
    public var total: Amount
    /// Leaves in the tree: a power of two, padding included.
    public var leafCount: UInt64
    /// The root node's hash.
    public var root: Digest32

    public init(asset: AssetCode, asOf: UInt64, total: Amount, leafCount: UInt64, root: Digest32) {
        self.asset = asset
        self.asOf = asOf
        self.total = total
        self.leafCount = leafCount
        self.root = root
    }

    private enum CodingKeys: String, CodingKey {
        case asset
        case asOf = "as_of"
        case total
        case leafCount = "leaf_count"
        case root
    }
}

extension CommitLiabilities {
    func validate() throws(MalformedInput) {
        guard leafCount.nonzeroBitCount == 1, (Limits.minLiabilityLeaves...Limits.maxLiabilityLeaves).contains(leafCount) else {
            throw MalformedInput(
                .invalidValue,
                "a liabilities tree has a power of two of leaves from \(Limits.minLiabilityLeaves) to \(Limits.maxLiabilityLeaves), got \(leafCount)")
        }
        guard total.units <= Limits.maxLiabilityTotal else {
            throw MalformedInput(.limitExceeded, "a liabilities total is at most \(Limits.maxLiabilityTotal)")
        }
    }
}

// MARK: - Canonical encoding (docs/ENCODING.md, "Operations")

extension ByteWriter {
    mutating func write(attestReserve op: AttestReserve) {
        write(id: op.custodian)
        write(asset: op.asset)
        write(op.amount.units)
        write(op.asOf.milliseconds)
        if let report = op.report {
            write(UInt8(1))
            write(bytes: report.bytes)
        } else {
            write(UInt8(0))
        }
    }

    mutating func write(attestPrice op: AttestPrice) {
        write(id: op.oracle)
        write(asset: op.asset)
        write(op.price.units)
        write(op.asOf.milliseconds)
    }

    mutating func write(commitLiabilities op: CommitLiabilities) {
        write(asset: op.asset)
        write(op.asOf)
        write(op.total.units)
        write(op.leafCount)
        write(bytes: op.root.bytes)
    }
}

extension ByteReader {
    mutating func readAttestReserve() throws(MalformedInput) -> AttestReserve {
        let custodian = try readID(AccountID.self, "custodian account")
        let asset = try readAssetCode()
        let amount = Amount(try readUInt64("amount"))
        let asOf = try readTimestamp("as-of time")
        let report: Digest32?
        switch try readUInt8("report present") {
        case 0: report = nil
        case 1: report = Digest32(bytes: try readBytes(32, "report digest"))
        case let other: throw MalformedInput(.invalidValue, "report present is 0 or 1, got \(other)")
        }
        return AttestReserve(custodian: custodian, asset: asset, amount: amount, asOf: asOf, report: report)
    }

    mutating func readAttestPrice() throws(MalformedInput) -> AttestPrice {
        let oracle = try readID(AccountID.self, "oracle account")
        let asset = try readAssetCode()
        let price = Amount(try readUInt64("price"))
        return AttestPrice(oracle: oracle, asset: asset, price: price, asOf: try readTimestamp("as-of time"))
    }

    mutating func readCommitLiabilities() throws(MalformedInput) -> CommitLiabilities {
        let asset = try readAssetCode()
        let asOf = try readUInt64("as-of size")
        let total = Amount(try readUInt64("total"))
        let leafCount = try readUInt64("leaf count")
        let root = Digest32(bytes: try readBytes(32, "root"))!
        let op = CommitLiabilities(asset: asset, asOf: asOf, total: total, leafCount: leafCount, root: root)
        try op.validate()
        return op
    }

    /// A time in milliseconds, at most `Limits.maxTimestampMilliseconds`.
    mutating func readTimestamp(_ what: StaticString) throws(MalformedInput) -> Timestamp {
        let milliseconds = try readUInt64(what)
        guard milliseconds <= Limits.maxTimestampMilliseconds else {
            throw MalformedInput(.limitExceeded, "\(what) \(milliseconds) is beyond the latest time a ledger accepts")
        }
        return Timestamp(milliseconds: milliseconds)
    }
}
