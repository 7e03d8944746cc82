import ArgumentParser
import Foundation
import KhataAPI
import KhataBytes
import KhataClient
import KhataCore
import KhataEd25519
import KhataNode

// `khata zone`, `khata law` and `khata proposal` (docs/LAWS.md).

struct ZoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zone",
        abstract: "Show zones and their laws; register a zone; move an account's home zone (the exit).",
        discussion: """
            Examples:
              khata zone list --data ./ledger
              khata zone show 1 --data ./ledger
              khata zone move --data ./ledger --key asha --account asha --zone 1
            """,
        subcommands: [List.self, Show.self, Laws.self, Register.self, Move.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every zone with the version and hash of its law in force.",
            discussion: "Example:\n  khata zone list --data ./ledger\n  khata zone list --node http://127.0.0.1:7370 --data ./ledger --json")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions

        func run() throws {
            let views = try source.read(local: { ZoneSummaryView.all(in: $0) }, remote: { try $0.zones() })
            if output.json { return try printJSON(views) }
            if views.isEmpty { return print("no zones: every account is bound by no law") }
            print(
                table(
                    [["zone", "name", "law", "hash", "open proposals"]]
                        + views.map {
                            [
                                String($0.id), $0.name, "v\($0.lawVersion)", String($0.lawHash.hex.prefix(16)) + "…",
                                $0.openProposals.isEmpty ? "-" : $0.openProposals.map(String.init).joined(separator: ", "),
                            ]
                        }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a zone: its governors and guardian, how its law changes, the law in force and pending changes.",
            discussion: "Example:\n  khata zone show 1 --data ./ledger")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions
        @Argument(help: "The zone's id (0 is the mainland).")
        var zone: ZoneID

        func run() throws {
            let (view, scale) = try source.read(
                local: { state in
                    let found = try existingZone(zone, in: state)
                    return (ZoneView(found, state: state), found.law.law.currency.flatMap { state.assets[$0]?.scale } ?? 0)
                },
                remote: { client in
                    let view = try client.zone(zone)
                    return (view, try view.law.law.currency.map { try client.asset($0).scale } ?? 0)
                })
            if output.json { return try printJSON(view) }
            print("zone \(view.id) “\(view.name)”, registered at entry \(view.registeredAt)")
            let governance = view.governance
            print(
                "governors: \(view.governors.count) (\(governance.threshold) yes to pass, quorum \(governance.quorum), "
                    + (governance.vetoes == 0 ? "no veto" : "\(governance.vetoes) veto(es) defeat") + ")")
            print(
                "voting: \(governance.votingSeconds) s, then a time lock of \(governance.timelockSeconds) s; guardian \(view.guardian.hex.prefix(16))…"
            )
            print("law v\(view.law.version) \(view.law.hash), in force from entry \(view.law.inForceFrom)")
            for line in lawLines(view.law.law, scale: scale, name: source.name) { print("  " + line) }
            if view.pending.isEmpty {
                print("no pending changes")
            } else {
                for proposal in view.pending { print("pending: " + proposalLine(proposal)) }
            }
        }
    }

    struct Laws: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every version of a zone's law, oldest first.", discussion: "Example:\n  khata zone laws 0 --data ./ledger")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions
        @Argument(help: "The zone's id.")
        var zone: ZoneID

        func run() throws {
            let versions = try lawVersions(of: zone, from: source)
            if output.json { return try printJSON(versions) }
            print(
                table(
                    [["version", "hash", "in force from", "enacted by"]]
                        + versions.map {
                            ["v\($0.version)", $0.hash.hex, "entry \($0.inForceFrom)", $0.proposal.map { "proposal \($0)" } ?? "registration"]
                        }))
        }
    }

    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a zone with its governors, guardian, governance and first law (signed by the ledger's issuer keys).",
            discussion: """
                Example:
                  khata law template 1 --data ./ledger > law.json      # a law to start from; edit it
                  khata zone register --data ./ledger --key rbi --zone 3 --name "Port zone" \\
                    --governor zone-governor-1 --governor zone-governor-2 --guardian zone-guardian --quorum 2 --threshold 2 --law law.json
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The new zone's id (1 to 65534; 0 is the mainland).")
        var zone: ZoneID
        @Option(help: "Its name (1 to 32 bytes).")
        var name: String
        @Option(name: .customLong("governor"), help: "A governor's key: key file, participant name or 64-hex public key (repeatable).")
        var governors: [String]
        @Option(help: "The guardian's key, who may only cancel a pending change.")
        var guardian: String
        @Option(help: "Seconds a proposal is open for votes.")
        var votingSeconds: UInt32 = 7 * 86_400
        @Option(help: "The fewest governors who must vote.")
        var quorum: UInt8
        @Option(help: "The fewest yes votes that pass a change.")
        var threshold: UInt8
        @Option(help: "Veto votes that defeat a change (0: no veto).")
        var vetoes: UInt8 = 0
        @Option(help: "Seconds a passed change waits before it takes effect.")
        var timelockSeconds: UInt32 = 86_400
        @Option(help: ArgumentHelp("The law, as JSON (docs/LAWS.md).", valueName: "file"))
        var law: String

        func run() throws {
            let participants = common.ledger.participants
            let registration: RegisterZone
            do {
                registration = try RegisterZone(
                    zone: zone, name: name, governors: try governors.map { try publicKey($0, participants, directory: common.ledger.data) },
                    guardian: try publicKey(guardian, participants, directory: common.ledger.data),
                    governance: Governance(
                        votingSeconds: votingSeconds, quorum: quorum, threshold: threshold, vetoes: vetoes, timelockSeconds: timelockSeconds),
                    law: try readLaw(law))
            } catch let error as MalformedInput {
                throw CommandFailure(error.message)
            }
            try common.submit { _, _ in [.registerZone(registration)] }
        }
    }

    struct Move: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move an account's home zone, signed by the account alone (the exit no law can block).",
            discussion: """
                Only the destination's entry tier can refuse it; an exit levy is due only if the law in
                force when the account entered its zone declared one (then it is paid as its own leg).
                Example:
                  khata zone move --data ./ledger --key asha --account asha --zone 1
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The account moving (id or participant name).")
        var account: String
        @Option(help: "The destination zone.")
        var zone: ZoneID

        func run() throws {
            try common.submit { state, participants in
                try state.withLevies(.moveZone(MoveZone(account: try participants.account(account), zone: zone)))
            }
        }
    }
}

