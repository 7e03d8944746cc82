import ArgumentParser
import Foundation
import KhataBench
import KhataBytes
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLiabilities
import KhataNode
import KhataTestSupport
import Testing

@testable import KhataCommands

/// Runs `khata ARGS…` in-process and returns what it printed to standard output.
@discardableResult
func khata(_ arguments: [String]) throws -> String {
    var command = try Khata.parseAsRoot(arguments)
    return try captureStandardOutput { try command.run() }
}

/// Captures standard output (file descriptor 1) while `body` runs.
func captureStandardOutput(_ body: () throws -> Void) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("khata-out-\(UInt64.random(in: 0...UInt64.max))").path
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: path) }
    fflush(nil)
    let saved = dup(1)
    let file = open(path, O_WRONLY)
    dup2(file, 1)
    close(file)
    defer {
        fflush(nil)
        dup2(saved, 1)
        close(saved)
    }
    do {
        try body()
    } catch {
        fflush(nil)
        throw error
    }
    fflush(nil)
    return String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
}

/// All the `khata` subcommands, leaves included.
func allCommands(_ root: any ParsableCommand.Type = Khata.self) -> [any ParsableCommand.Type] {
    [root] + root.configuration.subcommands.flatMap { allCommands($0) }
}

/// The command-line tests share stdout, so they run one at a time.
@Suite("khata command line", .serialized)
struct CommandTests {
    /// The README's first steps: a dev ledger, a payment by names, balances that moved.
    @Test func devLedgerPaymentByNames() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let created = try khata(["init", "--dev", "--data", directory])
        #expect(created.contains("khata tx transfer"))
        let receipt = try khata([
            "tx", "transfer", "--data", directory, "--key", "asha", "--from", "asha", "--to", "ravi", "--asset", "INR", "--amount", "250.00",
            "--memo", "rent",
        ])
        #expect(receipt.contains("committed"))
        let shown = try khata(["account", "show", "ravi", "--data", directory, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])
        let balances = try #require(json["balances"] as? [[String: Any]])
        // Ravi also holds ACME shares from the dev genesis.
        #expect(balances.first { $0["asset"] as? String == "INR" }?["balance"] as? String == "5250.00")
        let ledger = try LedgerDirectory(directory).open()
        // Asha's opening ₹10,000 and Priya's remittance from abroad, less the ₹250 she paid.
        #expect(ledger.state.balance(of: DevGenesis.account("asha"), in: inr).posted == Int128(1_000_000 + DevGenesis.remittanceToAsha - 25_000))
        #expect(ledger.state.invariantViolations().isEmpty)
        let history = try khata(["account", "history", "asha", "--data", directory])
        #expect(history.contains("asha → ravi 250.00 INR"))
        #expect(try khata(["log", "list", "--data", directory]).contains("genesis of khata.local/dev"))
    }

    /// A rejected transaction exits with status 3 and says why; nothing moves.
    @Test func rejectionExitsWithStatusThree() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try khata(["init", "--dev", "--data", directory])
        #expect {
            try khata([
                "tx", "transfer", "--data", directory, "--key", "asha", "--from", "asha", "--to", "ravi", "--asset", "INR", "--amount", "99999999",
            ])
        } throws: {
            ($0 as? ExitCode)?.rawValue == 3
        }
        let ledger = try LedgerDirectory(directory).open()
        #expect(ledger.state.balance(of: DevGenesis.account("asha"), in: inr).posted == Int128(1_000_000 + DevGenesis.remittanceToAsha))
        #expect(
            ledger.state.record(of: ledger.state.transactions.ids.first { _ in true }!)?.outcome == .rejected(.exceedsAvailableBalance, operation: 0))
    }

    /// A transaction signed by someone who does not control the payer is refused,
    /// says so, and is not logged: the ledger's size and digest do not change.
    @Test func strangersTransactionIsRefusedNotLogged() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try khata(["init", "--dev", "--data", directory])
        let before = try LedgerDirectory(directory).open().state
        #expect {
            try khata(["tx", "transfer", "--data", directory, "--key", "ravi", "--from", "asha", "--to", "ravi", "--asset", "INR", "--amount", "1"])
        } throws: {
            $0 is TransactionRefused && "\($0)".contains("insufficient_signatures") && "\($0)".contains("not logged")
        }
        let after = try LedgerDirectory(directory).open().state
        #expect(after.size == before.size && after.digest == before.digest)
    }

    /// Bad input gets a message that says what was wrong, and changes nothing.
    @Test func badInputIsExplained() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try khata(["init", "--dev", "--data", directory])
        let before = try LedgerDirectory(directory).open().state.digest
        let cases: [([String], String)] = [
            (
                ["tx", "transfer", "--data", directory, "--key", "asha", "--from", "asha", "--to", "nobody", "--asset", "INR", "--amount", "1"],
                "neither an account id"
            ),
            (
                ["tx", "transfer", "--data", directory, "--key", "asha", "--from", "asha", "--to", "ravi", "--asset", "INR", "--amount", "1.234"],
                "has 3 decimals"
            ),
            (
                ["tx", "transfer", "--data", directory, "--key", "asha", "--from", "asha", "--to", "ravi", "--asset", "INR", "--amount", "1e5"],
                "must be digits"
            ),
            (
                [
                    "tx", "transfer", "--data", directory, "--key", "asha", "--from", "asha", "--to", "ravi", "--asset", "INR", "--amount",
                    "99999999999999999999",
                ], "exceeds"
            ),
            (
                ["tx", "transfer", "--data", directory, "--key", "nokey", "--from", "asha", "--to", "ravi", "--asset", "INR", "--amount", "1"],
                "no key file"
            ),
            (
                [
                    "tx", "transfer", "--data", directory, "--key", "asha", "--from", "asha", "--to", "ravi", "--asset", "INR", "--amount", "1",
                    "--memo", String(repeating: "m", count: 65),
                ], "memo is at most 64 bytes"
            ),
            (["init", "--dev", "--data", directory], "already exists"),
            // A node that cannot be asked for the asset's scale is an error of its
            // own, not a guessed scale of 0 ("250.00 has 2 decimals").
            (
                [
                    "tx", "transfer", "--node", "http://127.0.0.1:1", "--data", directory, "--key", "asha", "--from", "asha", "--to", "ravi",
                    "--asset", "INR", "--amount", "250.00",
                ], "cannot reach http://127.0.0.1:1/v1/assets/INR"
            ),
            (["account", "show", "asha", "--data", directory + "/missing"], "khata init"),
        ]
        for (arguments, message) in cases {
            #expect(
                "khata \(arguments.prefix(2).joined(separator: " ")) … should say \(message)", performing: { try khata(arguments) },
                throws: { "\($0)".contains(message) })
        }
        #expect(try LedgerDirectory(directory).open().state.digest == before)
    }

    /// Keys made by `keys new` open an account; a JSON transaction built with
    /// --dry-run is signed and submitted by `tx submit`; a retry returns the first receipt.
    @Test func keysCreateAccountAndSubmitJSON() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try khata(["init", "--dev", "--data", directory])
        let keyPath = "\(directory)/new.key"
        let publicKey = try khata(["keys", "new", "--out", keyPath]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try khata(["keys", "show", keyPath]).contains(publicKey))
        #expect(performing: { try khata(["keys", "new", "--out", keyPath]) }, throws: { "\($0)".contains("never overwritten") })
        let account = "000000000000000000000000000000ab"
        try khata(["tx", "create-account", "--data", directory, "--key", keyPath, "--controller", keyPath, "--account", account])
        let unsigned = try khata([
            "tx", "transfer", "--data", directory, "--key", "asha", "--from", "asha", "--to", account, "--asset", "INR", "--amount", "7", "--id",
            "0000000000000000000000000000beef", "--dry-run",
        ])
        let file = "\(directory)/tx.json"
        try unsigned.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try khata(["tx", "submit", file, "--data", directory]).contains("committed"))
        #expect(try khata(["tx", "submit", file, "--data", directory]).contains("a retry"))
        let ledger = try LedgerDirectory(directory).open()
        #expect(ledger.state.balance(of: AccountID(hex: account)!, in: inr).posted == 7)
    }

    /// Key files are created with mode 0600 whatever the umask, never replaced
    /// without --force, and refused when others may read them.
    @Test func keyFilesAreExclusiveAndPrivate() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let keyPath = "\(directory)/k.key"
        let saved = umask(0)
        defer { umask(saved) }
        let first = try khata(["keys", "new", "--out", keyPath])
        var status = stat()
        #expect(stat(keyPath, &status) == 0 && status.st_mode & 0o777 == 0o600)
        #expect(performing: { try khata(["keys", "new", "--out", keyPath]) }, throws: { "\($0)".contains("--force") })
        #expect(try khata(["keys", "show", keyPath]) == first)
        let second = try khata(["keys", "new", "--out", keyPath, "--force"])
        let shown = try khata(["keys", "show", keyPath])
        #expect(second != first && shown == second)
        #expect(stat(keyPath, &status) == 0 && status.st_mode & 0o777 == 0o600)
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["k.key"])
        chmod(keyPath, 0o644)
        #expect(performing: { try khata(["keys", "show", keyPath]) }, throws: { "\($0)".contains("chmod 600 \(keyPath)") })
    }

    /// `khata dev` records its witnesses and port, but an environment override
    /// (KHATA_SNAPSHOT_INTERVAL=…) applies to that run only and is never written.
    @Test func devDoesNotWriteEnvironmentOverrides() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try khata(["init", "--dev", "--data", directory])
        let witnesses = (1...2).map { NodeConfiguration.Witness(url: "http://127.0.0.1:737\($0)", vkey: "w\($0)+00000000+AAAA") }
        let run = try DevCommand.configure(
            directory: directory, port: 7_370, witnesses: witnesses, environment: ["KHATA_SNAPSHOT_INTERVAL": "123"])
        #expect(run.snapshotInterval == 123 && run.port == 7_370)
        let stored = try NodeConfiguration.load(from: directory, environment: [:])
        #expect(stored.snapshotInterval == nil && stored.witnesses?.count == 2 && stored.port == 7_370)
        let file = try String(contentsOfFile: "\(directory)/khata.json", encoding: .utf8)
        #expect(!file.contains("123"))
    }

    /// Pending, partial post and void through the command line.
    @Test func pendingPostAndVoid() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try khata(["init", "--dev", "--data", directory])
        let id = "00000000000000000000000000000001"
        try khata([
            "tx", "pending", "--data", directory, "--key", "asha", "--from", "asha", "--to", "ravi", "--asset", "INR", "--amount", "100.00",
            "--timeout", "600", "--id", id,
        ])
        try khata(["tx", "post", "--data", directory, "--key", "asha", "--pending", "\(id)/0", "--amount", "60.00"])
        let second = "00000000000000000000000000000002"
        try khata([
            "tx", "pending", "--data", directory, "--key", "asha", "--from", "asha", "--to", "ravi", "--asset", "INR", "--amount", "5", "--timeout",
            "600", "--id", second,
        ])
        try khata(["tx", "void", "--data", directory, "--key", "ravi", "--pending", "\(second)/0"])
        let ledger = try LedgerDirectory(directory).open()
        #expect(
            ledger.state.balance(of: DevGenesis.account("ravi"), in: inr)
                == Balance(debitsPosted: 0, creditsPosted: 500_000 + 6_000, debitsPending: 0, creditsPending: 0))
    }

    /// `init --genesis FILE` reads the documented genesis format.
    @Test func initFromGenesisFile() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let genesis = """
            {"origin": "khata.test/file", "ledger_key": "\(Fixture.ledgerKey.publicKey.hex)",
             "issuer": {"threshold": 1, "keys": ["\(Fixture.issuerKey.publicKey.hex)"]},
             "operations": [
               {"type": "create_account", "account": "00000000000000000000000000000001", "controllers": {"keys": ["\(Fixture.issuerKey.publicKey.hex)"]}},
               {"type": "register_asset", "asset": "INR", "kind": "currency", "scale": 2, "issuer": "00000000000000000000000000000001", "issuance_account": "00000000000000000000000000000002"}
             ],
             "participants": [{"name": "cb", "role": "issuer", "account": "00000000000000000000000000000001"}]}
            """
        try genesis.write(toFile: "\(directory)/genesis.json", atomically: true, encoding: .utf8)
        try khata(["init", "--genesis", "\(directory)/genesis.json", "--data", "\(directory)/ledger"])
        let state = try khata(["state", "--data", "\(directory)/ledger", "--json"])
        #expect(state.contains("khata.test/file") && state.contains("\"INR\""))
        #expect(try khata(["account", "show", "cb", "--data", "\(directory)/ledger"]).contains("(cb)"))
        try "{\"origin\": \"bad origin\"}".write(toFile: "\(directory)/bad.json", atomically: true, encoding: .utf8)
        #expect(
            performing: { try khata(["init", "--genesis", "\(directory)/bad.json", "--data", "\(directory)/other"]) },
            throws: { "\($0)".contains("not a valid genesis file") })
    }

    /// Every command's help has an example.
    @Test func everyCommandHasAnExample() {
        let leaves = allCommands().filter { $0.configuration.subcommands.isEmpty }
        #expect(leaves.count > 20)
        for command in leaves {
            // The discussion, not the help as a whole: every help's usage line already says "khata …".
            let discussion = command.configuration.discussion
            #expect(discussion.contains("Example") && discussion.contains("khata "), "\(command._commandName) has no example in its help")
            #expect(Khata.helpMessage(for: command).contains(discussion.prefix(20)))
        }
    }

    /// The dev ledger's INR is backed: `reserves show` reports the genesis
    /// coverage (137.23 %), a mint past the reserves is refused with its code, a
    /// price fall from two oracles makes the currency undercovered and a policy
    /// change needs two governors.
    @Test func devReservesFromTheCommandLine() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try khata(["init", "--dev", "--data", directory])
        let shown = try khata(["reserves", "show", "--data", directory])
        #expect(shown.contains("INR: COVERED") && shown.contains("coverage 137.23 %"), "\(shown)")
        #expect(try khata(["state", "--data", directory]).contains("reserves  INR covered, coverage 137.23 % (required 100.00 %"))
        // Reserves after haircuts are ₹2,82,25,000; opening balances ₹2,05,67,500: ₹76,57,500 of room.
        #expect {
            try khata([
                "tx", "transfer", "--data", directory, "--key", "rbi", "--from", "issuance-inr", "--to", "asha", "--asset", "INR", "--amount",
                "7657500.01",
            ])
        } throws: { ($0 as? ExitCode)?.rawValue == 3 }
        #expect(
            try khata([
                "tx", "transfer", "--data", directory, "--key", "rbi", "--from", "issuance-inr", "--to", "asha", "--asset", "INR", "--amount",
                "7657500.00",
            ]).contains("committed"))
        for oracle in ["oracle-1", "oracle-2"] {
            let receipt = try khata([
                "tx", "attest-price", "--data", directory, "--key", oracle, "--oracle", oracle, "--asset", "BTC", "--price", "4000000.00",
            ])
            #expect(receipt.contains("committed"))
        }
        let json = try khata(["reserves", "show", "--data", directory, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(report["status"] as? String == "undercovered")
        // A custodian's attestation with a report digest, by name.
        let attested = try khata([
            "tx", "attest-reserve", "--data", directory, "--key", "btc-vault", "--custodian", "btc-vault", "--asset", "BTC", "--amount", "4.5",
            "--report-sha256", String(repeating: "ab", count: 32),
        ])
        #expect(attested.contains("committed"))
        // The policy: one governor is not enough, two are.
        let ledger = try LedgerDirectory(directory).open()
        var policy = try #require(ledger.state.reserves.policy)
        #expect(ledger.state.reserveStatus(at: ledger.state.time)?.assets.first?.amount == 450_000_000)
        policy.version = 2
        policy.requiredCoverageBasisPoints = 5_000
        let file = directory + "/policy.json"
        try JSONEncoder().encode(policy).write(to: URL(fileURLWithPath: file))
        #expect {
            try khata(["tx", "set-policy", file, "--data", directory, "--key", "governor-1"])
        } throws: { "\($0)".contains("governance_threshold_not_met") && $0 is TransactionRefused }
        #expect(try khata(["tx", "set-policy", file, "--data", directory, "--key", "governor-1", "--key", "governor-3"]).contains("committed"))
        #expect(try khata(["reserves", "show", "--data", directory]).contains("INR: COVERED — policy v2, required coverage 50.00 %"))
    }

    /// A quick benchmark run works end to end and reports every configuration.
    @Test func benchmarkSmokeRun() throws {
        let output = try khata(["bench", "engine", "--scale", "0.01", "--groups", "1,100", "--json"])
        let report = try JSONDecoder().decode(EngineBenchmark.Report.self, from: Data(output.utf8))
        #expect(report.durable.count == 4)
        #expect(report.durable.allSatisfy { $0.entries == UInt64($0.transactions) + 1 && $0.transfersPerSecond > 0 })
        let liabilities = try khata(["bench", "liabilities", "--holders", "3000", "--json"])
        let tree = try JSONDecoder().decode(LiabilityBenchmark.Report.self, from: Data(liabilities.utf8))
        #expect(tree.holders == 3_000 && tree.leaves == 4_096 && tree.proofBytes == 96 + 12 * 40)
        // One signer: its first 7 signatures go to BoringSSL, then its table serves.
        // 300 signers taking turns: nearly every signature is a key's first.
        let signatures = try khata(["bench", "signatures", "--signers", "1,300", "--seconds", "0.1", "--json"])
        let rates = try JSONDecoder().decode([Ed25519Benchmark.Result].self, from: Data(signatures.utf8))
        #expect(rates.map(\.signers) == [1, 300])
        #expect(rates[0].fallbackVerifications == 7 && rates[0].tableVerifications > 0)
        #expect(rates[1].fallbackVerifications > rates[1].tableVerifications)
        #expect(rates.allSatisfy { $0.boringSSLPerSecond > 0 && $0.verifierPerSecond > 0 })
        #expect(throws: (any Error).self) { try khata(["bench", "signatures", "--signers", "0"]) }
        let stockchain = try khata(["bench", "stockchain", "--holders", "1500", "--trades", "200", "--transfer-rate", "200", "--json"])
        let dividend = try JSONDecoder().decode(StockchainBenchmark.Report.self, from: Data(stockchain.utf8))
        // 1,500 holders and the 64 sellers; settled in 2 entries of at most 1,000.
        #expect(dividend.dividendHolders == 1_564 && dividend.dividendBalanced && dividend.dvpPerSecond > 0)
        #expect(dividend.recordDateTreeSeconds > 0 && dividend.dividendSettleHoldersPerSecond > 0)
    }
}

