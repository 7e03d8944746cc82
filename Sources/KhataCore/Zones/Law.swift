import KhataBytes

// A zone's law as data (docs/LAWS.md): the parameters the state machine
// enforces at every commit, beside the hash and address of the text people
// read. A law is content-addressed: its hash is SHA-256 of its canonical
// encoding, and a rejection by one of its rules names that hash.

/// A zone's id: 0 is the mainland; 0xFFFF is reserved ("any other zone" in a corridor).
public typealias ZoneID = UInt16

/// A zone's law: what its accounts may hold, pay and receive, and the levies
/// and withholding due on value that crosses its border.
public struct Law: Hashable, Sendable {
    /// SHA-256 of the law's text.
    public var document: Digest32
    /// Where people read the text (UTF-8, at most `Limits.maxLawURLBytes` bytes).
    public var url: String
    /// The zone's time: its days and months start at midnight at this offset from UTC, in minutes (−720…840).
    public var utcOffsetMinutes: Int16
    /// The asset every cap, levy floor and levy cap is stated in, and the only
    /// asset caps, corridor limits, levies and the exit levy apply to; nil: none of them apply.
    public var currency: AssetCode?
    /// Which identity providers' attestations count, and up to which tier. Ascending by account.
    public var providers: [ProviderGrant]
    /// The limits of each tier: `tiers[t]` binds an account of tier t; an
    /// account above the last tier gets the last. Empty: no limits.
    public var tiers: [TierLimits]
    /// The assets an account of the zone may receive, ascending; empty: any.
    public var allowedAssets: [AssetCode]
    /// Withheld from cash dividends and coupons paid to the zone's accounts, in
    /// basis points (at most 10,000), and paid to the treasury.
    public var withholdingBasisPoints: UInt16
    /// Where levies and withholding go; needed when any is due.
    public var treasury: AccountID?
    /// Levies and limits on payments that cross the zone's border. At most one
    /// per direction and zone, ascending by (direction, zone).
    public var corridors: [Corridor]
    /// Levied on the `currency` balance of an account that moves out, in basis
    /// points; only as declared by the law in force when the account entered.
    public var exitLevyBasisPoints: UInt16
    /// The tier an account must hold to move into the zone.
    public var entryMinimumTier: UInt8

    public init(
        document: Digest32, url: String, utcOffsetMinutes: Int16 = 0, currency: AssetCode? = nil, providers: [ProviderGrant] = [],
        tiers: [TierLimits] = [], allowedAssets: [AssetCode] = [], withholdingBasisPoints: UInt16 = 0, treasury: AccountID? = nil,
        corridors: [Corridor] = [], exitLevyBasisPoints: UInt16 = 0, entryMinimumTier: UInt8 = 0
    ) throws(MalformedInput) {
        self.document = document
        self.url = url
        self.utcOffsetMinutes = utcOffsetMinutes
        self.currency = currency
        self.providers = providers
        self.tiers = tiers
        self.allowedAssets = allowedAssets
        self.withholdingBasisPoints = withholdingBasisPoints
        self.treasury = treasury
        self.corridors = corridors
        self.exitLevyBasisPoints = exitLevyBasisPoints
        self.entryMinimumTier = entryMinimumTier
        try validate()
    }

    /// SHA-256 of the canonical encoding: the law's identity in the log.
    public var hash: Digest32 {
        var writer = ByteWriter(capacity: 256)
        writer.write(law: self)
        return Digest32.sha256(writer.bytes)
    }

    /// The limits binding an account of `tier`; nil when the law sets none.
    public func limits(ofTier tier: UInt8) -> TierLimits? {
        guard !tiers.isEmpty else { return nil }
        return tiers[min(Int(tier), tiers.count - 1)]
    }

