import ArgumentParser
import Foundation
import KhataAPI
import KhataBytes
import KhataClient
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLiabilities
import KhataLog
import KhataNode
import KhataVerify

// `khata instrument …`, `khata action …`, `khata ballot …` (docs/STOCKCHAIN.md).

/// Where a read comes from: a running node (`--node`), or the ledger directory.
struct ReadSource: ParsableArguments {
    @OptionGroup var ledger: LedgerOptions
    @Option(help: ArgumentHelp("Read from a running node (its URL) instead of the ledger directory.", valueName: "url"))
    var node: String?

    /// Runs `local` against the directory's state, or `remote` against a node's client.
    func read<T>(local: (LedgerState) throws -> T, remote: (KhataClient) throws -> T) throws -> T {
        if let node { return try remote(try NodeClientOptions.client(url: node, directory: ledger.data)) }
        let session = try ledger.openForReading()
        return try local(session.ledger.state)
    }

    func name(_ account: AccountID) -> String { ledger.participants.name(of: account) ?? account.hex }
}

struct InstrumentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instrument",
        abstract: "Show instruments: their terms, rules, outstanding amount and holders.",
        subcommands: [List.self, Show.self, Holders.self, ExportOCF.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every instrument.",
            discussion:
                "Example:\n  khata instrument list --data ./ledger\n  khata instrument list --node http://127.0.0.1:7370 --data ./ledger --json")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions

        func run() throws {
            let views = try source.read(
                local: { InstrumentView.all(in: $0) },
                remote: { try $0.instruments() })
            if output.json { return try printJSON(views) }
            if views.isEmpty { return print("no instruments") }
            print(
                table(
                    [["asset", "kind", "name", "issuer", "outstanding", "authorised", "holders"]]
                        + views.map {
                            [
                                $0.asset.description, $0.kind.name, $0.name, source.name($0.issuer),
                                AmountText.format($0.outstanding, scale: $0.scale),
                                AmountText.format($0.authorised, scale: $0.scale), String($0.holders),
                            ]
                        }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one instrument's terms, rules and actions.",
            discussion: "Example:\n  khata instrument show ACME --data ./ledger")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions
        @Argument(help: "The asset code.")
        var asset: String

        func run() throws {
            let code = try assetCode(asset)
            let view = try source.read(
                local: { state in
                    guard let instrument = state.securities.instruments[code] else {
                        throw CommandFailure("\(code) is not an instrument of this ledger")
                    }
                    return InstrumentView(instrument, state: state)
                }, remote: { try $0.instrument(code) })
            if output.json { return try printJSON(view) }
            print("instrument  \(view.asset): \(view.name) (\(view.kind.name)\(view.redeemed ? ", REDEEMED" : ""))")
            print("issuer      \(source.name(view.issuer)); issuance account \(source.name(view.issuanceAccount))")
            print("document    sha256 \(view.document.hex)")
            print(
                "amounts     \(AmountText.format(view.outstanding, scale: view.scale)) outstanding of \(AmountText.format(view.authorised, scale: view.scale)) authorised, \(view.holders) holder(s)"
            )
            if let equity = view.terms.equity { print("terms       class \(equity.shareClass), par \(equity.parValue) \(view.currency) minor units") }
            if let bond = view.terms.bond {
                print(
                    "terms       face \(bond.faceValue) \(view.currency) minor units, coupon \(bond.couponBasisPoints) bp every \(bond.couponMonths) months (\(bond.dayCount.name)), maturity \(TimeText.format(bond.maturity))"
                )
            }
            let rules = view.rules
            print(
                "rules       agent: \(rules.agent.map { "\($0.threshold) of \($0.keys.count) keys" } ?? "the issuer's keys"); identity tier ≥ \(rules.minimumTier)\(rules.identityProviders.isEmpty ? "" : " from " + rules.identityProviders.map(source.name).joined(separator: ", ")); max holders \(rules.maxHolders == 0 ? "none" : String(rules.maxHolders)); max holding \(rules.maxHolding.isZero ? "none" : rules.maxHolding.description)"
            )
            print("actions     \(view.actions.isEmpty ? "none" : view.actions.map(String.init).joined(separator: ", "))")
        }
    }

    struct Holders: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an instrument's holders now, or at a record date, a page at a time.",
            discussion: """
                Examples:
                  khata instrument holders ACME --data ./ledger --limit 50
                  khata instrument holders ACME --data ./ledger --at 1
                Continue with --from <the `next` shown>. With --at, the register committed at that record date (an action's), ascending by account, with its root.
                """)
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions
        @Argument(help: "The asset code.")
        var asset: String
        @Option(help: "Where to start (a position from the previous page).")
        var from: UInt64 = 0
        @Option(help: "How many holders (at most 1000).")
        var limit = 100
        @Option(help: "A record date (entry index) of one of the instrument's actions: its committed register instead of now.")
        var at: UInt64?

        func validate() throws {
            guard (1...Limits.maxPageEntries).contains(limit) else { throw ValidationError("--limit is 1 to \(Limits.maxPageEntries)") }
        }

        func run() throws {
            let code = try assetCode(asset)
            let page = try source.read(
                local: { state -> HolderPage in
                    if let at { return try recordDatePage(state, code: code, at: LeafIndex(at)) }
                    guard let page = HolderPage(state, instrument: code, from: from, limit: limit, at: state.time) else {
                        throw CommandFailure("\(code) is not an instrument of this ledger")
                    }
                    return page
                },
                remote: { client in
                    try at.map { try client.holders(of: code, at: LeafIndex($0), from: from, limit: limit) }
                        ?? client.holders(of: code, from: from, limit: limit)
                })
            if output.json { return try printJSON(page) }
            if let action = page.action, let register = page.register {
                print(
                    "register of action \(action) at record date \(page.size): \(register.leafCount) leaves, total \(register.total), root \(register.root.hex), committed at entry \(register.index)"
                )
            }
            print(
                table(
                    [["holder", "units", "locked"]]
                        + page.lines.map { [source.name($0.account), $0.units.description, $0.locked.isZero ? "" : $0.locked.description] }))
            print("\(page.holders) holder(s) in all\(page.next.map { "; more with --from \($0)" } ?? "")")
        }

        /// The committed register at `at` from the directory: the node's copy in
        /// `registers/`, or, while the action is open, rebuilt from the state.
        private func recordDatePage(_ state: LedgerState, code: AssetCode, at: LeafIndex) throws -> HolderPage {
            guard state.securities.instruments[code] != nil else { throw CommandFailure("\(code) is not an instrument of this ledger") }
            guard let action = state.registeredAction(of: code, at: at) else {
                let dates = state.registeredDates(of: code).map { String($0.value) }
                throw CommandFailure(
                    "no committed register of \(code) has its record date at entry \(at); its registers are at: \(dates.isEmpty ? "none yet" : dates.joined(separator: ", "))"
                )
            }
            let entries: [RegisterEntry]
            if let data = FileManager.default.contents(atPath: "\(source.ledger.data)/registers/\(action.id).register") {
                entries = try RegisterFile.decode(Array(data), action: action.id)
            } else if action.isOpen, let (current, holdings) = state.registerSources(of: action.id) {
                entries = CorporateAction.register(holdings: holdings, saved: current.saved)
            } else {
                throw CommandFailure(
                    "the register of action \(action.id) is not in \(source.ledger.data)/registers; ask the node that committed it (--node)")
            }
            guard let page = HolderPage(recordDate: action, entries: entries, from: from, limit: limit) else {
                throw CommandFailure("registers/\(action.id).register does not sum to the register committed in the log; it is not that register")
            }
            return page
        }
    }
}

