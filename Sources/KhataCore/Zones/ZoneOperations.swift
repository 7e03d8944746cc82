import KhataBytes
import KhataEd25519

// The operations of zones and their laws (docs/LAWS.md): registering a zone,
// proposing, voting on and cancelling a law change, moving an account's home
// zone, and paying the levies a payment owes.

/// How a zone's governors change its law.
public struct Governance: Hashable, Sendable {
    /// How long a proposal is open for votes.
    public var votingSeconds: UInt32
    /// The fewest governors who must vote (yes, no or veto) for a vote to count.
    public var quorum: UInt8
    /// The fewest yes votes that pass a change (the m of the governors' m of n).
    public var threshold: UInt8
    /// Veto votes that defeat a change whatever the yes votes; 0: no veto.
    public var vetoes: UInt8
    /// How long a passed change waits before it takes effect; the guardian may cancel it meanwhile.
    public var timelockSeconds: UInt32

    public init(votingSeconds: UInt32, quorum: UInt8, threshold: UInt8, vetoes: UInt8 = 0, timelockSeconds: UInt32) {
        self.votingSeconds = votingSeconds
        self.quorum = quorum
        self.threshold = threshold
        self.vetoes = vetoes
        self.timelockSeconds = timelockSeconds
    }

    func validate(governors: [PublicKey]) throws(MalformedInput) {
        guard (1...Limits.maxGovernanceSeconds).contains(votingSeconds), timelockSeconds <= Limits.maxGovernanceSeconds else {
            throw MalformedInput(.limitExceeded, "a voting period is 1 to \(Limits.maxGovernanceSeconds) seconds, a time lock at most that")
        }
        let count = governors.count
        guard (1...count).contains(Int(quorum)), (1...count).contains(Int(threshold)), Int(vetoes) <= count else {
            throw MalformedInput(.invalidValue, "quorum and threshold are 1 to the number of governors (\(count)), vetoes at most that")
        }
    }
}

/// Registers a zone: its governors, its guardian, how its law changes, and its
/// first law. Authorised by the ledger's issuer keys (as `RegisterAsset`).
public struct RegisterZone: Hashable, Sendable {
    public var zone: ZoneID
    /// A display name (UTF-8, 1 to `Limits.maxZoneNameBytes` bytes).
    public var name: String
    /// The keys that propose and vote on law changes (1 to 16, distinct, ascending).
    public var governors: [PublicKey]
    /// The key that may cancel a proposal before it takes effect, and do nothing else.
    public var guardian: PublicKey
    public var governance: Governance
    public var law: Law

    public init(zone: ZoneID, name: String, governors: [PublicKey], guardian: PublicKey, governance: Governance, law: Law) throws(MalformedInput) {
        self.zone = zone
        self.name = name
        self.governors = governors.sorted()
        self.guardian = guardian
        self.governance = governance
        self.law = law
        try validate()
    }

    /// The registration a registered zone was made by (checked then), for the snapshot.
    init(registered zone: Zone) {
        self.zone = zone.id
        name = zone.name
        governors = zone.governors
        guardian = zone.guardian
        governance = zone.governance
        law = zone.laws[0].law
    }

    func validate() throws(MalformedInput) {
        guard zone != Corridor.anyZone else { throw MalformedInput(.invalidValue, "zone 65535 is reserved") }
        guard (1...Limits.maxZoneNameBytes).contains(name.utf8.count) else {
            throw MalformedInput(.limitExceeded, "a zone's name has 1 to \(Limits.maxZoneNameBytes) bytes")
        }
        guard (1...Limits.maxControllers).contains(governors.count) else {
            throw MalformedInput(.limitExceeded, "a zone has 1 to \(Limits.maxControllers) governors")
        }
        for i in governors.indices.dropFirst() where governors[i - 1] >= governors[i] {
            throw MalformedInput(.invalidValue, "a zone's governors are distinct")
        }
        try governance.validate(governors: governors)
        try law.validate()
    }
}

/// A governor's proposal to replace a zone's law. Authorised by `proposer`, a governor.
public struct ProposeLaw: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case zone, proposer, law }
    public var zone: ZoneID
    public var proposer: PublicKey
    public var law: Law

    public init(zone: ZoneID, proposer: PublicKey, law: Law) {
        self.zone = zone
        self.proposer = proposer
        self.law = law
    }
}

