import Foundation
import KhataBytes
import KhataCore
import KhataEd25519

// The JSON the node answers about zones, laws and proposals (docs/LAWS.md,
// docs/openapi.yaml).

/// One version of a zone's law.
public struct LawVersionView: Codable, Sendable, Equatable {
    public let version: UInt32
    public let hash: Digest32
    /// The first entry it bound.
    public let inForceFrom: LeafIndex
    /// The proposal that enacted it; absent for the law the zone was registered with.
    public let proposal: UInt64?
    public let law: Law

    public init(_ version: LawVersion) {
        self.version = version.version
        hash = version.hash
        inForceFrom = version.inForceFrom
        proposal = version.proposal == 0 ? nil : version.proposal
        law = version.law
    }

    private enum CodingKeys: String, CodingKey {
        case version, hash
        case inForceFrom = "in_force_from"
        case proposal, law
    }
}

/// A zone in a listing.
public struct ZoneSummaryView: Codable, Sendable, Equatable {
    public let id: ZoneID
    public let name: String
    public let lawVersion: UInt32
    public let lawHash: Digest32
    /// Proposals still voting or in their time lock.
    public let openProposals: [UInt64]

    public init(_ zone: Zone, open: [UInt64]) {
        id = zone.id
        name = zone.name
        lawVersion = zone.law.version
        lawHash = zone.law.hash
        openProposals = open
    }

    private enum CodingKeys: String, CodingKey {
        case id, name
        case lawVersion = "law_version"
        case lawHash = "law_hash"
        case openProposals = "open_proposals"
    }

    /// Every zone, ascending by id.
    public static func all(in state: LedgerState) -> [ZoneSummaryView] {
        state.zones.zones.keys.sorted().map { ZoneSummaryView(state.zones.zones[$0]!, open: state.zones.activeProposals(of: $0).map(\.id)) }
    }
}

/// `GET /v1/zones/{id}`: who governs the zone, the law in force, and what may change it.
public struct ZoneView: Codable, Sendable {
    public let id: ZoneID
    public let name: String
    public let governors: [PublicKey]
    public let guardian: PublicKey
    public let governance: Governance
    public let registeredAt: LeafIndex
    public let law: LawVersionView
    public let pending: [ProposalSummaryView]

    public init(_ zone: Zone, state: LedgerState) {
        id = zone.id
        name = zone.name
        governors = zone.governors
        guardian = zone.guardian
        governance = zone.governance
        registeredAt = zone.registeredAt
        law = LawVersionView(zone.law)
        pending = state.zones.activeProposals(of: zone.id).map(ProposalSummaryView.init)
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, governors, guardian, governance
        case registeredAt = "registered_at"
        case law, pending
    }
}

/// A proposal in a listing.
public struct ProposalSummaryView: Codable, Sendable, Equatable {
    public let id: UInt64
    public let zone: ZoneID
    public let status: String
    public let lawHash: Digest32
    public let votingEndsAt: Timestamp
    public let enactsAt: Timestamp?
    public let decidedAt: LeafIndex?

    public init(_ proposal: LawProposal) {
        id = proposal.id
        zone = proposal.zone
        status = proposal.status.name
        lawHash = proposal.hash
        votingEndsAt = proposal.votingEndsAt
        enactsAt = proposal.enactsAt
        decidedAt = proposal.decidedAt
    }

    private enum CodingKeys: String, CodingKey {
        case id, zone, status
        case lawHash = "law_hash"
        case votingEndsAt = "voting_ends_at"
        case enactsAt = "enacts_at"
        case decidedAt = "decided_at"
    }

    /// Proposals ascending by id, from `after` (exclusive), at most `limit`; of one zone if given.
    public static func list(in state: LedgerState, zone: ZoneID?, after: UInt64, limit: Int) -> [ProposalSummaryView] {
        let ids = state.zones.proposals.keys.filter { $0 > after && (zone == nil || state.zones.proposals[$0]!.zone == zone) }.sorted()
        return ids.prefix(limit).map { ProposalSummaryView(state.zones.proposals[$0]!) }
    }
}

/// One parameter a proposal changes, as dotted paths into the law's JSON form
/// (`tiers.0.daily`); `from` or `to` absent when the parameter is added or removed.
public struct ParameterChange: Codable, Sendable, Equatable {
    public let parameter: String
    public let from: String?
    public let to: String?