struct ActionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "action",
        abstract: "Show corporate actions, settle them without a node, and verify a holder's entitlement.",
        subcommands: [List.self, Show.self, Settle.self, Verify.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an instrument's actions, newest first.", discussion: "Example:\n  khata action list ACME --data ./ledger")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions
        @Argument(help: "The asset code.")
        var asset: String

        func run() throws {
            let code = try assetCode(asset)
            let views = try source.read(
                local: { ActionView.list(in: $0, instrument: code, limit: .max) },
                remote: { try $0.actions(of: code) })
            if output.json { return try printJSON(views) }
            if views.isEmpty { return print("no actions on \(code)") }
            for view in views { print(actionLine(view)) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one action or ballot.", discussion: "Example:\n  khata action show 1 --data ./ledger")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions
        @Argument(help: "The action id.")
        var id: UInt64

        func run() throws {
            let view = try source.read(
                local: { state in
                    guard let action = state.securities.actions[id] else { throw CommandFailure("no action \(id) in this ledger") }
                    return ActionView(action)
                }, remote: { try $0.action(id) })
            if output.json { return try printJSON(view) }
            print(actionLine(view))
            print("record date entry \(view.recordDate): \(view.outstanding) units outstanding among \(view.holders) holder(s)")
            if view.kind != "ballot" {
                print(
                    "escrowed \(view.escrowed), paid \(view.paid) to \(view.settledHolders) holder(s) settled (\(view.settledUnits) units)"
                        + (view.withheld.isZero ? "" : ", of which \(view.withheld) withheld for the holders' zones' treasuries"))
            }
            if let register = view.register {
                print(
                    "register committed at entry \(register.index): total \(register.total), \(register.leafCount) leaves, root \(register.root.hex)")
            }
        }
    }

    struct Settle: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Commit an action's register and settle every remaining holder, in the ledger directory (a node does this by itself).",
            discussion: """
                Example:
                  khata action settle 1 --data ./ledger
                Signs with the ledger key named by `ledger_key` in DIR/khata.json: the ledger alone settles,
                in ascending order, so that nobody can skip a holder. Keeps the register in DIR/registers/.
                """
        )
        @OptionGroup var ledger: LedgerOptions
        @Argument(help: "The action id.")
        var id: UInt64

        func run() throws {
            let session = try ledger.openForWriting()
            let configuration = try NodeConfiguration.load(from: ledger.data)
            guard let key = try configuration.ledgerSigningKey(directory: ledger.data, ledger: session.ledger) else {
                throw CommandFailure(
                    "settling needs the ledger key: name it as ledger_key in \(ledger.data)/khata.json (a node with it settles by itself)")
            }
            let submit = { (operation: LedgerOperation) throws -> Void in
                let transaction: Transaction
                do {
                    transaction = try Transaction(id: .random(), operations: [operation]).signed(by: [key], origin: session.ledger.origin)
                } catch let error as MalformedInput {
                    throw CommandFailure(error.message)
                }
                let receipt = try sequence([transaction], on: session.ledger)[0]
                guard receipt.outcome.isCommitted else { throw CommandFailure("action \(id): \(receipt.outcome.text)") }
            }
            guard let declared = session.ledger.state.securities.actions[id] else { throw CommandFailure("no action \(id) in this ledger") }
            if declared.isOpen && declared.register == nil {
                let entries = session.ledger.state.register(of: declared)
                let tree = try ActionService.tree(
                    entries, asset: declared.asset, recordDate: declared.recordDate, saltKey: LiabilityHashing.saltKey(ledgerSeed: key.seed))
                try RegisterFile.save(entries, action: id, in: "\(ledger.data)/registers")
                try submit(.commitRegister(CommitRegister(action: id, total: Amount(tree.total), leafCount: tree.leafCount, root: tree.root)))
                print("action \(id): register of \(entries.count) holder(s) committed, root \(tree.root.hex)")
            }
            var settled = 0
            while let action = session.ledger.state.securities.actions[id], action.isOpen, action.declaration.terms.ballot == nil {
                let register = session.ledger.state.register(of: action).filter { action.cursor == nil || $0.account > action.cursor! }
                guard !register.isEmpty else { break }
                let chunk = Array(register.prefix(Limits.maxSettlementAccounts).map(\.account))
                try submit(.settleAction(SettleAction(action: id, accounts: chunk)))
                settled += chunk.count
            }
            try session.publishCheckpoint()
            guard let action = session.ledger.state.securities.actions[id] else { throw CommandFailure("no action \(id) in this ledger") }
            print("action \(id): \(settled) holder(s) settled now; \(action.isOpen ? "still open" : "complete"), \(action.paid) paid")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "As a holder, prove what an action owed you: your proof from the node, checked against an audit of its log.",
            discussion: """
                Example (Asha's place in the register of action 1, her key signing the request):
                  khata action verify 1 --node http://127.0.0.1:7370 --data ./ledger --account asha --key asha --asset ACME
                """
        )
        @OptionGroup var ledger: LedgerOptions
        @Option(help: ArgumentHelp("The node's URL.", valueName: "url"))
        var node: String
        @Option(help: "The holder's account.")
        var account: String
        @Option(help: "One of the account's keys (file or participant name), to sign the request.")
        var key: String
        @Option(help: "The instrument's asset code.")
        var asset: String
        @OptionGroup var output: OutputOptions
        @Argument(help: "The action id.")
        var id: UInt64

        func run() throws {
            let client = try NodeClientOptions.client(url: node, directory: ledger.data)
            let participants = ledger.participants
            let holder = try participants.account(account)
            let served = try client.registerProof(
                of: holder, in: try assetCode(asset), action: id, key: try participants.signingKey(key, directory: ledger.data))
            let (report, _) = try Auditor(source: HTTPLogSource(baseURL: node), logKey: client.ledgerKey).run()
            let entitlement: EntitlementVerifier.Entitlement
            do { entitlement = try EntitlementVerifier.verify(served, account: holder, audited: report.state) } catch {
                throw CommandFailure("FAILED: \(error)")
            }
            if output.json { return try printJSON(served) }
            print(
                "OK: \(participants.name(of: holder) ?? holder.hex) held \(entitlement.units) units at the record date of action \(id), in its register committed at entry \(entitlement.registerIndex)"
            )
            if let owed = entitlement.owed { print("    owed \(owed) minor units of the instrument's currency by its logged rate") }
            print(
                "    checked against the log audited to \(report.checkpoint.size) entries (the checkpoint's signatures, not its witnesses: see `khata audit --witness`)"
            )
        }
    }
}