/// A governor's vote on a proposal; a later vote replaces an earlier one while voting is open.
public struct VoteLaw: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case proposal, governor, choice }
    public enum Choice: UInt8, Hashable, Sendable, CaseIterable {
        case yes = 1
        case no = 2
        case veto = 3

        public var name: String {
            switch self {
            case .yes: "yes"
            case .no: "no"
            case .veto: "veto"
            }
        }
        public init?(name: String) {
            guard let value = Self.allCases.first(where: { $0.name == name }) else { return nil }
            self = value
        }
    }

    public var proposal: UInt64
    public var governor: PublicKey
    public var choice: Choice

    public init(proposal: UInt64, governor: PublicKey, choice: Choice) {
        self.proposal = proposal
        self.governor = governor
        self.choice = choice
    }
}

/// The guardian's cancel of a proposal that has not taken effect. Authorised by the zone's guardian.
public struct CancelProposal: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case proposal }
    public var proposal: UInt64
    public init(proposal: UInt64) { self.proposal = proposal }
}

/// Moves an account's home zone. Authorised by the account's controllers
/// alone: no law can forbid it; only the destination's entry tier and an exit
/// levy declared before the account entered its zone apply.
public struct MoveZone: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case account, zone }
    public var account: AccountID
    public var zone: ZoneID

    public init(account: AccountID, zone: ZoneID) {
        self.account = account
        self.zone = zone
    }
}

/// Pays a levy that operation `operation` of the same transaction owes to
/// `zone`'s treasury: exactly the amount the law in force requires, in the
/// payment's asset, from its payer. Authorised with the payment it belongs to.
public struct PayLevy: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case operation, zone, amount }
    public var operation: UInt16
    public var zone: ZoneID
    public var amount: Amount

    public init(operation: UInt16, zone: ZoneID, amount: Amount) {
        self.operation = operation
        self.zone = zone
        self.amount = amount
    }
}

// MARK: - Canonical encoding (docs/ENCODING.md, "Operations")

extension ByteWriter {
    mutating func write(registerZone op: RegisterZone) {
        write(op.zone)
        writeShortBytes(Array(op.name.utf8))
        write(UInt8(op.governors.count))
        for key in op.governors { write(bytes: key.bytes) }
        write(bytes: op.guardian.bytes)
        write(op.governance.votingSeconds)
        write(op.governance.quorum)
        write(op.governance.threshold)
        write(op.governance.vetoes)
        write(op.governance.timelockSeconds)
        write(law: op.law)
    }

    mutating func write(proposeLaw op: ProposeLaw) {
        write(op.zone)
        write(bytes: op.proposer.bytes)
        write(law: op.law)
    }
}

extension ByteReader {
    mutating func readRegisterZone() throws(MalformedInput) -> RegisterZone {
        let zone = try readUInt16("zone")
        let nameBytes = try readShortBytes(limit: Limits.maxZoneNameBytes, "zone name")
        guard let name = String(validating: nameBytes, as: UTF8.self) else { throw MalformedInput(.invalidValue, "a zone's name is not UTF-8") }
        let count = try readUInt8("governor count")
        guard count <= Limits.maxControllers else { throw MalformedInput(.limitExceeded, "a zone has at most \(Limits.maxControllers) governors") }
        var governors: [PublicKey] = []
        for _ in 0..<count { governors.append(try readPublicKey()) }
        for i in governors.indices.dropFirst() where governors[i - 1] >= governors[i] {
            throw MalformedInput(.invalidValue, "a zone's governors are ascending and distinct")
        }
        let guardian = try readPublicKey()
        let governance = Governance(
            votingSeconds: try readUInt32("voting seconds"), quorum: try readUInt8("quorum"), threshold: try readUInt8("threshold"),
            vetoes: try readUInt8("vetoes"), timelockSeconds: try readUInt32("time lock seconds"))
        return try RegisterZone(zone: zone, name: name, governors: governors, guardian: guardian, governance: governance, law: try readLaw())
    }

    mutating func readProposeLaw() throws(MalformedInput) -> ProposeLaw {
        ProposeLaw(zone: try readUInt16("zone"), proposer: try readPublicKey(), law: try readLaw())
    }

    mutating func readVoteLaw() throws(MalformedInput) -> VoteLaw {
        let proposal = try readUInt64("proposal")
        let governor = try readPublicKey()
        let raw = try readUInt8("choice")
        guard let choice = VoteLaw.Choice(rawValue: raw) else { throw MalformedInput(.unknownTag, "unknown vote choice \(raw)") }
        return VoteLaw(proposal: proposal, governor: governor, choice: choice)
    }
}
