import KhataBytes
import KhataEd25519

/// A registered zone: who governs it and every version of its law.
public struct Zone: Hashable, Sendable {
    public let id: ZoneID
    public let name: String
    public let governors: [PublicKey]
    public let guardian: PublicKey
    public let governance: Governance
    public let registeredAt: LeafIndex
    /// Every version, oldest first; the last is in force.
    public internal(set) var laws: [LawVersion]

    /// The version in force now.
    public var law: LawVersion { laws[laws.count - 1] }

    /// The version in force at entry `index` (the first if the zone is younger).
    public func law(at index: LeafIndex) -> LawVersion {
        laws.last(where: { $0.inForceFrom <= index }) ?? laws[0]
    }
}

/// One version of a zone's law and where it took effect.
public struct LawVersion: Hashable, Sendable {
    /// 1 for the law the zone was registered with, then one more per change.
    public let version: UInt32
    public let law: Law
    public let hash: Digest32
    /// The first entry it bound.
    public let inForceFrom: LeafIndex
    /// The proposal that enacted it; 0 for the first.
    public let proposal: UInt64
}

/// Where a proposal stands.
public enum ProposalStatus: UInt8, Hashable, Sendable, CaseIterable {
    /// Open for votes until `votingEndsAt`.
    case voting = 1
    /// Passed; waits out its time lock until `enactsAt`.
    case passed = 2
    /// In force since `decidedAt`.
    case enacted = 3
    /// Fewer yes votes than the threshold.
    case rejected = 4
    /// Fewer votes than the quorum.
    case noQuorum = 5
    /// Vetoed.
    case vetoed = 6
    /// Cancelled by the guardian.
    case cancelled = 7

    public var name: String {
        switch self {
        case .voting: "voting"
        case .passed: "passed"
        case .enacted: "enacted"
        case .rejected: "rejected"
        case .noQuorum: "no_quorum"
        case .vetoed: "vetoed"
        case .cancelled: "cancelled"
        }
    }

    /// Still able to take effect.
    public var isActive: Bool { self == .voting || self == .passed }
}

/// A proposed law change and its votes.
public struct LawProposal: Hashable, Sendable {
    public let id: UInt64
    public let zone: ZoneID
    public let proposer: PublicKey
    public let law: Law
    public let hash: Digest32
    /// The version in force when it was proposed (what its diff is against).
    public let baseVersion: UInt32
    public let proposedAt: LeafIndex
    public let votingEndsAt: Timestamp
    /// Each governor's latest vote.
    public internal(set) var votes: [PublicKey: VoteLaw.Choice]
    public internal(set) var status: ProposalStatus
    /// When a passed change takes effect: the first entry stamped at or after it.
    public internal(set) var enactsAt: Timestamp?
    /// The entry that tallied, cancelled or enacted it (its last step).
    public internal(set) var decidedAt: LeafIndex?

    public func count(_ choice: VoteLaw.Choice) -> Int { votes.values.count { $0 == choice } }
}

/// An account's payments out in the law's currency, in the current day and
/// month of its zone's time.
public struct Outflow: Hashable, Sendable {
    public internal(set) var day: Int64
    public internal(set) var dayTotal: UInt64
    public internal(set) var month: Int64
    public internal(set) var monthTotal: UInt64

    /// The totals as they stand in `day` and `month` (zero for a new window).
    public func totals(day: Int64, month: Int64) -> (day: UInt64, month: UInt64) {
        (self.day == day ? dayTotal : 0, self.month == month ? monthTotal : 0)
    }
}

/// The law in force in a zone, shared by reference: the checks every payment
/// makes read it through one reference instead of copying a `Zone` and its
/// arrays out of the dictionary (measured: `khata bench engine`'s
/// law_state_machine_ratio went from 0.66 with the copies).
final class LawInForce: Sendable {
    let version: LawVersion
    init(_ version: LawVersion) { self.version = version }
}

