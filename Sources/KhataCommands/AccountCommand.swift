import ArgumentParser
import Foundation
import KhataAPI
import KhataCore
import KhataEngine
import KhataNode
import KhataStorage

struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "Show an account's balances and history.",
        subcommands: [Show.self, History.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an account's balances, controllers and flags.",
            discussion: "Example:\n  khata account show asha --data ./ledger\n  khata account show 9f3a…c2d1 --data ./ledger --json"
        )
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The account: 32 hex digits or a participant's name.")
        var account: String

        func run() throws {
            let session = try ledger.openForReading()
            let state = session.ledger.state
            let id = try ledger.participants.account(account)
            guard let found = state.accounts[id] else { throw CommandFailure("no account \(id) in this ledger") }
            let view = AccountView(found, state: state, name: ledger.participants.name(of: id))
            if output.json { return try printJSON(view) }
            print("account   \(id)\(view.name.map { " (\($0))" } ?? "")")
            if let issued = found.issuedAsset { print("kind      issuance account of \(issued) (may go negative)") }
            if let controllers = found.controllers {
                print("controls  \(controllers.threshold) of \(controllers.keys.count): \(controllers.keys.map(\.hex).joined(separator: ", "))")
            }
            print("zone      \(found.zone), KYC tier \(found.kycTier)\(found.isClosed ? ", CLOSED" : "")")
            print("opened    at entry \(found.createdAt)")
            guard !view.balances.isEmpty else { return print("balances  none") }
            print("")
            print(
                table(
                    [["asset", "balance", "available", "pending out", "pending in"]]
                        + view.balances.map {
                            [$0.asset.description, $0.balance, $0.available, $0.pendingDebits, $0.pendingCredits]
                        }))
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the committed entries that touched an account, newest first.",
            discussion: "Example:\n  khata account history asha --data ./ledger --limit 20\nPage back with --before <the oldest index shown>."
        )
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The account: 32 hex digits or a participant's name.")
        var account: String
        @Option(help: "How many entries (at most 1000).")
        var limit = 20
        @Option(help: "Only entries before this index.")
        var before: UInt64?

        func validate() throws {
            guard (1...Limits.maxPageEntries).contains(limit) else { throw ValidationError("--limit is 1 to \(Limits.maxPageEntries)") }
        }

        func run() throws {
            let session = try ledger.openForReading()
            let id = try ledger.participants.account(account)
            let journal = session.ledger.journal
            let indexes: [LeafIndex]
            do { indexes = try journal.history(of: id, before: before.map(LeafIndex.init), limit: limit) } catch {
                throw CommandFailure(error.message)
            }
            let entries = try indexes.map { index in
                do { return try Entry(decoding: journal.entry(at: index).bytes) } catch { throw CommandFailure("entry \(index): \(error)") }
            }
            let views = entries.map { EntryView($0, state: session.ledger.state, participants: ledger.participants) }
            if output.json { return try printJSON(views) }
            if views.isEmpty { return print("no entries") }
            for view in views { print(view.summary) }
        }
    }
}
