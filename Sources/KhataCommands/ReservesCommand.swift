import ArgumentParser
import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEngine
import KhataLiabilities
import KhataLog
import KhataNode

struct ReservesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserves",
        abstract: "The currency's reserves, coverage and proofs of liabilities.",
        discussion: "See docs/RESERVES.md for the policy, the arithmetic and the liabilities tree.",
        subcommands: [Show.self, Verify.self, Proof.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the reserves, coverage, policy and latest liabilities commitment.",
            discussion: """
                Examples:
                  khata reserves show --data ./ledger
                  khata reserves show --node http://127.0.0.1:7370 --json
                Without --node, evaluates the ledger in --data at the current time.
                """
        )
        @OptionGroup var ledger: LedgerOptions
        @Option(help: ArgumentHelp("Ask a running node instead of reading --data.", valueName: "url"))
        var node: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let view: ReservesView
            if let node {
                do { view = try NodeClientOptions.client(url: node, directory: ledger.data).reserves() } catch let error as ClientError {
                    throw CommandFailure("\(node): \(error)")
                }
            } else {
                let session = try ledger.openForReading()
                let state = session.ledger.state
                guard let policy = state.reserves.policy, let evaluation = state.reserveStatus(at: Ledger.systemClock()) else {
                    throw CommandFailure("this ledger has no monetary policy: nothing is backed by reserves")
                }
                view = ReservesView(state: state, evaluation: evaluation, policy: policy, proofsAvailable: false)
            }
            if output.json { return try printJSON(view) }
            let names = ledger.participants
            print(
                "\(view.currency): \(view.status.uppercased()) — policy v\(view.policy.version), required coverage \(percent(view.now.requiredCoverageBasisPoints))"
            )
            print(describe(view.now, names: names, indent: "  "))
            if let liabilities = view.liabilities {
                print("latest liabilities commitment: entry \(liabilities.index), balances after \(liabilities.commitment.asOf) entries")
                print(
                    "  total \(liabilities.totalText) \(view.currency) over \(liabilities.commitment.leafCount) leaves, root \(liabilities.commitment.root)"
                )
                print(describe(liabilities.evaluation, names: names, indent: "  "))
            } else {
                print("no liabilities commitment yet")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check your inclusion in the latest liabilities commitment and the reserves behind it.",
            discussion: """
                Example (in the dev ledger, as Asha):
                  khata reserves verify http://127.0.0.1:7370 --account asha --key asha --data ./ledger \\
                    --vkey "$(cat ledger/vkey)" --witness "$W1" --witness "$W2" --state audit.json
                The node gives a proof only to its holder: the request is signed here with --key (one
                of the account's controller keys), and the key never leaves this machine. Audits the node's log (checkpoint signatures and witness quorum, every entry, a replay
                from genesis; with --state, only what is new), then checks the node's proof for the
                account against the commitment in the audited log, that the committed total is the
                supply at its size, and that the logged attestations, prices and policy cover it.
                Needs only the ledger's and witnesses' verifier keys. Exits 1 on any failure.
                """
        )
        @Argument(help: "The node's URL.")
        var node: String
        @Option(help: "The account to check (id, or participant name with --data).")
        var account: String
        @Option(help: "A key of the account's to sign the request with (participant name with --data, or a key file).")
        var key: String
        @Option(name: .long, help: ArgumentHelp("A ledger directory whose participants.json names accounts.", valueName: "dir"))
        var data: String?
        @OptionGroup var audit: AuditOptions

        func run() throws {
            let participants = data.map { Participants.load(from: $0) } ?? Participants(participants: [])
            let id = try participants.account(account)
            let signer = try participants.signingKey(key, directory: data)
            let client = KhataClient(baseURL: node, ledgerKey: try NoteVerifierKey(vkey: audit.vkey))
            let served: LiabilityProofView
            do { served = try client.liabilityProof(id, key: signer) } catch { throw CommandFailure("\(node): \(error)") }
            let report = try audit.run(source: node)
            let verification: ReserveVerifier.Verification
            do { verification = try ReserveVerifier.verify(served, account: id, audited: report.state) } catch {
                print("FAILED: \(error)")
                throw ExitCode.failure
            }
            let scale = report.state.assets[verification.commitment.asset]?.scale ?? 0
            let asset = verification.commitment.asset
            print(
                "included    \(account): \(AmountText.format(verification.balance, scale: scale)) \(asset) in the commitment at entry \(verification.commitmentIndex)"
            )
            print(
                "liabilities \(AmountText.format(verification.commitment.total, scale: scale)) \(asset) = the supply after \(verification.commitment.asOf) entries"
            )
            print(
                "reserves    \(EvaluationView(report.state.reserves.liabilities!.evaluation, currencyScale: scale).reserveValueText) \(asset) after haircuts: "
                    + "coverage \(verification.coverageBasisPoints.map(percent) ?? "unbounded"), required \(percent(verification.requiredCoverageBasisPoints))"
                    + (verification.fresh ? "" : " (some inputs were stale)"))
            print("OK: your balance is counted, the liabilities equal the supply, and the logged reserves cover them.")
        }
    }

    struct Proof: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch an account's liabilities proof from a node (unverified; see `reserves verify`).",
            discussion: """
                Example:
                  khata reserves proof asha --key asha --node http://127.0.0.1:7370 --data ./ledger > asha-proof.json
                The request is signed with --key, one of the account's controller keys: the node gives
                a proof (which shows the balance) only to its holder.
                """
        )
        @Argument(help: "The account (id or participant name).")
        var account: String
        @Option(help: "A key of the account's to sign the request with (participant name, or a key file).")
        var key: String
        @Option(help: ArgumentHelp("The node's URL.", valueName: "url"))
        var node: String
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let id = try ledger.participants.account(account)
            let signer = try ledger.participants.signingKey(key, directory: ledger.data)
            do {
                try printJSON(try NodeClientOptions.client(url: node, directory: ledger.data).liabilityProof(id, key: signer))
            } catch let error as ClientError {
                throw CommandFailure("\(node): \(error)")
            }
        }
    }
}

/// Basis points as a percentage with two decimals ("137.56 %").
func percent<T: BinaryInteger>(_ basisPoints: T) -> String {
    let value = UInt64(basisPoints)
    return "\(value / 100).\(String(format: "%02d", Int(value % 100))) %"
}

private func describe(_ view: EvaluationView, names: Participants, indent: String) -> String {
    var lines = [
        "\(indent)supply \(view.supplyText), reserves after haircuts \(view.reserveValueText): coverage "
            + "\(view.coverageBasisPoints.map(percent) ?? "unbounded")\(view.fresh ? "" : " — STALE inputs")"
    ]
    for asset in view.assets {
        let price = asset.price.map { "\($0.units)" } ?? "none (too few fresh prices)"
        lines.append(
            "\(indent)  \(asset.asset): \(asset.amount.units) minor units attested, price \(price), haircut \(percent(asset.haircutBasisPoints)), value \(asset.value)"
        )
        for attestation in asset.attestations {
            lines.append("\(indent)    custodian \(names.name(of: attestation.custodian) ?? attestation.custodian.hex) at entry \(attestation.index)")
        }
        for price in asset.prices {
            lines.append("\(indent)    oracle \(names.name(of: price.oracle) ?? price.oracle.hex): \(price.price.units) at entry \(price.index)")
        }
    }
    return lines.joined(separator: "\n")
}
