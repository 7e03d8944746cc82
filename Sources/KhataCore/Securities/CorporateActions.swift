import KhataBytes

// Corporate actions (docs/STOCKCHAIN.md, "Corporate actions"): an issuer
// declares one in one signed operation; the register at its record date (the
// declaring entry) is fixed from then on; settlements pay or adjust each holder
// of that register in ascending account order, a bounded chunk per entry, so
// that a million holders never hold the sequencer for long.

/// A rate in exact integers: `amount` minor units of the paying asset per
/// `per` minor units of the instrument. A holding `h` is owed ⌊h × amount / per⌋.
public struct ActionRate: Hashable, Sendable {
    public let amount: UInt128
    public let per: UInt128

    public init(amount: UInt128, per: UInt128) {
        self.amount = amount
        self.per = per
    }

    /// ⌊units × amount / per⌋, or nil if it does not fit 64 bits.
    public func owed(_ units: UInt64) -> UInt64? {
        let product = UInt128(units).multipliedFullWidth(by: amount)
        guard product.high < per else { return nil }
        let (quotient, _) = per.dividingFullWidth(product)
        return UInt64(exactly: quotient)
    }
}

/// What an action does to each holder of its register.
public enum ActionTerms: Hashable, Sendable {
    /// Dividends and interest: what a zone's law withholds from (docs/LAWS.md).
    var isIncome: Bool {
        switch self {
        case .cashDividend, .coupon: true
        default: false
        }
    }

    /// Pays `amount` minor units of the instrument's currency per `per` minor
    /// units of the instrument (250 per 1: ₹2.50 a share).
    case cashDividend(amount: Amount, per: Amount)
    /// Pays a bond's coupon for one period, from its terms: face value × rate ×
    /// months/12 (30/360, actual/actual) or × days/365 (actual/365, `days` of the period).
    case coupon(days: UInt16)
    /// Pays `amount` per `per` (the face value at maturity, or a call price
    /// before it) and cancels every unit; the instrument is then redeemed.
    case redemption(amount: Amount, per: Amount)
    /// Turns each holding `h` into ⌊h × numerator / denominator⌋ and pays the
    /// fraction left over in cash: `cashInLieu` currency minor units per whole
    /// minor unit of the new holding.
    case split(numerator: UInt32, denominator: UInt32, cashInLieu: Amount)
    /// A vote of the holders, each weighted by its record-date holding.
    case ballot(BallotTerms)

    public var kind: UInt8 {
        switch self {
        case .cashDividend: 1
        case .coupon: 2
        case .redemption: 3
        case .split: 4
        case .ballot: 5
        }
    }

    public var name: String {
        switch self {
        case .cashDividend: "cash_dividend"
        case .coupon: "coupon"
        case .redemption: "redemption"
        case .split: "split"
        case .ballot: "ballot"
        }
    }

    /// Whether holdings of the instrument change as it settles: its transfers wait until it completes.
    public var changesHoldings: Bool {
        switch self {
        case .redemption, .split: true
        case .cashDividend, .coupon, .ballot: false
        }
    }

    /// The ballot's terms, if this is a ballot.
    public var ballot: BallotTerms? {
        if case .ballot(let terms) = self { return terms }
        return nil
    }
}

/// A question put to an instrument's holders (docs/STOCKCHAIN.md, "Ballots").
public struct BallotTerms: Hashable, Sendable, Codable {
    /// UTF-8, 1 to `Limits.maxBallotQuestionBytes` bytes.
    public var question: String
    /// 2 to `Limits.maxBallotOptions` options, each 1 to `Limits.maxBallotOptionBytes` bytes of UTF-8.
    public var options: [String]
    /// Votes are taken by entries stamped before this time (ms); the ballot closes at the first entry stamped at or after it.
    public var closesAt: Timestamp

    public init(question: String, options: [String], closesAt: Timestamp) {
        self.question = question
        self.options = options
        self.closesAt = closesAt
    }

    private enum CodingKeys: String, CodingKey {
        case question, options
        case closesAt = "closes_at"
    }
}