    /// The corridor rule for value leaving (`.outbound`) or entering the zone
    /// from or to `zone`: the one naming that zone, else the one for any zone.
    public func corridor(_ direction: Corridor.Direction, _ zone: ZoneID) -> Corridor? {
        var any: Corridor?
        for corridor in corridors where corridor.direction == direction {
            if corridor.zone == zone { return corridor }
            if corridor.zone == Corridor.anyZone { any = corridor }
        }
        return any
    }

    /// The levy this law charges on a payment of `amount` of `asset` leaving
    /// (`.outbound`) or entering its zone from or to `zone`; 0 when none.
    public func levy(on amount: UInt64, of asset: AssetCode, _ direction: Corridor.Direction, _ zone: ZoneID) -> UInt64 {
        guard currency == asset, let corridor = corridor(direction, zone) else { return 0 }
        return corridor.levy(on: amount)
    }

    /// Whether an account of the zone may receive `asset`.
    public func allows(_ asset: AssetCode) -> Bool { allowedAssets.isEmpty || allowedAssets.contains(asset) }

    /// Whether anything the law levies or withholds needs its treasury.
    var levies: Bool {
        withholdingBasisPoints > 0 || exitLevyBasisPoints > 0 || corridors.contains { $0.levyBasisPoints > 0 || !$0.levyFloor.isZero }
    }

    public func validate() throws(MalformedInput) {
        guard url.utf8.count <= Limits.maxLawURLBytes else {
            throw MalformedInput(.limitExceeded, "a law's URL is at most \(Limits.maxLawURLBytes) bytes, got \(url.utf8.count)")
        }
        guard (-720...840).contains(utcOffsetMinutes) else {
            throw MalformedInput(.invalidValue, "a zone's UTC offset is −720 to 840 minutes, got \(utcOffsetMinutes)")
        }
        guard providers.count <= Limits.maxIdentityProviders else {
            throw MalformedInput(.limitExceeded, "a law names at most \(Limits.maxIdentityProviders) identity providers")
        }
        for i in providers.indices.dropFirst() where providers[i - 1].account >= providers[i].account {
            throw MalformedInput(.invalidValue, "a law's identity providers are ascending and distinct")
        }
        guard tiers.count <= Limits.maxLawTiers else { throw MalformedInput(.limitExceeded, "a law sets at most \(Limits.maxLawTiers) tiers") }
        guard allowedAssets.count <= Limits.maxLawAssets else {
            throw MalformedInput(.limitExceeded, "a law lists at most \(Limits.maxLawAssets) allowed assets")
        }
        for i in allowedAssets.indices.dropFirst() where allowedAssets[i - 1] >= allowedAssets[i] {
            throw MalformedInput(.invalidValue, "a law's allowed assets are ascending and distinct")
        }
        guard withholdingBasisPoints <= 10_000, exitLevyBasisPoints <= 10_000 else {
            throw MalformedInput(.invalidValue, "withholding and the exit levy are at most 10,000 basis points")
        }
        guard corridors.count <= Limits.maxLawCorridors else {
            throw MalformedInput(.limitExceeded, "a law sets at most \(Limits.maxLawCorridors) corridors")
        }
        for corridor in corridors { try corridor.validate() }
        for i in corridors.indices.dropFirst()
        where (corridors[i - 1].direction.rawValue, corridors[i - 1].zone) >= (corridors[i].direction.rawValue, corridors[i].zone) {
            throw MalformedInput(.invalidValue, "a law's corridors are ascending by direction then zone, one per pair")
        }
        guard currency != nil || (tiers.isEmpty && corridors.isEmpty && exitLevyBasisPoints == 0) else {
            throw MalformedInput(.invalidValue, "a law with tiers, corridors or an exit levy names the currency they are stated in")
        }
        guard !levies || treasury != nil else {
            throw MalformedInput(.invalidValue, "a law that levies or withholds names the treasury account that receives it")
        }
    }
}

/// An identity provider whose attestations a law counts, up to `maxTier`.
public struct ProviderGrant: Hashable, Sendable {
    public var account: AccountID
    public var maxTier: UInt8
    public init(account: AccountID, maxTier: UInt8) {
        self.account = account
        self.maxTier = maxTier
    }
}

