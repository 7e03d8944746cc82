import KhataBytes

/// A registered instrument: its terms as registered and its current rules.
public struct Instrument: Hashable, Sendable {
    /// The registration, with `rules` replaced by the latest `set_instrument_rules`.
    public internal(set) var terms: RegisterInstrument
    public let registeredAt: LeafIndex
    /// The entry that set the current rules (the registration's, until changed).
    public internal(set) var rulesSetAt: LeafIndex
    /// The most that may be outstanding now: the registration's, scaled by splits.
    public internal(set) var authorised: UInt64
    /// Set when a redemption completes: nothing is outstanding, nothing can be issued.
    public internal(set) var isRedeemed = false

    public var asset: AssetCode { terms.asset }
    public var issuer: AccountID { terms.issuer }
    public var rules: InstrumentRules { terms.rules }
}

/// An account and an identity provider: the key of an identity attestation.
public struct IdentityKey: Hashable, Comparable, Sendable {
    public let account: AccountID
    public let provider: AccountID
    public init(account: AccountID, provider: AccountID) {
        self.account = account
        self.provider = provider
    }
    public static func < (a: Self, b: Self) -> Bool { (a.account, a.provider) < (b.account, b.provider) }
}

/// A provider's current attestation of an account.
public struct IdentityRecord: Hashable, Sendable {
    public let tier: UInt8
    public let expiresAt: Timestamp
    /// The entry that made it.
    public let index: LeafIndex
}

/// A lock on part of a holding.
public struct HoldingLock: Hashable, Sendable {
    public let amount: Amount
    public let until: Timestamp?
    public let reason: String
    /// The entry that set it.
    public let index: LeafIndex

    /// The amount locked at `time`: all of it before `until`, none from then on.
    public func locked(at time: Timestamp) -> UInt64 {
        if let until, time >= until { return 0 }
        return amount.units
    }
}

/// The stockchain's part of the ledger state.
public struct SecuritiesState: Hashable, Sendable {
    public internal(set) var instruments: [AssetCode: Instrument] = [:]
    /// Current identity attestations (withdrawn ones removed; expired ones kept until replaced).
    public internal(set) var identities: [IdentityKey: IdentityRecord] = [:]
    /// Current locks, by instrument and account (lifted ones removed).
    public internal(set) var locks: [BalanceKey: HoldingLock] = [:]
    /// Linked pending transfers: each member to its whole group, ascending (`link_pending`).
    public internal(set) var links: [PendingID: [PendingID]] = [:]
    /// Every corporate action declared, by id (1, 2, …), open and completed.
    public internal(set) var actions: [UInt64: CorporateAction] = [:]
    /// The id the next declaration gets.
    public internal(set) var nextAction: UInt64 = 1
    /// Open actions per instrument, ascending. Derived from `actions`.
    public internal(set) var openActions: [AssetCode: [UInt64]] = [:]
    /// Pending transfers still pending, per instrument. Derived from the
    /// ledger's pending transfers (a split or redemption waits for none).
    public internal(set) var openHolds: [AssetCode: Int] = [:]

    public init() {}

    public var isEmpty: Bool { instruments.isEmpty && identities.isEmpty && locks.isEmpty && actions.isEmpty && links.isEmpty }

    /// Whether `asset` has an open split or redemption.
    public func isSettling(_ asset: AssetCode) -> Bool {
        openActions[asset]?.contains { actions[$0]!.declaration.terms.changesHoldings } ?? false
    }

    /// The highest unexpired tier `account` holds from one of `providers` at `time`, 0 if none.
    public func tier(of account: AccountID, from providers: [AccountID], at time: Timestamp) -> UInt8 {
        var best: UInt8 = 0
        for provider in providers {
            if let record = identities[IdentityKey(account: account, provider: provider)], record.expiresAt > time {
                best = max(best, record.tier)
            }
        }
        return best
    }

    /// The amount of `asset` locked in `account`'s holding at `time`.
    public func locked(_ account: AccountID, in asset: AssetCode, at time: Timestamp) -> UInt64 {
        locks[BalanceKey(account: account, asset: asset)]?.locked(at: time) ?? 0
    }
}

