import ArgumentParser
import Foundation
import KhataAPI
import KhataCore
import KhataLog
import KhataNode
import KhataStorage
import KhataWitnessServer

struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Run a C2SP tlog-witness that cosigns checkpoints of the logs it trusts.",
        discussion: """
            Example:
              khata keys new --out witness.key
              khata witness vkey --key witness.key --name witness.local/w1
              khata witness serve --key witness.key --name witness.local/w1 --state w1.sqlite \\
                  --listen 127.0.0.1:7380 --log "$(cat ./ledger/vkey)"
            Then add {"url": "http://127.0.0.1:7380", "vkey": "<its vkey>"} to "witnesses" in the
            ledger's khata.json. The witness speaks c2sp.org/tlog-witness, so it can serve any
            transparency log whose checkpoints are Ed25519 signed notes.
            """,
        subcommands: [Serve.self, VKey.self]
    )

    struct KeyOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The witness's key file (from `khata keys new`).", valueName: "file"))
        var key: String
        @Option(help: "The witness's name (its key name in cosignatures), e.g. witness.example/w1.")
        var name: String

        func signer() throws -> NoteSigner {
            let key = try KeyFile.read(self.key).signingKey(path: self.key)
            do { return try NoteSigner(name: name, key: key, type: .cosignatureV1) } catch { throw CommandFailure("--name: \(error)") }
        }
    }

    struct VKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "vkey",
            abstract: "Print the witness's verifier key (C2SP name+keyid+base64, type 0x04).",
            discussion: "Example:\n  khata witness vkey --key witness.key --name witness.local/w1"
        )
        @OptionGroup var keys: KeyOptions
        func run() throws { print(try keys.signer().verifierKey.vkey) }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve POST /add-checkpoint until interrupted.",
            discussion: "Example:\n  khata witness serve --key witness.key --name witness.local/w1 --state w1.sqlite --log \"$(cat ./ledger/vkey)\""
        )
        @OptionGroup var keys: KeyOptions
        @Option(help: ArgumentHelp("The witness's database: the last checkpoint cosigned per log.", valueName: "file"))
        var state: String
        @Option(help: "host:port to listen on.")
        var listen = "127.0.0.1:7380"
        @Option(name: .customLong("log"), help: "A trusted log's verifier key (repeatable); its key name is the log's origin.")
        var logs: [String]

        func run() async throws {
            let signer = try keys.signer()
            var trusted: [String: [NoteVerifierKey]] = [:]
            for text in logs {
                do {
                    let key = try NoteVerifierKey(vkey: text)
                    guard key.type == .ed25519 else { throw CommandFailure("--log \(key.name): a log key has type 0x01 (Ed25519)") }
                    trusted[key.name, default: []].append(key)
                } catch let error as NoteError {
                    throw CommandFailure("--log \(text.prefix(40)): \(error)")
                }
            }
            guard !trusted.isEmpty else { throw CommandFailure("pass at least one --log key") }
            let parts = listen.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]), (0...65_535).contains(port) else {
                throw CommandFailure("--listen is host:port, e.g. 127.0.0.1:7380")
            }
            let store: SQLiteWitnessStore
            do { store = try SQLiteWitnessStore(path: state) } catch { throw CommandFailure(error.message) }
            let witness = TlogWitness(signer: signer, logs: trusted.map { WitnessedLog(origin: $0.key, keys: $0.value) }, store: store)
            let origins = trusted.keys.sorted().joined(separator: ", ")
            let app = WitnessServer.application(witness: witness, host: String(parts[0]), port: port) { bound in
                print("witness \(signer.verifierKey.name) listening on http://\(parts[0]):\(bound)")
                print("vkey \(signer.verifierKey.vkey)")
                print("trusts \(origins)")
                fflush(nil)
            }
            try await app.runService()
        }
    }
}