/// Zones, their laws, law proposals, and what laws count per account.
public struct ZoneState: Hashable, Sendable {
    public internal(set) var zones: [ZoneID: Zone] = [:]
    public internal(set) var proposals: [UInt64: LawProposal] = [:]
    /// The id the next proposal gets.
    public internal(set) var nextProposal: UInt64 = 1
    /// Payments out counted against daily and monthly caps. Grows with the
    /// accounts that pay, hence sharded like balances.
    public internal(set) var outflows = ShardedMap<AccountID, Outflow>()
    /// The entry at which an account that moved entered its zone (an account
    /// that never moved entered at its creation).
    public internal(set) var enteredAt: [AccountID: LeafIndex] = [:]
    /// Proposals still voting or waiting out their time lock, ascending. Derived from `proposals`.
    var active: [UInt64] = []
    /// Each zone's law in force, ascending by zone. Derived from `zones`
    /// (`setZone`). A short array, not a dictionary: a ledger has few zones,
    /// and a scan of a few pairs costs less than hashing on every payment.
    private(set) var inForce: [(zone: ZoneID, law: LawInForce)] = []

    /// The law in force in `zone`, if the zone is registered.
    func lawInForce(_ zone: ZoneID) -> LawInForce? {
        for entry in inForce where entry.zone == zone { return entry.law }
        return nil
    }

    public init() {}

    public var isEmpty: Bool { zones.isEmpty }

    public static func == (a: Self, b: Self) -> Bool {
        a.zones == b.zones && a.proposals == b.proposals && a.nextProposal == b.nextProposal && a.outflows == b.outflows
            && a.enteredAt == b.enteredAt
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(zones.count)
        hasher.combine(nextProposal)
    }

    /// The open proposals of `zone`.
    public func activeProposals(of zone: ZoneID) -> [LawProposal] {
        active.compactMap { proposals[$0] }.filter { $0.zone == zone }
    }

    mutating func rebuildActive() {
        active = proposals.values.filter(\.status.isActive).map(\.id).sorted()
    }

    /// The one place a zone is set, keeping its law in force in step.
    mutating func setZone(_ zone: Zone) {
        zones[zone.id] = zone
        let law = LawInForce(zone.law)
        if let position = inForce.firstIndex(where: { $0.zone == zone.id }) {
            inForce[position].law = law
        } else {
            inForce.append((zone.id, law))
            inForce.sort { $0.zone < $1.zone }
        }
    }
}

// MARK: - Time windows

/// The zone's day (days since 1970-01-01 in its time) and month (months since January 1970).
func zoneCalendar(_ time: Timestamp, offsetMinutes: Int16) -> (day: Int64, month: Int64) {
    let local = Int64(time.milliseconds) + Int64(offsetMinutes) * 60_000
    let day = local >= 0 ? local / 86_400_000 : (local - 86_399_999) / 86_400_000
    // Howard Hinnant's civil_from_days.
    let z = day + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    return (day, (year - 1970) * 12 + (month - 1))
}

// MARK: - Snapshot encoding (docs/ENCODING.md, "Snapshot")

extension ByteWriter {
    mutating func write(zones state: ZoneState) {
        write(UInt16(state.zones.count))
        for id in state.zones.keys.sorted() {
            let zone = state.zones[id]!
            write(registerZone: RegisterZone(registered: zone))
            write(zone.registeredAt.value)
            write(UInt32(zone.laws.count))
            for version in zone.laws.dropFirst() {
                write(law: version.law)
                write(version.inForceFrom.value)
                write(version.proposal)
            }
        }
        write(state.nextProposal)
        write(UInt32(state.proposals.count))
        for id in state.proposals.keys.sorted() {
            let proposal = state.proposals[id]!
            write(id)
            write(proposeLaw: ProposeLaw(zone: proposal.zone, proposer: proposal.proposer, law: proposal.law))
            write(proposal.baseVersion)
            write(proposal.proposedAt.value)
            write(proposal.votingEndsAt.milliseconds)
            write(UInt8(proposal.votes.count))
            for key in proposal.votes.keys.sorted() {
                write(bytes: key.bytes)
                write(proposal.votes[key]!.rawValue)
            }
            write(proposal.status.rawValue)
            write(proposal.enactsAt?.milliseconds ?? UInt64.max)
            write(proposal.decidedAt?.value ?? UInt64.max)
        }
        write(UInt64(state.outflows.count))
        for (id, outflow) in state.outflows.sorted(by: { $0.key < $1.key }) {
            write(id: id)
            write(UInt64(bitPattern: outflow.day))
            write(outflow.dayTotal)
            write(UInt64(bitPattern: outflow.month))
            write(outflow.monthTotal)
        }
        write(UInt64(state.enteredAt.count))
        for id in state.enteredAt.keys.sorted() {
            write(id: id)
            write(state.enteredAt[id]!.value)
        }
    }
}