/// The limits of one tier, in minor units of the law's currency; nil: no limit.
public struct TierLimits: Hashable, Sendable {
    /// The most one payment may move.
    public var perPayment: Amount?
    /// The most an account may pay out in one of the zone's days.
    public var daily: Amount?
    /// The most an account may pay out in one of the zone's calendar months.
    public var monthly: Amount?
    /// The most an account may hold (posted plus pending credits).
    public var balance: Amount?

    public init(perPayment: Amount? = nil, daily: Amount? = nil, monthly: Amount? = nil, balance: Amount? = nil) {
        self.perPayment = perPayment
        self.daily = daily
        self.monthly = monthly
        self.balance = balance
    }

    /// How many of the four limits are set.
    public var count: Int { [perPayment, daily, monthly, balance].count { $0 != nil } }
}

/// The levy and limit on payments between the zone and another zone (or any other).
public struct Corridor: Hashable, Sendable {
    /// Leaving the zone (the payer is in it) or entering it (the payee is).
    public enum Direction: UInt8, Hashable, Sendable, CaseIterable {
        case outbound = 1
        case inbound = 2

        public var name: String { self == .outbound ? "outbound" : "inbound" }
        public init?(name: String) {
            guard let value = Self.allCases.first(where: { $0.name == name }) else { return nil }
            self = value
        }
    }

    /// The `zone` of a corridor that applies to every other zone without its own.
    public static let anyZone: ZoneID = 0xFFFF

    public var direction: Direction
    /// The other zone, or `anyZone`.
    public var zone: ZoneID
    /// The levy, in basis points of the payment (at most 10,000), rounded down,
    /// then raised to `levyFloor` and lowered to `levyCap`.
    public var levyBasisPoints: UInt16
    public var levyFloor: Amount
    /// nil: no cap.
    public var levyCap: Amount?
    /// The most one payment through the corridor may move; nil: no limit.
    public var maxPerPayment: Amount?

    public init(
        direction: Direction, zone: ZoneID, levyBasisPoints: UInt16 = 0, levyFloor: Amount = .zero, levyCap: Amount? = nil,
        maxPerPayment: Amount? = nil
    ) {
        self.direction = direction
        self.zone = zone
        self.levyBasisPoints = levyBasisPoints
        self.levyFloor = levyFloor
        self.levyCap = levyCap
        self.maxPerPayment = maxPerPayment
    }

    public func validate() throws(MalformedInput) {
        guard levyBasisPoints <= 10_000 else { throw MalformedInput(.invalidValue, "a levy is at most 10,000 basis points") }
        guard levyCap.map({ levyFloor <= $0 }) ?? true else { throw MalformedInput(.invalidValue, "a levy's floor is at most its cap") }
    }

    /// The levy on a payment of `amount`: the rate rounded down (never more
    /// than the stated rate), then raised to the floor and lowered to the cap,
    /// both stated in the law.
    public func levy(on amount: UInt64) -> UInt64 {
        var levy = UInt64(UInt128(amount) * UInt128(levyBasisPoints) / 10_000)
        levy = max(levy, levyFloor.units)
        if let cap = levyCap { levy = min(levy, cap.units) }
        return levy
    }
}

// MARK: - Canonical encoding (docs/ENCODING.md, "Laws")

extension ByteWriter {
    mutating func write(cap: Amount?) { write(cap?.units ?? UInt64.max) }

