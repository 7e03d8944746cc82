import ArgumentParser
import Foundation
import KhataAPI
import KhataBytes
import KhataCore
import KhataEngine
import KhataNode

struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Show the ledger's size, supply per asset and state digest.",
        discussion: """
            Examples:
              khata state --data ./ledger
              khata state --node http://127.0.0.1:7370 --data ./ledger
            With --node, a running node's durable state (GET /v1/state): its size and
            digest as the node says; `khata audit URL` replays the log and reaches the
            same digest at the same size. --data then only pins the ledger's key.
            The state digest is SHA-256 of the canonical state snapshot (docs/ENCODING.md):
            two ledgers with the same digest hold exactly the same books.
            """
    )
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("A running node to ask instead of opening --data.", valueName: "url"))
    var node: String?

    struct View: Encodable {
        let origin: String
        let entries: UInt64
        let time: String
        let accounts: Int
        let digest: Digest32
        let assets: [AssetView]
        let reserveStatus: String?
        let coverageBasisPoints: UInt64?

        enum CodingKeys: String, CodingKey {
            case origin, entries, time, accounts, digest, assets
            case reserveStatus = "reserve_status"
            case coverageBasisPoints = "coverage_basis_points"
        }
    }

    func run() throws {
        if let node { return try showNode(node) }
        let session = try ledger.openForReading()
        let state = session.ledger.state
        let supplies = state.assets.keys.sorted().map { AssetView(state.assets[$0]!, state: state) }
        let reserves = state.reserveStatus(at: Ledger.systemClock())
        let view = View(
            origin: state.origin, entries: state.size, time: TimeText.format(state.time), accounts: state.accounts.count,
            digest: state.digest, assets: supplies, reserveStatus: reserves.map(ReservesView.status(of:)),
            coverageBasisPoints: reserves?.coverageBasisPoints)
        if output.json { return try printJSON(view) }
        print("origin    \(view.origin)")
        print("entries   \(view.entries) (last at \(view.time))")
        print("accounts  \(view.accounts)")
        print("digest    \(view.digest)")
        if let status = view.reserveStatus, let policy = state.reserves.policy {
            let coverage = view.coverageBasisPoints.map(percent) ?? "unbounded"
            print(
                "reserves  \(policy.currency) \(status), coverage \(coverage) (required \(percent(policy.requiredCoverageBasisPoints)); khata reserves show)"
            )
        }
        print("")
        print(table([["asset", "kind", "supply", "holders"]] + supplies.map { [$0.code.description, $0.kind.name, $0.supply, String($0.holders)] }))
    }

    private func showNode(_ url: String) throws {
        let view = try NodeClientOptions.client(url: url, directory: ledger.data).state()
        if output.json { return try printJSON(view) }
        print("origin    \(view.origin)")
        print("entries   \(view.size) (last at \(TimeText.format(view.time)))")
        print("accounts  \(view.accounts)")
        print("digest    \(view.digest)  (as the node says; khata audit \(url) replays the log to check it)")
    }
}