/// A holder's vote: an option of an open ballot, for the holder's record-date
/// holding. Authorised by the account's controllers; a later vote replaces it.
public struct CastVote: Hashable, Sendable, Codable {
    public var action: UInt64
    public var account: AccountID
    public var option: UInt8

    public init(action: UInt64, account: AccountID, option: UInt8) {
        self.action = action
        self.account = account
        self.option = option
    }
}

/// A vote as counted.
public struct Vote: Hashable, Sendable {
    public let option: UInt8
    /// The voter's record-date holding.
    public let weight: UInt64
}

/// Declares a corporate action on an instrument. Authorised by the issuer's
/// controllers. The issuer's account sets aside what the action can pay (in
/// the instrument's currency) into `escrowAccount`, a new account nobody
/// controls; what is left when every holder is settled returns to the issuer.
/// A ballot pays nothing and has no escrow account.
public struct DeclareAction: Hashable, Sendable {
    public var asset: AssetCode
    public var terms: ActionTerms
    /// The id of the new escrow account; nil for a ballot.
    public var escrowAccount: AccountID?

    public init(asset: AssetCode, terms: ActionTerms, escrowAccount: AccountID?) {
        self.asset = asset
        self.terms = terms
        self.escrowAccount = escrowAccount
    }
}

/// Settles the next holders of an action's register: `accounts`, ascending,
/// each after the last one settled and each a holder at the record date.
/// Authorised by the ledger key (the node settles every action by itself) or
/// by the issuer's controllers.
public struct SettleAction: Hashable, Sendable, Codable {
    public var action: UInt64
    public var accounts: [AccountID]

    public init(action: UInt64, accounts: [AccountID]) {
        self.action = action
        self.accounts = accounts
    }
}

/// How many holders a ledger's own settlements pay per entry: fewer than an
/// operation may name (`Limits.maxSettlementAccounts`), so that transfers
/// batched with a settlement wait for little. Measured with `khata bench
/// stockchain --holders-per-entry N` (1,000,000 holders, 2,000 transfers/s
/// alongside, 2 cores, release), two runs each: the transfers' p99 was 39 and
/// 43 ms at 1,000 a entry (settling 113,000 and 108,000 holders/s), 19 and 15 ms
/// at 250 (66,000 and 88,000/s), 8.0 and 9.5 ms at 100 (60,000/s both); with
/// no dividend it was 3–16 ms in the same runs (the disk's fsync).
public enum ActionSettlement {
    public static let holdersPerEntry = 100
}

/// The ledger's commitment to an action's record-date register: a Merkle-sum
/// tree (the liabilities tree of docs/RESERVES.md, with the record date as its
/// `as_of`) whose total must be the instrument's outstanding amount at the
/// record date. Authorised by the ledger key alone.
public struct CommitRegister: Hashable, Sendable, Codable {
    public var action: UInt64
    public var total: Amount
    public var leafCount: UInt64
    public var root: Digest32

    public init(action: UInt64, total: Amount, leafCount: UInt64, root: Digest32) {
        self.action = action
        self.total = total
        self.leafCount = leafCount
        self.root = root
    }

    private enum CodingKeys: String, CodingKey {
        case action, total
        case leafCount = "leaf_count"
        case root
    }
}

/// A declared action and how far it has settled.
public struct CorporateAction: Hashable, Sendable {
    public let id: UInt64
    public let declaration: DeclareAction
    /// The declaring entry: the register is every holding as it stood when the
    /// declaration applied.
    public let recordDate: LeafIndex
    /// The instrument's supply at the record date: the sum of the register.
    public let outstanding: UInt64
    /// Holders at the record date.
    public let holders: UInt64
    /// What the action pays per unit (nil for a split).
    public let rate: ActionRate?
    /// What the issuer set aside, in the instrument's currency.
    public let escrowed: UInt64
    public internal(set) var paid: UInt64 = 0
    /// Of `paid`, what the holders' zones' laws withheld for their treasuries (docs/LAWS.md).
    public internal(set) var withheld: UInt64 = 0
    /// Record-date units of the holders settled so far; the action completes when this reaches `outstanding`.
    public internal(set) var settledUnits: UInt64 = 0
    public internal(set) var settledHolders: UInt64 = 0
    /// The last account settled (settlements go in ascending order).
    public internal(set) var cursor: AccountID?
    public internal(set) var completedAt: LeafIndex?
    public internal(set) var register: RegisterCommitment?
    /// Record-date holdings of the accounts whose holding changed since (first change only).
    public internal(set) var saved: [AccountID: UInt64] = [:]
    /// A ballot's votes, by voter.
    public internal(set) var votes: [AccountID: Vote] = [:]