// MARK: - Snapshot encoding (docs/ENCODING.md, "State snapshot", version 3)

extension ByteWriter {
    mutating func write(securities: SecuritiesState) {
        write(UInt32(securities.instruments.count))
        for code in securities.instruments.keys.sorted() {
            let instrument = securities.instruments[code]!
            write(registerInstrument: instrument.terms)
            write(instrument.registeredAt.value)
            write(instrument.rulesSetAt.value)
            write(instrument.authorised)
            write(UInt8(instrument.isRedeemed ? 1 : 0))
        }
        write(UInt32(securities.identities.count))
        for key in securities.identities.keys.sorted() {
            let record = securities.identities[key]!
            write(id: key.account)
            write(id: key.provider)
            write(record.tier)
            write(record.expiresAt.milliseconds)
            write(record.index.value)
        }
        write(UInt32(securities.locks.count))
        for key in securities.locks.keys.sorted() {
            let lock = securities.locks[key]!
            write(lockHolding: LockHolding(asset: key.asset, account: key.account, amount: lock.amount, until: lock.until, reason: lock.reason))
            write(lock.index.value)
        }
        write(securities.nextAction)
        write(UInt32(securities.actions.count))
        for id in securities.actions.keys.sorted() { write(action: securities.actions[id]!) }
        // Each group once, under its first member, ascending.
        let groups = securities.links.filter { $0.value.first == $0.key }.keys.sorted()
        write(UInt32(groups.count))
        for first in groups {
            let group = securities.links[first]!
            write(UInt8(group.count))
            for member in group { write(pending: member) }
        }
    }

    mutating func write(action: CorporateAction) {
        write(action.id)
        write(declareAction: action.declaration)
        write(action.recordDate.value)
        write(action.outstanding)
        write(action.holders)
        if let rate = action.rate {
            write(UInt8(1))
            write(rate.amount)
            write(rate.per)
        } else {
            write(UInt8(0))
        }
        write(action.escrowed)
        write(action.paid)
        write(action.withheld)
        write(action.settledUnits)
        write(action.settledHolders)
        writeOptional(action.cursor) { $0.write(id: $1) }
        writeOptional(action.completedAt) { $0.write($1.value) }
        writeOptional(action.register) { writer, register in
            writer.write(register.total)
            writer.write(register.leafCount)
            writer.write(bytes: register.root.bytes)
            writer.write(register.index.value)
        }
        write(UInt32(action.saved.count))
        for account in action.saved.keys.sorted() {
            write(id: account)
            write(action.saved[account]!)
        }
        write(UInt32(action.votes.count))
        for account in action.votes.keys.sorted() {
            write(id: account)
            write(action.votes[account]!.option)
            write(action.votes[account]!.weight)
        }
    }

    /// `u8 0`, or `u8 1` and the value.
    mutating func writeOptional<T>(_ value: T?, _ body: (inout ByteWriter, T) -> Void) {
        guard let value else { return write(UInt8(0)) }
        write(UInt8(1))
        body(&self, value)
    }
}

