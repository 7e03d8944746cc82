import ArgumentParser
import Foundation
import KhataCore
import KhataEngine

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new ledger from a genesis file, or a development ledger with demo participants.",
        discussion: """
            Examples:
              khata init --dev --data ./ledger
              khata init --genesis genesis.json --data /var/lib/khata

            --dev writes fresh keys to DIR/keys/ (the ledger key, an issuer, two banks, a custodian,
            an oracle, a company and three people), registers INR, BTC and XAU, gives the banks,
            the company and the people opening INR balances, and names everyone in
            DIR/participants.json so that commands accept names like `asha`.
            The genesis file format is described in docs/OPERATIONS.md.
            """
    )

    @OptionGroup var ledger: LedgerOptions

    @Option(help: ArgumentHelp("A genesis file (JSON).", valueName: "file"))
    var genesis: String?

    @Flag(help: "Create a development ledger with demo participants and fresh keys.")
    var dev = false

    @Option(help: "The ledger's origin, with --dev.")
    var origin = "khata.local/dev"

    @Option(name: .customLong("ledger-key"), help: ArgumentHelp("With --genesis: the ledger key file, to sign checkpoints.", valueName: "file"))
    var ledgerKey: String?

    func validate() throws {
        guard (genesis == nil) != !dev else { throw ValidationError("pass either --genesis FILE or --dev") }
    }

    func run() throws {
        let directory = ledger.data
        if FileManager.default.fileExists(atPath: LedgerDirectory(directory).journalPath) {
            throw CommandFailure("a ledger already exists in \(directory); use another --data directory")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file: GenesisFile
        if dev {
            if FileManager.default.fileExists(atPath: "\(directory)/keys") {
                throw CommandFailure("\(directory)/keys already exists; use an empty --data directory")
            }
            file = try DevGenesis.make(origin: origin, directory: directory)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(file).write(to: URL(fileURLWithPath: "\(directory)/genesis.json"))
        } else {
            file = try GenesisFile.read(genesis!)
        }
        let genesis = try file.genesis()
        let made = try engine { () throws(EngineError) in try LedgerDirectory(directory).create(genesis: genesis) }
        let participants = Participants(participants: file.participants ?? [])
        if !participants.participants.isEmpty { try participants.write(to: directory) }
        let keyPath = dev ? "keys/ledger.key" : ledgerKey.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        try NodeConfiguration(ledgerKey: keyPath).write(to: directory)
        let vkey = try ledgerVerifierKey(made).vkey
        try (vkey + "\n").write(toFile: "\(directory)/vkey", atomically: true, encoding: .utf8)
        print("Created ledger \(made.origin) in \(directory) (\(made.state.accounts.count) accounts, \(made.state.assets.count) assets).")
        print("Its verifier key (also in \(directory)/vkey): \(vkey)")
        if let signer = try NodeConfiguration.load(from: directory).checkpointSigner(directory: directory, ledger: made) {
            try engine { () throws(EngineError) in try LedgerDirectory(directory).publishCheckpoint(made, signer: signer) }
        }
        if dev {
            print(
                """
                Keys are in \(directory)/keys/ and names in \(directory)/participants.json.
                Make a first payment (₹250.00 from Asha to Ravi):
                  khata tx transfer --data \(directory) --key asha --from asha --to ravi --asset INR --amount 250.00
                  khata account show ravi --data \(directory)
                """)
        }
    }
}
