import ArgumentParser
import Foundation
import KhataAPI
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLog
import KhataNode
import KhataStorage
import KhataWitnessServer
import Logging
import ServiceLifecycle

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Serve a ledger over HTTP: the API, the log in C2SP tiles, the explorer, metrics.",
        discussion: """
            Example:
              khata node --data ./ledger --port 7370
            Configured by DIR/khata.json and KHATA_* environment variables (docs/OPERATIONS.md).
            Stops gracefully on SIGTERM or SIGINT: every accepted transaction gets its receipt.
            """
    )
    @OptionGroup var ledger: LedgerOptions
    @Option(help: "Port to listen on (overrides khata.json and KHATA_PORT).")
    var port: Int?
    @Option(help: "Address to listen on (overrides khata.json and KHATA_HOST).")
    var host: String?

    func run() async throws {
        ShutdownSignals.install(logger: Logger(label: "khata.node"))
        let lock = try DirectoryLock(directory: ledger.data, exclusive: true)
        var configuration = try NodeConfiguration.load(from: ledger.data)
        if let port { configuration.port = port }
        if let host { configuration.host = host }
        let logger = Logger(label: "khata.node")
        let url = "http://\(configuration.host ?? "127.0.0.1")"
        try await Node.run(directory: ledger.data, configuration: configuration, logger: logger, serverMetrics: ServerMetrics.bootstrap()) { bound in
            print("khata node serving \(ledger.data) at \(url):\(bound)/")
            fflush(nil)
        }
        _ = lock
    }
}

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run a development ledger: demo participants, the node and two witnesses, until interrupted.",
        discussion: """
            Example:
              khata dev --data ./ledger --port 7370
            Creates the ledger in --data if it does not exist (an issuer with three monetary policy
            governors, two banks, a BTC and a gold custodian, three price oracles, a company and three
            people, with keys in DIR/keys/), or reopens it; starts two witnesses on the next two ports
            and the node on --port, and prints how to pay. INR is backed by the custodians' BTC and gold
            under a monetary policy; the demo oracles publish prices every minute (--no-reserve-feed
            turns them off) and the node commits its liabilities every 5 minutes.
            """
    )
    @OptionGroup var ledger: LedgerOptions
    @Option(help: "The node's port; the witnesses take the next two.")
    var port = Node.defaultPort
    @Flag(help: "Do not run the demo oracles and custodians (prices then go stale after an hour and mints are refused).")
    var noReserveFeed = false

    /// Records dev's witnesses and port in khata.json (for a later `khata
    /// node`) and returns this run's configuration: the file with `environment`
    /// applied on top. Environment overrides are for this run only; they are
    /// never written to the file.
    static func configure(
        directory: String, port: Int, witnesses: [NodeConfiguration.Witness],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> NodeConfiguration {
        var stored = try NodeConfiguration.load(from: directory, environment: [:])
        stored.witnesses = witnesses
        stored.witnessQuorum = 2
        stored.port = port
        stored.liabilitiesIntervalSeconds = stored.liabilitiesIntervalSeconds ?? 300
        try stored.write(to: directory)
        var configuration = try NodeConfiguration.load(from: directory, environment: environment)
        configuration.port = port
        return configuration
    }

    func validate() throws {
        guard (1_024...65_533).contains(port) else { throw ValidationError("--port is 1024 to 65533 (the witnesses take the next two ports)") }
    }

    func run() async throws {
        let directory = ledger.data
        let logger = Logger(label: "khata.dev")
        ShutdownSignals.install(logger: logger)
        if !FileManager.default.fileExists(atPath: LedgerDirectory(directory).journalPath) {
            // Made whole even if a stop signal comes meanwhile (then the start ends after it).
            _ = try ShutdownSignals.critical {
                try InitCommand.create(directory: directory, genesisFile: nil, devOrigin: "khata.local/dev", ledgerKeyPath: "keys/ledger.key")
            }
        }
        let lock = try DirectoryLock(directory: directory, exclusive: true)
        let ledgerKey = try String(contentsOfFile: "\(directory)/vkey", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var witnesses: [NodeConfiguration.Witness] = []
        var companions: [any Service] = []
        try FileManager.default.createDirectory(atPath: "\(directory)/witnesses", withIntermediateDirectories: true)
        for n in 1...2 {
            let keyPath = "\(directory)/keys/witness-\(n).key"
            if !FileManager.default.fileExists(atPath: keyPath) { try KeyFile(name: "witness-\(n)", key: SigningKey()).write(to: keyPath) }
            let signer = try NoteSigner(name: "witness.local/w\(n)", key: try KeyFile.read(keyPath).signingKey(path: keyPath), type: .cosignatureV1)
            let logKey = try NoteVerifierKey(vkey: ledgerKey)
            let store = try SQLiteWitnessStore(path: "\(directory)/witnesses/w\(n).sqlite")
            let witness = TlogWitness(signer: signer, logs: [WitnessedLog(origin: logKey.name, keys: [logKey])], store: store)
            companions.append(
                WitnessServer.application(witness: witness, host: "127.0.0.1", port: port + n, logger: Logger(label: "khata.witness.w\(n)")))
            witnesses.append(.init(url: "http://127.0.0.1:\(port + n)", vkey: signer.verifierKey.vkey))
        }
        let configuration = try DevCommand.configure(directory: directory, port: port, witnesses: witnesses)
        if !noReserveFeed {
            companions.append(DevReserveFeed(baseURL: "http://127.0.0.1:\(port)", directory: directory, logger: Logger(label: "khata.dev.feed")))
        }
        let port = self.port
        let witnessKeys = witnesses.map(\.vkey)
        try await Node.run(
            directory: directory, configuration: configuration, logger: logger, companions: companions, serverMetrics: ServerMetrics.bootstrap()
        ) { bound in
            print(
                """

                Khata development ledger \(directory) is running.
                  explorer and API   http://127.0.0.1:\(bound)/
                  witnesses          http://127.0.0.1:\(port + 1), http://127.0.0.1:\(port + 2)
                  keys               \(directory)/keys/ (names in \(directory)/participants.json)
                  ledger vkey        \(ledgerKey)
                Make a first payment (₹250.00 from Asha to Ravi):
                  khata tx transfer --node http://127.0.0.1:\(bound) --data \(directory) --key asha --from asha --to ravi --asset INR --amount 250.00
                Reserves, coverage and your proof of inclusion:
                  curl http://127.0.0.1:\(bound)/v1/reserves
                  khata reserves verify http://127.0.0.1:\(bound) --account asha --data \(directory) --vkey "$(cat \(directory)/vkey)" --witness "\(witnessKeys[0])" --witness "\(witnessKeys[1])"
                Verify everything:
                  khata audit http://127.0.0.1:\(bound) --vkey "$(cat \(directory)/vkey)" --witness "\(witnessKeys[0])" --witness "\(witnessKeys[1])"
                Stop with Ctrl-C.
                """)
            fflush(nil)
        }
        _ = lock
    }
}
