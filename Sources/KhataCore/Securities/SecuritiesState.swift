import KhataBytes

/// A registered instrument: its terms as registered and its current rules.
public struct Instrument: Hashable, Sendable {
    /// The registration, with `rules` replaced by the latest `set_instrument_rules`.
    public internal(set) var terms: RegisterInstrument
    public let registeredAt: LeafIndex
    /// The entry that set the current rules (the registration's, until changed).
    public internal(set) var rulesSetAt: LeafIndex

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

    public init() {}

    public var isEmpty: Bool { instruments.isEmpty && identities.isEmpty && locks.isEmpty }

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
    }
}

extension ByteReader {
    mutating func readSecuritiesState() throws(MalformedInput) -> SecuritiesState {
        var state = SecuritiesState()
        for _ in 0..<(try readUInt32("instrument count")) {
            let terms = try readRegisterInstrument()
            let registeredAt = LeafIndex(try readUInt64("registered at"))
            state.instruments[terms.asset] = Instrument(
                terms: terms, registeredAt: registeredAt, rulesSetAt: LeafIndex(try readUInt64("rules set at")))
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
        return state
    }
}