    /// A ballot's weight per option (empty for other actions).
    public var tally: [UInt64] {
        guard let ballot = declaration.terms.ballot else { return [] }
        var tally = [UInt64](repeating: 0, count: ballot.options.count)
        for vote in votes.values { tally[Int(vote.option)] += vote.weight }
        return tally
    }

    public var isOpen: Bool { completedAt == nil }
    public var asset: AssetCode { declaration.asset }
}

/// A committed register tree.
public struct RegisterCommitment: Hashable, Sendable {
    public let total: UInt64
    public let leafCount: UInt64
    public let root: Digest32
    public let index: LeafIndex
}

// MARK: - Canonical encoding

extension ByteWriter {
    mutating func write(declareAction op: DeclareAction) {
        write(asset: op.asset)
        write(op.terms.kind)
        switch op.terms {
        case .cashDividend(let amount, let per), .redemption(let amount, let per):
            write(amount.units)
            write(per.units)
        case .coupon(let days):
            write(days)
        case .split(let numerator, let denominator, let cash):
            write(numerator)
            write(denominator)
            write(cash.units)
        case .ballot(let ballot):
            writeShortBytes(Array(ballot.question.utf8))
            write(UInt8(ballot.options.count))
            for option in ballot.options { writeShortBytes(Array(option.utf8)) }
            write(ballot.closesAt.milliseconds)
        }
        if let escrow = op.escrowAccount { write(id: escrow) }
    }

    mutating func write(castVote op: CastVote) {
        write(op.action)
        write(id: op.account)
        write(op.option)
    }

    mutating func write(settleAction op: SettleAction) {
        write(op.action)
        write(UInt16(op.accounts.count))
        for account in op.accounts { write(id: account) }
    }

    mutating func write(commitRegister op: CommitRegister) {
        write(op.action)
        write(op.total.units)
        write(op.leafCount)
        write(bytes: op.root.bytes)
    }
}

extension ByteReader {
    mutating func readDeclareAction() throws(MalformedInput) -> DeclareAction {
        let asset = try readAssetCode()
        let kind = try readUInt8("action kind")
        let terms: ActionTerms
        switch kind {
        case 1, 3:
            let amount = Amount(try readUInt64("amount"))
            let per = Amount(try readUInt64("per"))
            terms = kind == 1 ? .cashDividend(amount: amount, per: per) : .redemption(amount: amount, per: per)
        case 2:
            terms = .coupon(days: try readUInt16("coupon days"))
        case 4:
            let numerator = try readUInt32("split numerator")
            let denominator = try readUInt32("split denominator")
            terms = .split(numerator: numerator, denominator: denominator, cashInLieu: Amount(try readUInt64("cash in lieu")))
        case 5:
            let question = try readText(limit: Limits.maxBallotQuestionBytes, "question")
            let count = try readUInt8("option count")
            guard count <= Limits.maxBallotOptions else {
                throw MalformedInput(.limitExceeded, "a ballot has at most \(Limits.maxBallotOptions) options")
            }
            var options: [String] = []
            for _ in 0..<count { options.append(try readText(limit: Limits.maxBallotOptionBytes, "option")) }
            terms = .ballot(BallotTerms(question: question, options: options, closesAt: try readTimestamp("closing time")))
        default:
            throw MalformedInput(.unknownTag, "unknown action kind \(kind)")
        }
        let escrow = kind == 5 ? nil : try readID(AccountID.self, "escrow account")
        let op = DeclareAction(asset: asset, terms: terms, escrowAccount: escrow)
        try op.validate()
        return op
    }