@Suite("Amounts in text")
struct AmountTextTests {
    @Test func formatsWithScale() {
        #expect(AmountText.format(Amount(250), scale: 2) == "2.50")
        #expect(AmountText.format(Amount(5), scale: 2) == "0.05")
        #expect(AmountText.format(Amount(0), scale: 8) == "0.00000000")
        #expect(AmountText.format(-Int128(UInt64.max), scale: 0) == "-18446744073709551615")
        // Past 64 bits (reserve values), and the most negative value.
        #expect(AmountText.format(UInt128(UInt64.max) * 10, scale: 2) == "1844674407370955161.50")
        #expect(AmountText.format(Int128.min, scale: 0) == "-170141183460469231731687303715884105728")
    }

    @Test func parsesExactly() throws {
        #expect(try AmountText.parse("2.50", scale: 2) == Amount(250))
        #expect(try AmountText.parse("2.5", scale: 2) == Amount(250))
        #expect(try AmountText.parse("250", scale: 2) == Amount(250))
        #expect(try AmountText.parse("0.00000001", scale: 8) == Amount(1))
        for bad in ["", ".", "1.", "-1", "+1", "1.001", "1e2", "1,5", "184467440737095516.16"] {
            #expect(throws: MalformedInput.self, "\(bad)") { try AmountText.parse(bad, scale: 2) }
        }
    }
}