extension ByteReader {
    mutating func readZoneState() throws(MalformedInput) -> ZoneState {
        var state = ZoneState()
        for _ in 0..<(try readUInt16("zone count")) {
            let registration = try readRegisterZone()
            let registeredAt = LeafIndex(try readUInt64("registered at"))
            var laws = [
                LawVersion(version: 1, law: registration.law, hash: registration.law.hash, inForceFrom: registeredAt, proposal: 0)
            ]
            let count = try readUInt32("law versions")
            guard count >= 1 else { throw MalformedInput(.invalidValue, "a zone has at least one law") }
            for previous in 1..<count {
                let law = try readLaw()
                laws.append(
                    LawVersion(
                        version: previous + 1, law: law, hash: law.hash, inForceFrom: LeafIndex(try readUInt64("in force from")),
                        proposal: try readUInt64("enacting proposal")))
            }
            guard state.zones[registration.zone] == nil else { throw MalformedInput(.invalidValue, "zone \(registration.zone) appears twice") }
            state.setZone(
                Zone(
                    id: registration.zone, name: registration.name, governors: registration.governors, guardian: registration.guardian,
                    governance: registration.governance, registeredAt: registeredAt, laws: laws))
        }
        state.nextProposal = try readUInt64("next proposal")
        for _ in 0..<(try readUInt32("proposal count")) {
            let id = try readUInt64("proposal")
            let proposed = try readProposeLaw()
            let base = try readUInt32("base version")
            let at = LeafIndex(try readUInt64("proposed at"))
            let ends = Timestamp(milliseconds: try readUInt64("voting ends"))
            var votes: [PublicKey: VoteLaw.Choice] = [:]
            for _ in 0..<(try readUInt8("vote count")) {
                let key = try readPublicKey()
                let raw = try readUInt8("choice")
                guard let choice = VoteLaw.Choice(rawValue: raw) else { throw MalformedInput(.unknownTag, "unknown vote choice \(raw)") }
                votes[key] = choice
            }
            let raw = try readUInt8("proposal status")
            guard let status = ProposalStatus(rawValue: raw) else { throw MalformedInput(.unknownTag, "unknown proposal status \(raw)") }
            let enacts = try readUInt64("enacts at")
            let decided = try readUInt64("decided at")
            state.proposals[id] = LawProposal(
                id: id, zone: proposed.zone, proposer: proposed.proposer, law: proposed.law, hash: proposed.law.hash, baseVersion: base,
                proposedAt: at, votingEndsAt: ends, votes: votes, status: status,
                enactsAt: enacts == UInt64.max ? nil : Timestamp(milliseconds: enacts), decidedAt: decided == UInt64.max ? nil : LeafIndex(decided))
        }
        for _ in 0..<(try readUInt64("outflow count")) {
            let id = try readID(AccountID.self, "account")
            state.outflows[id] = Outflow(
                day: Int64(bitPattern: try readUInt64("day")), dayTotal: try readUInt64("day total"),
                month: Int64(bitPattern: try readUInt64("month")), monthTotal: try readUInt64("month total"))
        }
        for _ in 0..<(try readUInt64("entered count")) {
            let id = try readID(AccountID.self, "account")
            state.enteredAt[id] = LeafIndex(try readUInt64("entered at"))
        }
        state.rebuildActive()
        return state
    }
}