struct LawCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "law",
        abstract: "Show a zone's law, write it as JSON to edit for a proposal, or hash a law file.",
        discussion: """
            Examples:
              khata law show 0 --data ./ledger
              khata law template 0 --data ./ledger > law.json
              khata law hash law.json
            """,
        subcommands: [Show.self, Template.self, Hash.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a zone's law in force (or an earlier version) parameter by parameter.",
            discussion: "Example:\n  khata law show 1 --data ./ledger\n  khata law show 0 --version 1 --data ./ledger --json")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions
        @Argument(help: "The zone's id.")
        var zone: ZoneID
        @Option(help: "A version (default: the one in force).")
        var version: UInt32?

        func run() throws {
            let versions = try lawVersions(of: zone, from: source)
            guard let chosen = version.map({ wanted in versions.first { $0.version == wanted } }) ?? versions.last else {
                throw CommandFailure("zone \(zone) has law versions 1 to \(versions.count), not \(version ?? 0)")
            }
            if output.json { return try printJSON(chosen) }
            let scale =
                try chosen.law.currency.map { currency in
                    try source.read(local: { $0.assets[currency]?.scale ?? 0 }, remote: { try $0.asset(currency).scale })
                } ?? 0
            print("zone \(zone) law v\(chosen.version) \(chosen.hash), in force from entry \(chosen.inForceFrom)")
            for line in lawLines(chosen.law, scale: scale, name: source.name) { print("  " + line) }
        }
    }

    struct Template: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a zone's law in force as JSON, to edit and propose (`khata proposal new --law FILE`).",
            discussion: "Example:\n  khata law template 0 --data ./ledger > law.json")
        @OptionGroup var source: ReadSource
        @Argument(help: "The zone's id.")
        var zone: ZoneID

        func run() throws {
            let law = try source.read(local: { try existingZone(zone, in: $0).law.law }, remote: { try $0.zone(zone).law.law })
            try printJSON(law)
        }
    }

    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a law file and print its hash (what the log and a rejection name it by).",
            discussion: "Example:\n  khata law hash law.json")
        @Argument(help: "The law, as JSON.")
        var file: String

        func run() throws { print(try readLaw(file).hash.hex) }
    }
}

