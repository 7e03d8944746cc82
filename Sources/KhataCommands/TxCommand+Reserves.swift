import ArgumentParser
import Foundation
import KhataAPI
import KhataBytes
import KhataCore
import KhataEngine
import KhataNode

// The reserve transactions: custodians' attestations, oracles' prices, and the
// monetary policy (docs/RESERVES.md).

extension TxCommand {
    struct AttestReserveCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "attest-reserve",
            abstract: "A custodian attests how much of a reserve asset it holds for the issuer.",
            discussion: """
                Example (the dev BTC custodian holds 3.5 BTC, audited in report.pdf):
                  khata tx attest-reserve --data ./ledger --key btc-vault --custodian btc-vault --asset BTC --amount 3.5 \\
                    --report-sha256 "$(sha256sum report.pdf | cut -c1-64)"
                The custodian must be registered for the asset by the monetary policy and sign; the
                attestation replaces its previous one for the asset. --as-of defaults to now.
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The custodian's account (id or participant name).")
        var custodian: String
        @Option(help: "The reserve asset, for example BTC or XAU.")
        var asset: String
        @Option(help: "Minor units (satoshis, milligrams) or major units with a decimal point (3.5 BTC, 1000.000 g).")
        var amount: String
        @Option(help: "When the holding was observed, in milliseconds since 1970. Default: now.")
        var asOf: UInt64?
        @Option(name: .customLong("report-sha256"), help: "SHA-256 of the custodian's audit report (64 hex digits).")
        var report: String?

        func run() throws {
            try common.submit { state, participants in
                let code = try assetCode(asset)
                let digest = try report.map { text -> Digest32 in
                    guard let bytes = Hex.decode(text), let digest = Digest32(bytes: bytes) else {
                        throw CommandFailure("--report-sha256 is 64 hex digits")
                    }
                    return digest
                }
                let attestation = AttestReserve(
                    custodian: try participants.account(custodian), asset: code,
                    amount: try AmountText.parse(amount, scale: try state.scale(of: code) ?? 0),
                    asOf: Timestamp(milliseconds: asOf ?? Ledger.systemClock().milliseconds), report: digest)
                return [.attestReserve(attestation)]
            }
        }
    }

    struct AttestPriceCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "attest-price",
            abstract: "An oracle attests the price of a reserve asset in the policy's currency.",
            discussion: """
                Example (oracle-1 prices a bitcoin at ₹80,00,000.00 and a gram of gold at ₹9,500.00):
                  khata tx attest-price --data ./ledger --key oracle-1 --oracle oracle-1 --asset BTC --price 8000000.00
                  khata tx attest-price --data ./ledger --key oracle-1 --oracle oracle-1 --asset XAU --price 9500.00
                The price is per whole unit of the asset (one BTC, one gram) in --currency (minor units,
                or major units with a decimal point). The oracle must be registered for the asset.
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The oracle's account (id or participant name).")
        var oracle: String
        @Option(help: "The reserve asset priced.")
        var asset: String
        @Option(help: "The price of one whole unit of the asset.")
        var price: String
        @Option(help: "The currency the price is in.")
        var currency = "INR"
        @Option(help: "When the price was observed, in milliseconds since 1970. Default: now.")
        var asOf: UInt64?

        func run() throws {
            try common.submit { state, participants in
                let scale = try state.scale(of: try assetCode(currency)) ?? 0
                let attestation = AttestPrice(
                    oracle: try participants.account(oracle), asset: try assetCode(asset),
                    price: try AmountText.parse(price, scale: scale),
                    asOf: Timestamp(milliseconds: asOf ?? Ledger.systemClock().milliseconds))
                return [.attestPrice(attestation)]
            }
        }
    }

    struct SetPolicy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-policy",
            abstract: "Replace the monetary policy (signed by the current policy's governance threshold).",
            discussion: """
                Example (the dev ledger's governors raise the required coverage to 110 %):
                  curl -s http://127.0.0.1:7370/v1/reserves | jq '.policy | .version += 1 | .required_coverage_basis_points = 11000' > policy.json
                  khata tx set-policy policy.json --data ./ledger --key governor-1 --key governor-2
                The file holds the whole policy as JSON (docs/RESERVES.md); its version must be one more
                than the current one.
                """
        )
        @OptionGroup var common: TransactionOptions
        @Argument(help: ArgumentHelp("The policy as JSON.", valueName: "file"))
        var file: String

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("cannot read \(file)") }
            let policy: MonetaryPolicy
            do { policy = try JSONDecoder().decode(MonetaryPolicy.self, from: data) } catch {
                throw CommandFailure("\(file) is not a monetary policy: \(describeDecodingError(error))")
            }
            try common.submit { _, _ in [.setMonetaryPolicy(SetMonetaryPolicy(policy: policy))] }
        }
    }
}