    mutating func readCastVote() throws(MalformedInput) -> CastVote {
        let action = try readUInt64("action")
        let account = try readID(AccountID.self, "voter account")
        return CastVote(action: action, account: account, option: try readUInt8("option"))
    }

    mutating func readSettleAction() throws(MalformedInput) -> SettleAction {
        let action = try readUInt64("action")
        let count = try readUInt16("account count")
        guard (1...UInt16(Limits.maxSettlementAccounts)).contains(count) else {
            throw MalformedInput(.limitExceeded, "a settlement names 1 to \(Limits.maxSettlementAccounts) accounts, got \(count)")
        }
        var accounts: [AccountID] = []
        accounts.reserveCapacity(Int(count))
        for _ in 0..<count { accounts.append(try readID(AccountID.self, "account")) }
        let op = SettleAction(action: action, accounts: accounts)
        try op.validate()
        return op
    }

    mutating func readCommitRegister() throws(MalformedInput) -> CommitRegister {
        let action = try readUInt64("action")
        let total = Amount(try readUInt64("total"))
        let leafCount = try readUInt64("leaf count")
        let op = CommitRegister(action: action, total: total, leafCount: leafCount, root: Digest32(bytes: try readBytes(32, "root"))!)
        try op.validate()
        return op
    }
}

// MARK: - Stateless checks

extension DeclareAction {
    func validate() throws(MalformedInput) {
        switch terms {
        case .cashDividend(let amount, let per), .redemption(let amount, let per):
            guard !amount.isZero, !per.isZero else {
                throw MalformedInput(.invalidValue, "an action's rate has a positive amount per a positive number of units")
            }
        case .coupon:
            break
        case .split(let numerator, let denominator, _):
            guard numerator > 0, denominator > 0, numerator != denominator else {
                throw MalformedInput(.invalidValue, "a split is numerator:denominator, both positive and different")
            }
        case .ballot(let ballot):
            guard !ballot.question.isEmpty, ballot.question.utf8.count <= Limits.maxBallotQuestionBytes else {
                throw MalformedInput(.invalidValue, "a ballot's question has 1 to \(Limits.maxBallotQuestionBytes) bytes")
            }
            guard (2...Limits.maxBallotOptions).contains(ballot.options.count) else {
                throw MalformedInput(.invalidValue, "a ballot has 2 to \(Limits.maxBallotOptions) options, got \(ballot.options.count)")
            }
            for option in ballot.options where option.isEmpty || option.utf8.count > Limits.maxBallotOptionBytes {
                throw MalformedInput(.invalidValue, "a ballot's option has 1 to \(Limits.maxBallotOptionBytes) bytes")
            }
            guard ballot.closesAt.milliseconds <= Limits.maxTimestampMilliseconds else {
                throw MalformedInput(.limitExceeded, "a closing time is at most \(Limits.maxTimestampMilliseconds)")
            }
        }
        guard (escrowAccount == nil) == (terms.ballot != nil) else {
            throw MalformedInput(.invalidValue, "every action but a ballot names a new escrow account; a ballot names none")
        }
    }
}

extension SettleAction {
    func validate() throws(MalformedInput) {
        guard (1...Limits.maxSettlementAccounts).contains(accounts.count) else {
            throw MalformedInput(.limitExceeded, "a settlement names 1 to \(Limits.maxSettlementAccounts) accounts, got \(accounts.count)")
        }
        for i in accounts.indices.dropFirst() where accounts[i - 1] >= accounts[i] {
            throw MalformedInput(.invalidValue, "a settlement's accounts are ascending and distinct")
        }
    }
}

extension CommitRegister {
    func validate() throws(MalformedInput) {
        guard leafCount.nonzeroBitCount == 1, (Limits.minLiabilityLeaves...Limits.maxLiabilityLeaves).contains(leafCount) else {
            throw MalformedInput(
                .invalidValue,
                "a register tree has a power of two of leaves from \(Limits.minLiabilityLeaves) to \(Limits.maxLiabilityLeaves), got \(leafCount)")
        }
    }
}