struct ProposalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposal",
        abstract: "Propose, vote on and cancel law changes; show a proposal with its simulated effect.",
        discussion: """
            Examples:
              khata proposal list --data ./ledger
              khata proposal show 1 --data ./ledger
              khata law template 0 --data ./ledger > law.json    # edit it, then:
              khata proposal new --data ./ledger --key zone-governor-1 --zone 0 --law law.json
              khata proposal vote 2 --data ./ledger --key zone-governor-2 --choice yes
              khata proposal cancel 2 --data ./ledger --key zone-guardian
            """,
        subcommands: [List.self, Show.self, New.self, Vote.self, Cancel.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List law proposals, oldest first.", discussion: "Example:\n  khata proposal list --data ./ledger --zone 0")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this zone's.")
        var zone: ZoneID?

        func run() throws {
            var views: [ProposalSummaryView] = []
            var after: UInt64 = 0
            while true {
                let page = try source.read(
                    local: { ProposalSummaryView.list(in: $0, zone: zone, after: after, limit: 1_000) },
                    remote: { try $0.proposals(zone: zone, after: after, limit: 1_000) })
                views += page
                guard page.count == 1_000, let last = page.last else { break }
                after = last.id
            }
            if output.json { return try printJSON(views) }
            if views.isEmpty { return print("no proposals") }
            for view in views { print(proposalLine(view)) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a proposal: what it changes, its votes, its time lock, and its simulated effect on the state now.",
            discussion:
                "Example:\n  khata proposal show 1 --data ./ledger\n  khata proposal show 1 --node http://127.0.0.1:7370 --data ./ledger --json")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions
        @Argument(help: "The proposal's id.")
        var id: UInt64

        func run() throws {
            let view: ProposalView
            let scale: UInt8
            if let node = source.node {
                let client = try NodeClientOptions.client(url: node, directory: source.ledger.data)
                view = try client.proposal(id)
                scale = try view.law.currency.map { try client.asset($0).scale } ?? 0
            } else {
                let session = try source.ledger.openForReading()
                let state = session.ledger.state
                guard let proposal = state.zones.proposals[id], let zone = state.zones.zones[proposal.zone] else {
                    throw CommandFailure("no proposal \(id) in this ledger (see `khata proposal list`)")
                }
                var local = ProposalView(proposal, zone: zone)
                if proposal.status.isActive {
                    let current = zone.law.law
                    local.effect = ProposalView.Effect(
                        atIndex: LeafIndex(state.size), current: state.effect(of: current, in: zone.id),
                        proposed: state.effect(of: proposal.law, in: zone.id),
                        levies: try LevyReplay.read(
                            from: session.ledger.journal, zone: zone.id, current: current, proposed: proposal.law, state: state))
                }
                view = local
                scale = proposal.law.currency.flatMap { state.assets[$0]?.scale } ?? 0
            }
            if output.json { return try printJSON(view) }
            print(proposalLine(view.summary))
            print(
                "proposed by \(view.proposer.hex.prefix(16))… at entry \(view.proposedAt), against law v\(view.baseVersion); in force now: v\(view.inForce.version)"
            )
            print("new law \(view.summary.lawHash)" + (view.documentChanged ? " (its text changes: \(view.law.url))" : " (same text)"))
            if view.changes.isEmpty { print("no parameter changes") }
            for change in view.changes { print("  \(change.parameter): \(change.from ?? "(none)") → \(change.to ?? "(none)")") }
            let tally = view.tally
            print(
                "votes: \(tally.yes) yes, \(tally.no) no, \(tally.veto) veto (needs \(tally.threshold) yes, quorum \(tally.quorum)"
                    + (tally.vetoes > 0 ? ", \(tally.vetoes) veto(es) defeat" : "") + "); if voting ended now: \(tally.wouldBe)")
            for vote in view.votes { print("  \(vote.governor.hex.prefix(16))… \(vote.choice.name)") }
            guard let effect = view.effect else { return }
            let money = { (amount: Amount) in AmountText.format(amount, scale: scale) }
            print("simulated effect on the state at entry \(effect.atIndex) (in force → proposed):")
            print("  accounts in the zone: \(effect.proposed.accounts); by tier: \(effect.current.tiers) → \(effect.proposed.tiers)")
            for (label, now, then) in [
                ("over the balance cap", effect.current.overBalanceCap, effect.proposed.overBalanceCap),
                ("over today's cap", effect.current.overDailyCap, effect.proposed.overDailyCap),
                ("over this month's cap", effect.current.overMonthlyCap, effect.proposed.overMonthlyCap),
            ] {
                print("  \(label): \(now.accounts) account(s), \(money(now.amount)) → \(then.accounts) account(s), \(money(then.amount))")
            }
            for holding in effect.proposed.disallowedHoldings {
                print("  holding \(holding.asset), which it does not allow: \(holding.accounts) account(s), \(holding.amount) minor units")
            }
            print(
                "  pending transfers whose post it would refuse: \(effect.current.failingPendings.count) → \(effect.proposed.failingPendings.count)")
            print("  below its entry tier (could not move in): \(effect.current.belowEntryTier) → \(effect.proposed.belowEntryTier)")
            if let levies = effect.levies {
                print(
                    "  levies on the last \(levies.days) days' \(levies.payments) payment(s) across its border: \(money(levies.current)) → \(money(levies.proposed))"
                        + (levies.truncated ? " (the latest \(LevyReplay.maxEntries) entries only)" : ""))
            }
        }
    }

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose a new law for a zone (signed by one of its governors: the first --key).",
            discussion: """
                Example:
                  khata law template 0 --data ./ledger > law.json    # edit it, then:
                  khata proposal new --data ./ledger --key zone-governor-1 --zone 0 --law law.json
                The receipt's entry holds the proposal; `khata proposal list` shows its id.
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The zone.")
        var zone: ZoneID
        @Option(help: ArgumentHelp("The proposed law, as JSON (docs/LAWS.md).", valueName: "file"))
        var law: String

        func run() throws {
            let proposed = try readLaw(law)
            let proposer = try firstKey(common)
            try common.submit { _, _ in [.proposeLaw(ProposeLaw(zone: zone, proposer: proposer, law: proposed))] }
        }
    }

    struct Vote: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Vote on a proposal as a governor (the first --key); a later vote replaces an earlier one while voting is open.",
            discussion: "Example:\n  khata proposal vote 1 --data ./ledger --key zone-governor-2 --choice yes")
        @OptionGroup var common: TransactionOptions
        @Argument(help: "The proposal's id.")
        var id: UInt64
        @Option(help: "yes, no or veto.")
        var choice: String

        func run() throws {
            guard let choice = VoteLaw.Choice(name: choice) else { throw CommandFailure("--choice is yes, no or veto, not \"\(choice)\"") }
            let governor = try firstKey(common)
            try common.submit { _, _ in [.voteLaw(VoteLaw(proposal: id, governor: governor, choice: choice))] }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a proposal before it takes effect (signed by its zone's guardian).",
            discussion: "Example:\n  khata proposal cancel 1 --data ./ledger --key zone-guardian")
        @OptionGroup var common: TransactionOptions
        @Argument(help: "The proposal's id.")
        var id: UInt64

        func run() throws { try common.submit { _, _ in [.cancelProposal(CancelProposal(proposal: id))] } }
    }
}

/// A zone of the ledger, or a failure that says where to look.
private func existingZone(_ zone: ZoneID, in state: LedgerState) throws -> Zone {
    guard let found = state.zones.zones[zone] else { throw CommandFailure("no zone \(zone) in this ledger (see `khata zone list`)") }
    return found
}

/// Every version of a zone's law, from the directory or a node.
private func lawVersions(of zone: ZoneID, from source: ReadSource) throws -> [LawVersionView] {
    try source.read(local: { try existingZone(zone, in: $0).laws.map(LawVersionView.init) }, remote: { try $0.laws(of: zone) })
}

/// The public key of the first `--key`: the governor who proposes or votes.
private func firstKey(_ common: TransactionOptions) throws -> PublicKey {
    guard let first = common.keys.first else { throw CommandFailure("pass --key with the governor's key") }
    return try common.ledger.participants.signingKey(first, directory: common.ledger.data).publicKey
}

/// A key from the command line: a 64-hex public key, a key file or a participant name.
private func publicKey(_ text: String, _ participants: Participants, directory: String) throws -> PublicKey {
    if let key = PublicKey(hex: text) { return key }
    return try participants.signingKey(text, directory: directory).publicKey
}

/// A law from a JSON file, checked as the ledger checks it.
func readLaw(_ path: String) throws -> Law {
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read the law file \(path)") }
    do { return try JSONDecoder().decode(Law.self, from: data) } catch {
        throw CommandFailure("\(path) is not a valid law: \(describeDecodingError(error))")
    }
}

func proposalLine(_ view: ProposalSummaryView) -> String {
    let when: String
    switch view.status {
    case "voting": when = "voting until \(TimeText.format(view.votingEndsAt))"
    case "passed": when = "passed; takes effect at \(view.enactsAt.map(TimeText.format) ?? "?")"
    default: when = view.status.replacingOccurrences(of: "_", with: " ") + (view.decidedAt.map { " at entry \($0)" } ?? "")
    }
    return "proposal \(view.id) for zone \(view.zone): law \(view.lawHash.hex.prefix(16))…, \(when)"
}

/// A law's parameters, one per line, amounts in major units of its currency.
func lawLines(_ law: Law, scale: UInt8, name: (AccountID) -> String) -> [String] {
    let money = { (amount: Amount?) in amount.map { AmountText.format($0, scale: scale) } ?? "no limit" }
    let percent = { (basisPoints: UInt16) in String(format: "%.2f %%", Double(basisPoints) / 100) }
    var lines = ["text: \(law.url) (SHA-256 \(law.document.hex.prefix(16))…)"]
    let offset = Int(law.utcOffsetMinutes)
    lines.append(String(format: "days and months in UTC%@%02d:%02d", offset < 0 ? "−" : "+", abs(offset) / 60, abs(offset) % 60))
    lines.append("currency: \(law.currency?.description ?? "none (no caps or levies)")")
    lines.append(
        "identity providers: "
            + (law.providers.isEmpty
                ? "none (every account is tier 0)" : law.providers.map { "\(name($0.account)) up to tier \($0.maxTier)" }.joined(separator: ", ")))
    for (tier, limits) in law.tiers.enumerated() {
        let label = tier == law.tiers.count - 1 ? "tier \(tier)+" : "tier \(tier)"
        lines.append(
            "\(label): per payment \(money(limits.perPayment)), a day \(money(limits.daily)), a month \(money(limits.monthly)), balance \(money(limits.balance))"
        )
    }
    if law.tiers.isEmpty { lines.append("no tier limits") }
    lines.append("may receive: " + (law.allowedAssets.isEmpty ? "any asset" : law.allowedAssets.map(\.description).joined(separator: ", ")))
    lines.append("withholding on dividends and interest: \(percent(law.withholdingBasisPoints))")
    for corridor in law.corridors {
        let other = corridor.zone == Corridor.anyZone ? "any other zone" : "zone \(corridor.zone)"
        lines.append(
            "\(corridor.direction == .outbound ? "to" : "from") \(other): levy \(percent(corridor.levyBasisPoints)) (at least \(money(corridor.levyFloor)), at most \(money(corridor.levyCap))), per payment \(money(corridor.maxPerPayment))"
        )
    }
    lines.append("exit levy: \(percent(law.exitLevyBasisPoints)) of the balance, for accounts that entered under it")
    lines.append("to move in: tier \(law.entryMinimumTier)")
    lines.append("treasury: \(law.treasury.map(name) ?? "none")")
    return lines
}