    public init(parameter: String, from: String?, to: String?) {
        self.parameter = parameter
        self.from = from
        self.to = to
    }

    /// The parameters that differ between two laws, in path order.
    public static func diff(_ old: Law, _ new: Law) -> [ParameterChange] {
        let before = flatten(old)
        let after = flatten(new)
        return Set(before.keys).union(after.keys).sorted().compactMap { path in
            before[path] == after[path] ? nil : ParameterChange(parameter: path, from: before[path], to: after[path])
        }
    }

    private static func flatten(_ law: Law) -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let data = try? encoder.encode(law), let object = try? JSONSerialization.jsonObject(with: data) else { return [:] }
        var out: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            if let dictionary = value as? [String: Any] {
                for (key, inner) in dictionary { walk(inner, path.isEmpty ? key : "\(path).\(key)") }
            } else if let array = value as? [Any] {
                // An empty list is a value of its own (for example "no allowed-asset restriction").
                if array.isEmpty { out[path] = "[]" }
                for (index, inner) in array.enumerated() { walk(inner, "\(path).\(index)") }
            } else {
                out[path] = "\(value)"
            }
        }
        walk(object, "")
        return out
    }
}

/// What the last 30 days of the log would have paid in levies to the zone
/// under the law in force and under a proposed one, counting each committed
/// transfer and post across its border (the accounts' homes as they are now).
public struct LevyReplay: Codable, Sendable, Equatable {
    public let days: Int
    /// The entries read: `[from, to)`.
    public let from: LeafIndex
    public let to: LeafIndex
    /// True when the window held more entries than one replay reads: `from` is then later than 30 days ago.
    public let truncated: Bool
    /// Payments across the zone's border in its law's currency.
    public let payments: Int
    public let current: Amount
    public let proposed: Amount

    public init(days: Int, from: LeafIndex, to: LeafIndex, truncated: Bool, payments: Int, current: UInt64, proposed: UInt64) {
        self.days = days
        self.from = from
        self.to = to
        self.truncated = truncated
        self.payments = payments
        self.current = Amount(current)
        self.proposed = Amount(proposed)
    }

    /// Adds up what `current` and `proposed`, as the law of `zone`, levy on the
    /// committed payments of `entries` across the zone's border.
    public static func replay(
        _ entries: [Entry], zone: ZoneID, current: Law, proposed: Law, state: LedgerState
    ) -> (payments: Int, current: UInt64, proposed: UInt64) {
        var payments = 0
        var totals: (current: UInt128, proposed: UInt128) = (0, 0)
        for entry in entries where entry.outcome == .committed {
            guard case .transaction(let transaction) = entry.payload else { continue }
            for operation in transaction.operations {
                let payment: Transfer
                switch operation {
                case .transfer(let op): payment = op
                case .postPending(let op):
                    guard var record = state.pendings[op.pending]?.transfer else { continue }
                    record.amount = op.amount
                    payment = record
                default: continue
                }
                guard let payer = state.accounts[payment.debit], let payee = state.accounts[payment.credit], payer.controllers != nil,
                    payee.controllers != nil, (payer.zone == zone) != (payee.zone == zone)
                else { continue }
                let (direction, other) = payer.zone == zone ? (Corridor.Direction.outbound, payee.zone) : (.inbound, payer.zone)
                guard current.currency == payment.asset || proposed.currency == payment.asset else { continue }
                payments += 1
                totals.current += UInt128(current.levy(on: payment.amount.units, of: payment.asset, direction, other))
                totals.proposed += UInt128(proposed.levy(on: payment.amount.units, of: payment.asset, direction, other))
            }
        }
        return (payments, UInt64(clamping: totals.current), UInt64(clamping: totals.proposed))
    }
}

/// How many votes a proposal has and needs.
public struct TallyView: Codable, Sendable, Equatable {
    public let yes: Int
    public let no: Int
    public let veto: Int
    public let quorum: UInt8
    public let threshold: UInt8
    public let vetoes: UInt8
    /// What the tally would decide if voting ended now: passed, rejected, no_quorum or vetoed.
    public let wouldBe: String

    public init(_ proposal: LawProposal, governance: Governance) {
        yes = proposal.count(.yes)
        no = proposal.count(.no)
        veto = proposal.count(.veto)
        quorum = governance.quorum
        threshold = governance.threshold
        vetoes = governance.vetoes
        wouldBe =
            if governance.vetoes > 0 && veto >= Int(governance.vetoes) { "vetoed" } else if proposal.votes.count < Int(governance.quorum) {
                "no_quorum"
            } else if yes < Int(governance.threshold) { "rejected" } else { "passed" }
    }