    public mutating func write(law: Law) {
        write(bytes: law.document.bytes)
        writeShortBytes(Array(law.url.utf8))
        write(UInt16(bitPattern: law.utcOffsetMinutes))
        writeShortBytes(law.currency?.bytes ?? [])
        write(UInt8(law.providers.count))
        for grant in law.providers {
            write(id: grant.account)
            write(grant.maxTier)
        }
        write(UInt8(law.tiers.count))
        for tier in law.tiers {
            write(cap: tier.perPayment)
            write(cap: tier.daily)
            write(cap: tier.monthly)
            write(cap: tier.balance)
        }
        write(UInt8(law.allowedAssets.count))
        for asset in law.allowedAssets { write(asset: asset) }
        write(law.withholdingBasisPoints)
        if let treasury = law.treasury {
            write(UInt8(1))
            write(id: treasury)
        } else {
            write(UInt8(0))
        }
        write(UInt8(law.corridors.count))
        for corridor in law.corridors {
            write(corridor.direction.rawValue)
            write(corridor.zone)
            write(corridor.levyBasisPoints)
            write(corridor.levyFloor.units)
            write(cap: corridor.levyCap)
            write(cap: corridor.maxPerPayment)
        }
        write(law.exitLevyBasisPoints)
        write(law.entryMinimumTier)
    }
}

extension ByteReader {
    mutating func readCap(_ what: StaticString) throws(MalformedInput) -> Amount? {
        let units = try readUInt64(what)
        return units == UInt64.max ? nil : Amount(units)
    }

    public mutating func readLaw() throws(MalformedInput) -> Law {
        let document = Digest32(bytes: try readBytes(32, "law document"))!
        let urlBytes = try readShortBytes(limit: Limits.maxLawURLBytes, "law URL")
        guard let url = String(validating: urlBytes, as: UTF8.self) else { throw MalformedInput(.invalidValue, "a law's URL is not UTF-8") }
        let offset = Int16(bitPattern: try readUInt16("UTC offset"))
        let currencyBytes = try readShortBytes(limit: Limits.maxAssetCodeBytes, "law currency")
        let currency: AssetCode?
        if currencyBytes.isEmpty {
            currency = nil
        } else {
            try AssetCode.validate(currencyBytes)
            currency = AssetCode(validated: currencyBytes)
        }
        var providers: [ProviderGrant] = []
        for _ in 0..<(try readUInt8("provider count")) {
            providers.append(ProviderGrant(account: try readID(AccountID.self, "identity provider"), maxTier: try readUInt8("provider's tier")))
        }
        var tiers: [TierLimits] = []
        for _ in 0..<(try readUInt8("tier count")) {
            tiers.append(
                TierLimits(
                    perPayment: try readCap("per-payment cap"), daily: try readCap("daily cap"), monthly: try readCap("monthly cap"),
                    balance: try readCap("balance cap")))
        }
        var assets: [AssetCode] = []
        for _ in 0..<(try readUInt8("allowed asset count")) { assets.append(try readAssetCode()) }
        let withholding = try readUInt16("withholding")
        let hasTreasury = try readUInt8("treasury present")
        guard hasTreasury <= 1 else { throw MalformedInput(.invalidValue, "treasury present is 0 or 1, not \(hasTreasury)") }
        let treasury: AccountID? = hasTreasury == 1 ? try readID(AccountID.self, "treasury") : nil
        var corridors: [Corridor] = []
        for _ in 0..<(try readUInt8("corridor count")) {
            let raw = try readUInt8("corridor direction")
            guard let direction = Corridor.Direction(rawValue: raw) else { throw MalformedInput(.unknownTag, "unknown corridor direction \(raw)") }
            corridors.append(
                Corridor(
                    direction: direction, zone: try readUInt16("corridor zone"), levyBasisPoints: try readUInt16("levy rate"),
                    levyFloor: Amount(try readUInt64("levy floor")), levyCap: try readCap("levy cap"), maxPerPayment: try readCap("corridor limit")))
        }
        return try Law(
            document: document, url: url, utcOffsetMinutes: offset, currency: currency, providers: providers, tiers: tiers,
            allowedAssets: assets, withholdingBasisPoints: withholding, treasury: treasury, corridors: corridors,
            exitLevyBasisPoints: try readUInt16("exit levy"), entryMinimumTier: try readUInt8("entry tier"))
    }
}