extension ByteReader {
    /// `withheld`: whether actions carry their withheld amount (snapshot version 4 on).
    mutating func readSecuritiesState(withheld: Bool = true) throws(MalformedInput) -> SecuritiesState {
        var state = SecuritiesState()
        for _ in 0..<(try readUInt32("instrument count")) {
            let terms = try readRegisterInstrument()
            let registeredAt = LeafIndex(try readUInt64("registered at"))
            let rulesSetAt = LeafIndex(try readUInt64("rules set at"))
            var instrument = Instrument(terms: terms, registeredAt: registeredAt, rulesSetAt: rulesSetAt, authorised: try readUInt64("authorised"))
            switch try readUInt8("redeemed") {
            case 0: break
            case 1: instrument.isRedeemed = true
            case let other: throw MalformedInput(.invalidValue, "redeemed is 0 or 1, got \(other)")
            }
            state.instruments[terms.asset] = instrument
        }
        for _ in 0..<(try readUInt32("identity count")) {
            let key = IdentityKey(account: try readID(AccountID.self, "account"), provider: try readID(AccountID.self, "provider"))
            let tier = try readUInt8("tier")
            let expiresAt = try readTimestamp("expiry")
            state.identities[key] = IdentityRecord(tier: tier, expiresAt: expiresAt, index: LeafIndex(try readUInt64("index")))
        }
        for _ in 0..<(try readUInt32("lock count")) {
            let op = try readLockHolding()
            state.locks[BalanceKey(account: op.account, asset: op.asset)] = HoldingLock(
                amount: op.amount, until: op.until, reason: op.reason, index: LeafIndex(try readUInt64("index")))
        }
        state.nextAction = try readUInt64("next action")
        for _ in 0..<(try readUInt32("action count")) {
            let action = try readAction(withheld: withheld)
            guard action.id < state.nextAction, state.actions[action.id] == nil else {
                throw MalformedInput(.invalidValue, "action \(action.id) repeats or is not below the next action id")
            }
            state.actions[action.id] = action
            if action.isOpen { state.openActions[action.asset, default: []].append(action.id) }
        }
        for asset in state.openActions.keys { state.openActions[asset]!.sort() }
        for _ in 0..<(try readUInt32("link count")) {
            let count = try readUInt8("linked pending count")
            var group: [PendingID] = []
            for _ in 0..<count { group.append(try readPendingID()) }
            try LinkPending(pendings: group).validate()
            for member in group {
                guard state.links[member] == nil else { throw MalformedInput(.invalidValue, "pending \(member) is in two links") }
                state.links[member] = group
            }
        }
        return state
    }

    mutating func readAction(withheld: Bool) throws(MalformedInput) -> CorporateAction {
        let id = try readUInt64("action id")
        let declaration = try readDeclareAction()
        let recordDate = LeafIndex(try readUInt64("record date"))
        let outstanding = try readUInt64("outstanding")
        let holders = try readUInt64("holders")
        let rate: ActionRate? = try readOptional("rate") { reader throws(MalformedInput) in
            ActionRate(amount: try reader.readUInt128("rate amount"), per: try reader.readUInt128("rate per"))
        }
        var action = CorporateAction(
            id: id, declaration: declaration, recordDate: recordDate, outstanding: outstanding, holders: holders, rate: rate,
            escrowed: try readUInt64("escrowed"))
        action.paid = try readUInt64("paid")
        if withheld { action.withheld = try readUInt64("withheld") }
        action.settledUnits = try readUInt64("settled units")
        action.settledHolders = try readUInt64("settled holders")
        action.cursor = try readOptional("cursor") { reader throws(MalformedInput) in try reader.readID(AccountID.self, "cursor") }
        action.completedAt = try readOptional("completed") { reader throws(MalformedInput) in LeafIndex(try reader.readUInt64("completed at")) }
        action.register = try readOptional("register") { reader throws(MalformedInput) in
            RegisterCommitment(
                total: try reader.readUInt64("register total"), leafCount: try reader.readUInt64("register leaf count"),
                root: Digest32(bytes: try reader.readBytes(32, "register root"))!, index: LeafIndex(try reader.readUInt64("register index")))
        }
        for _ in 0..<(try readUInt32("saved count")) {
            action.saved[try readID(AccountID.self, "saved account")] = try readUInt64("saved units")
        }
        let options = declaration.terms.ballot?.options.count ?? 0
        for _ in 0..<(try readUInt32("vote count")) {
            let account = try readID(AccountID.self, "voter")
            let option = try readUInt8("option")
            guard Int(option) < options else {
                throw MalformedInput(.invalidValue, "a vote for option \(option) of action \(id), which has \(options)")
            }
            action.votes[account] = Vote(option: option, weight: try readUInt64("weight"))
        }
        return action
    }

    /// `u8 0` for none, or `u8 1` and the value.
    mutating func readOptional<T>(_ what: StaticString, _ body: (inout ByteReader) throws(MalformedInput) -> T) throws(MalformedInput) -> T? {
        switch try readUInt8(what) {
        case 0: return nil
        case 1: return try body(&self)
        case let other: throw MalformedInput(.invalidValue, "\(what) present is 0 or 1, got \(other)")
        }
    }
}