    private enum CodingKeys: String, CodingKey {
        case yes, no, veto, quorum, threshold, vetoes
        case wouldBe = "would_be"
    }
}

/// `GET /v1/proposals/{id}`: the change, its votes and time lock, and its simulated effect.
public struct ProposalView: Codable, Sendable {
    public struct Vote: Codable, Sendable, Equatable {
        public let governor: PublicKey
        public let choice: VoteLaw.Choice
    }

    /// The standing of the zone's accounts under the law in force and under the
    /// proposed one, on the state as it is now (docs/LAWS.md, "Simulated effect").
    public struct Effect: Codable, Sendable {
        public let atIndex: LeafIndex
        public let current: LawEffect
        public let proposed: LawEffect
        public let levies: LevyReplay?

        public init(atIndex: LeafIndex, current: LawEffect, proposed: LawEffect, levies: LevyReplay?) {
            self.atIndex = atIndex
            self.current = current
            self.proposed = proposed
            self.levies = levies
        }

        private enum CodingKeys: String, CodingKey {
            case atIndex = "at_index"
            case current, proposed, levies
        }
    }

    public let summary: ProposalSummaryView
    public let proposer: PublicKey
    public let proposedAt: LeafIndex
    /// The version it would replace (the one in force when proposed).
    public let baseVersion: UInt32
    public let law: Law
    /// The law in force now.
    public let inForce: LawVersionView
    /// Whether the text changes (its hash or URL) from the law it replaces
    /// (the law in force while it can take effect; once enacted, the version
    /// before it; otherwise the version it was proposed against).
    public let documentChanged: Bool
    public let changes: [ParameterChange]
    public let votes: [Vote]
    public let tally: TallyView
    /// Absent once the proposal is decided (its effect is then history).
    public var effect: Effect?

    public init(_ proposal: LawProposal, zone: Zone) {
        summary = ProposalSummaryView(proposal)
        proposer = proposal.proposer
        proposedAt = proposal.proposedAt
        baseVersion = proposal.baseVersion
        law = proposal.law
        inForce = LawVersionView(zone.law)
        // What it changes: the law in force while it can still take effect; once
        // enacted, the version it replaced; otherwise the version it was proposed against.
        let replaced: Law
        if proposal.status.isActive {
            replaced = zone.law.law
        } else if let enacted = zone.laws.firstIndex(where: { $0.proposal == proposal.id }), enacted > 0 {
            replaced = zone.laws[enacted - 1].law
        } else {
            replaced = zone.laws.first { $0.version == proposal.baseVersion }?.law ?? zone.law.law
        }
        documentChanged = replaced.document != proposal.law.document || replaced.url != proposal.law.url
        changes = ParameterChange.diff(replaced, proposal.law)
        votes = proposal.votes.keys.sorted().map { Vote(governor: $0, choice: proposal.votes[$0]!) }
        tally = TallyView(proposal, governance: zone.governance)
    }

    private enum CodingKeys: String, CodingKey {
        case summary, proposer
        case proposedAt = "proposed_at"
        case baseVersion = "base_version"
        case law
        case inForce = "in_force"
        case documentChanged = "document_changed"
        case changes, votes, tally, effect
    }
}

/// `GET /v1/levies`: the levies a payment would owe now, to add as `pay_levy` legs.
public struct LevyQuoteView: Codable, Sendable, Equatable {
    public struct Levy: Codable, Sendable, Equatable {
        public let zone: ZoneID
        public let treasury: AccountID
        public let asset: AssetCode
        public let amount: Amount
        public let law: Digest32

        public var due: LevyDue { LevyDue(zone: zone, treasury: treasury, asset: asset, amount: amount, law: law) }
    }

    public let levies: [Levy]
    /// The amount plus every levy: what the payer pays.
    public let total: Amount

    public init(_ due: [LevyDue], amount: Amount) {
        levies = due.map { Levy(zone: $0.zone, treasury: $0.treasury, asset: $0.asset, amount: $0.amount, law: $0.law) }
        total = Amount(UInt64(clamping: due.reduce(UInt128(amount.units)) { $0 + UInt128($1.amount.units) }))
    }
}
