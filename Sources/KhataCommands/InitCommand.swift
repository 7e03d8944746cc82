import ArgumentParser
import Foundation
import KhataAPI
import KhataCore
import KhataEngine
import KhataFiles
import KhataNode

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new ledger from a genesis file, or a development ledger with demo participants.",
        discussion: """
            Examples:
              khata init --dev --data ./ledger
              khata init --genesis genesis.json --data /var/lib/khata

            --dev writes fresh keys to DIR/keys/ (the ledger key, an issuer, three monetary policy
            governors, two banks, a BTC and a gold custodian, three price oracles, a company and three
            people), registers INR, BTC and XAU (grams, in milligrams), sets a monetary policy backing
            INR with BTC and gold, records the custodians' attestations and the oracles' prices,
            gives the banks, the company and the people opening INR balances, and names everyone in
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
        let keyPath = dev ? "keys/ledger.key" : ledgerKey.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        let file = dev ? nil : try GenesisFile.read(genesis!)
        let made = try InitCommand.create(directory: ledger.data, genesisFile: file, devOrigin: origin, ledgerKeyPath: keyPath)
        if dev {
            print(
                """
                Keys are in \(ledger.data)/keys/ and names in \(ledger.data)/participants.json.
                Make a first payment (₹250.00 from Asha to Ravi):
                  khata tx transfer --data \(ledger.data) --key asha --from asha --to ravi --asset INR --amount 250.00
                  khata account show ravi --data \(ledger.data)
                Or serve it: khata dev --data \(ledger.data)
                """)
        }
        _ = made
    }

    /// Creates a ledger in `directory` from `genesisFile`, or (nil) a development
    /// ledger with fresh keys; writes its configuration, verifier key and first
    /// checkpoint. Shared by `khata init` and `khata dev`.
    static func create(directory: String, genesisFile: GenesisFile?, devOrigin: String, ledgerKeyPath: String?) throws -> Ledger {
        if FileManager.default.fileExists(atPath: LedgerDirectory(directory).journalPath) {
            throw CommandFailure("a ledger already exists in \(directory); use another --data directory")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file: GenesisFile
        if let genesisFile {
            file = genesisFile
        } else {
            if FileManager.default.fileExists(atPath: "\(directory)/keys/ledger.key") {
                throw CommandFailure("\(directory)/keys already holds a ledger key; use an empty --data directory")
            }
            file = try DevGenesis.make(origin: devOrigin, directory: directory, now: Ledger.systemClock())
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(Array(try encoder.encode(file)), to: "\(directory)/genesis.json")
        }
        let genesis = try file.genesis()
        let made = try engine { () throws(EngineError) in try LedgerDirectory(directory).create(genesis: genesis) }
        let participants = Participants(participants: file.participants ?? [])
        if !participants.participants.isEmpty { try participants.write(to: directory) }
        var configuration = try NodeConfiguration.load(from: directory, environment: [:])
        configuration.ledgerKey = ledgerKeyPath
        try configuration.write(to: directory)
        let vkey = try ledgerVerifierKey(origin: made.origin, key: made.state.ledgerKey).vkey
        try AtomicFile.write(Array((vkey + "\n").utf8), to: "\(directory)/vkey")
        print("Created ledger \(made.origin) in \(directory) (\(made.state.accounts.count) accounts, \(made.state.assets.count) assets).")
        print("Its verifier key (also in \(directory)/vkey): \(vkey)")
        if let signer = try configuration.checkpointSigner(directory: directory, ledger: made) {
            _ = try engine { () throws(EngineError) in try LedgerDirectory(directory).publishCheckpoint(made, signer: signer) }
        }
        return made
    }
}