struct BallotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ballot",
        abstract: "Show shareholder ballots and their tallies (vote with `khata tx vote`).",
        subcommands: [List.self, Show.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List ballots, newest first.", discussion: "Example:\n  khata ballot list --data ./ledger")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions

        func run() throws {
            let views = try source.read(
                local: { ActionView.list(in: $0, ballots: true, limit: .max) }, remote: { try $0.ballots() })
            if output.json { return try printJSON(views) }
            if views.isEmpty { return print("no ballots") }
            for view in views { print(actionLine(view)) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a ballot's question and tally.", discussion: "Example:\n  khata ballot show 2 --data ./ledger")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions
        @Argument(help: "The ballot's action id.")
        var id: UInt64

        func run() throws {
            let view = try source.read(
                local: { state in
                    guard let action = state.securities.actions[id], action.declaration.terms.ballot != nil else {
                        throw CommandFailure("no ballot \(id) in this ledger")
                    }
                    return ActionView(action)
                }, remote: { try $0.action(id) })
            guard let ballot = view.terms.ballot else { throw CommandFailure("action \(id) is not a ballot") }
            if output.json { return try printJSON(view) }
            print("ballot \(id) on \(view.asset): \(ballot.question)")
            print("\(view.open ? "open until" : "closed at") \(TimeText.format(ballot.closesAt)); weights are holdings at entry \(view.recordDate)")
            let tally = view.tally ?? []
            print(
                table(
                    [["option", "weight"]]
                        + ballot.options.enumerated().map {
                            [$0.element, (tally.indices.contains($0.offset) ? tally[$0.offset] : .zero).description]
                        }))
            print("\(view.voters ?? 0) voter(s) of \(view.holders) holder(s); \(view.outstanding) units could vote")
        }
    }
}

func actionLine(_ view: ActionView) -> String {
    let what: String
    switch view.terms {
    case .cashDividend(let amount, let per): what = "cash dividend \(amount) per \(per)"
    case .coupon(let days): what = "coupon" + (days > 0 ? " for \(days) days" : "")
    case .redemption(let amount, let per): what = "redemption at \(amount) per \(per)"
    case .split(let numerator, let denominator, _): what = "split \(numerator):\(denominator)"
    case .ballot(let ballot): what = "ballot “\(ballot.question)”"
    }
    return
        "\(view.id)  \(view.asset)  \(what)  record date \(view.recordDate)  \(view.open ? "open" : "complete at \(view.completedAt.map(String.init) ?? "?")")"
}
