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
            Example:
              khata state --data ./ledger
            The state digest is SHA-256 of the canonical state snapshot (docs/ENCODING.md):
            two ledgers with the same digest hold exactly the same books.
            """
    )
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var output: OutputOptions

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
}
