import ArgumentParser
import Foundation
import KhataBench
import KhataClient
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLiabilities
import KhataNode
import KhataVerify

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Khata on this machine.",
        subcommands: [Engine.self, Signatures.self, Audit.self, Load.self, Liabilities.self, Stockchain.self, Laws.self, Payments.self]
    )

    struct Engine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Transfers per second: the state machine alone, and durably committed through the journal.",
            discussion: """
                Example:
                  swift run -c release khata bench engine
                  swift run -c release khata bench engine --json > bench.json
                Runs in temporary ledgers under --directory (removed afterwards). Measures the Ed25519
                verification rate on all cores in the same run and prints the ratio the goals use.
                Build with -c release: a debug build is many times slower.
                """
        )

        @Flag(help: "Print one JSON object instead of text.")
        var json = false
        @Option(help: "Multiply every run's size (0.05 for a quick look).")
        var scale: Double = 1
        @Option(help: "Where to make the temporary ledgers.")
        var directory = FileManager.default.temporaryDirectory.path
        @Option(help: "Group-commit sizes to measure (comma-separated).")
        var groups = "1,100,8000"

        func validate() throws {
            guard scale > 0 && scale <= 10 else { throw ValidationError("--scale is between 0 and 10") }
            guard parsedGroups.allSatisfy({ (1...8_192).contains($0) }), !parsedGroups.isEmpty else {
                throw ValidationError("--groups are 1 to 8192, comma-separated")
            }
        }

        var parsedGroups: [Int] { groups.split(separator: ",").compactMap { Int($0) } }

        func run() throws {
            var configuration = EngineBenchmark.Configuration(directory: directory)
            configuration.scale = scale
            configuration.groupSizes = parsedGroups
            let report = try EngineBenchmark.run(configuration) { message in
                FileHandle.standardError.write(Data("… \(message)\n".utf8))
            }
            if json { return try printJSON(report) }
            let rate = { (value: Double) in String(Int(value.rounded())) }
            print("Conditions: \(report.cores) cores, SQLite \(report.sqliteVersion), \(report.journal).")
            print(
                "Ed25519 verification, all cores: \(rate(report.ed25519VerificationsPerSecond))/s for a repeat signer (precomputed table), "
                    + "\(rate(report.ed25519BoringSSLVerificationsPerSecond))/s through BoringSSL (a key's first signatures)")
            print(
                "State machine alone: \(rate(report.stateMachineTransfersPerSecond["1_transfer_transactions"] ?? 0)) transfers/s (1 per transaction), "
                    + "\(rate(report.stateMachineTransfersPerSecond["100_transfer_transactions"] ?? 0)) transfers/s (100 per transaction)")
            print("")
            print(
                table(
                    [["transfers/tx", "group commit", "transactions", "seconds", "transactions/s", "transfers/s"]]
                        + report.durable.map {
                            [
                                String($0.transfersPerTransaction), String($0.groupCommit), String($0.transactions),
                                String(format: "%.2f", $0.seconds),
                                rate($0.transactionsPerSecond), rate($0.transfersPerSecond),
                            ]
                        }))
            print("")
            print(
                String(
                    format: "Signed single transfers, durable, best / Ed25519 rate: %.2f of the table rate, %.2f of BoringSSL's "
                        + "(goal ≥ 0.70, set against BoringSSL's)", report.signedSingleToVerifyRatio, report.signedSingleToBoringSSLRatio))
            print("100-transfer transactions, durable, best: \(rate(report.hundredTransferBest)) transfers/s (goal ≥ 300000)")
            print(
                String(
                    format:
                        "A law of %d rules in force / none: %.2f durable (signed single transfers, group commit 8000; goal ≥ 0.90), %.2f state machine alone",
                    EngineBenchmark.Workload.lawRules, report.lawCheckedToUncheckedRatio, report.lawStateMachineRatio))
        }
    }

    struct Payments: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "A remittance's rate against a signed transfer's (goal ≥ 0.40), the corridor report over many remittances (goal < 2 s for 1,000,000), and address lookups over HTTP (goal ≥ 50,000/s).",
            discussion: """
                Example:
                  swift run -c release khata bench payments
                  swift run -c release khata bench payments --transactions 20000 --corridor-remittances 100000 --json
                  swift run -c release khata bench payments --node http://127.0.0.1:7370 --address asha@kbank --clients 16 --duration 10
                Transfers and remittances are signed, then verified and applied by the state machine side by side in one run
                (no journal); the corridor report decodes every encoded entry. With --node it measures address lookups instead.
                """
        )
        @Flag(help: "Print one JSON object instead of text.")
        var json = false
        @Option(help: "Transactions of each kind (1 to 1,000,000).")
        var transactions = 50_000
        @Option(help: "Remittances in the corridor report's log (1 to 10,000,000).")
        var corridorRemittances = 1_000_000
        @Option(help: "Measure address lookups against this node instead.")
        var node: String?
        @Option(help: "The address to look up (with --node).")
        var address = "asha@kbank"
        @Option(help: "Concurrent connections (with --node).")
        var clients = 16
        @Option(help: "Seconds (with --node).")
        var duration: Double = 10

        func validate() throws {
            guard (1...1_000_000).contains(transactions) else { throw ValidationError("--transactions is 1 to 1,000,000") }
            guard (1...10_000_000).contains(corridorRemittances) else { throw ValidationError("--corridor-remittances is 1 to 10,000,000") }
            guard (1...1_024).contains(clients), duration > 0, duration <= 3_600 else {
                throw ValidationError("--clients is 1 to 1,024, --duration 0 to 3,600")
            }
        }

        func run() throws {
            if let node {
                guard let url = URL(string: node), let host = url.host, let port = url.port.flatMap(UInt16.init(exactly:)) else {
                    throw CommandFailure("--node is http://HOST:PORT")
                }
                let report = try AddressLookupBenchmark.run(host: host, port: port, address: address, clients: clients, seconds: duration)
                if json { return try printJSON(report) }
                return print(
                    String(
                        format: "%d address lookups in %.1f s by %d clients: %.0f/s (goal ≥ 50,000); %d failed", report.lookups, report.seconds,
                        report.clients, report.lookupsPerSecond, report.failures))
            }
            let report = PaymentBenchmark.run(transactions: transactions, corridorRemittances: corridorRemittances) {
                FileHandle.standardError.write(Data("… \($0)\n".utf8))
            }
            if json { return try printJSON(report) }
            print(
                String(
                    format: "signed transfers %.0f/s, remittances %.0f/s: ratio %.2f (goal ≥ 0.40), verified and applied, %d of each",
                    report.transfersPerSecond, report.remittancesPerSecond, report.remittanceToTransferRatio, report.transactions))
            print(
                String(
                    format: "corridor report over %d remittances: %.2f s (goal < 2 s), median cost %.2f %%", report.corridorRemittances,
                    report.corridorReportSeconds, report.corridorMedianCostPercent ?? .nan))
        }
    }

    struct Laws: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What a law change's simulated effect costs over many accounts (goal: under 5 s for 1,000,000).",
            discussion: """
                Example:
                  swift run -c release khata bench laws
                  swift run -c release khata bench laws --accounts 100000 --json
                Builds a state in memory (accounts created and funded in zone 0, under a law), then
                times `LedgerState.effect` of a proposed law with a lower balance cap over all of them.
                The cost of the checks of a law in force is in `khata bench engine` (law_checked_to_unchecked_ratio).
                """
        )
        @Flag(help: "Print one JSON object instead of text.")
        var json = false
        @Option(help: "How many accounts (1 to 10,000,000).")
        var accounts = 1_000_000

        func validate() throws {
            guard (1...10_000_000).contains(accounts) else { throw ValidationError("--accounts is 1 to 10,000,000") }
        }

        func run() throws {
            let report = LawBenchmark.run(accounts: accounts) { FileHandle.standardError.write(Data("… \($0)\n".utf8)) }
            if json { return try printJSON(report) }
            print(String(format: "%d accounts built in %.2f s", report.accounts, report.buildSeconds))
            print(
                String(
                    format: "A proposal's simulated effect over all of them: %.3f s (median of 3; goal < 5 s); %d over its balance cap",
                    report.effectSeconds, report.overBalanceCap))
        }
    }

    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Entries per second verified and replayed by `khata audit`.",
            discussion: """
                Example:
                  swift run -c release khata bench audit --entries 100000
                Builds a ledger of signed transactions in a temporary directory, signs a checkpoint,
                exports it, then audits the export and the journal: checkpoint, tiles, every leaf hash,
                every signature, a full replay and conservation.
                """
        )
        @Flag(help: "Print one JSON object instead of text.")
        var json = false
        @Option(help: "Entries in the ledger.")
        var entries = 100_000
        @Option(name: .customLong("transfers-per-entry"), help: "Transfers per transaction (1 to 1000).")
        var transfersPerEntry = 1
        @Option(help: "Where to make the temporary ledger.")
        var directory = FileManager.default.temporaryDirectory.path

        func validate() throws {
            guard (1...10_000_000).contains(entries) else { throw ValidationError("--entries is 1 to 10000000") }
            guard (1...1_000).contains(transfersPerEntry) else { throw ValidationError("--transfers-per-entry is 1 to 1000") }
        }

        func run() throws {
            let report = try AuditBenchmark.run(entries: entries, transfersEach: transfersPerEntry, directory: directory) { message in
                FileHandle.standardError.write(Data("… \(message)\n".utf8))
            }
            if json { return try printJSON(report) }
            print("Conditions: \(report.cores) cores; \(entries) entries of \(report.transfersPerEntry) transfer(s), one Ed25519 signature each.")
            print(
                table(
                    [["source", "entries", "seconds", "entries/s", "transfers/s"]]
                        + report.runs.map {
                            [
                                $0.source, String($0.entries), String(format: "%.2f", $0.seconds), String(Int($0.entriesPerSecond)),
                                String(Int($0.transfersPerSecond)),
                            ]
                        }))
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drive a running node over HTTP and report throughput and submit-to-receipt latency.",
            discussion: """
                Example (against `khata dev --data ./ledger`):
                  swift run -c release khata bench load --node http://127.0.0.1:7370 --data ./ledger --clients 32 --duration 10
                  swift run -c release khata bench load --node http://127.0.0.1:7370 --data ./ledger --transfers-per-transaction 100 --batch 20
                  swift run -c release khata bench load --node http://127.0.0.1:7370 --data ./ledger --payers 5000 --rate 5000
                Payers are the dev ledger's banks and company (--data names their keys); each transfer
                moves 1 paisa. With --payers N, the generator first opens N accounts of its own, each
                with a fresh key and 1,000 rupees from bank-one, and they pay in turn: many signers
                that each sign rarely, the case where the node's signature tables do not help.
                Latency is from sending a request to receiving its durable receipts.
                """
        )
        @Option(help: "The node's URL.")
        var node: String
        @OptionGroup var ledger: LedgerOptions
        @Option(help: "Concurrent clients.")
        var clients = 16
        @Option(help: "Seconds to run.")
        var duration: Double = 10
        @Option(
            help: ArgumentHelp(
                "Seconds of the same load before the measured --duration, not counted (a fresh node, fresh connections and a fresh journal are slower at first).",
                valueName: "seconds"))
        var warmup: Double = 0
        @Option(name: .customLong("transfers-per-transaction"), help: "Transfers per transaction (1 to 1000).")
        var transfersPerTransaction = 1
        @Option(help: "Transactions per request (more than 1 uses the binary batch format).")
        var batch = 1
        @Option(help: "Offered transactions per second in total (0: as fast as the node answers).")
        var rate: Double = 0
        @Option(
            help: ArgumentHelp(
                "Open this many new payer accounts first, each with its own key, and pay from them in turn (0: the dev ledger's three payers).",
                valueName: "count"))
        var payers = 0
        @Flag(help: "Print one JSON object instead of text.")
        var json = false
        @Option(
            name: .customLong("write-bodies"),
            help: ArgumentHelp(
                "Instead of running, write this many signed request bodies (one compact JSON transaction per line) to --out, for an external driver such as wrk.",
                valueName: "count"))
        var writeBodies: Int?
        @Option(help: ArgumentHelp("With --write-bodies: the file to write.", valueName: "file"))
        var out: String?

        func validate() throws {
            if writeBodies != nil && out == nil { throw ValidationError("--write-bodies needs --out FILE") }
            guard (1...1_024).contains(clients) else { throw ValidationError("--clients is 1 to 1024") }
            guard duration > 0 && duration <= 3_600 else { throw ValidationError("--duration is 0 to 3600 seconds") }
            guard (1...1_000).contains(transfersPerTransaction) else { throw ValidationError("--transfers-per-transaction is 1 to 1000") }
            guard (1...8_192).contains(batch) else { throw ValidationError("--batch is 1 to 8192") }
            guard rate >= 0 else { throw ValidationError("--rate is 0 or more") }
            guard warmup >= 0 && warmup <= 600 else { throw ValidationError("--warmup is 0 to 600 seconds") }
            guard (0...100_000).contains(payers) else { throw ValidationError("--payers is 0 to 100,000") }
        }

        func run() throws {
            let client = try NodeClientOptions.client(url: node, directory: ledger.data)
            let participants = ledger.participants
            var payers = try ["bank-one", "bank-two", "acme"].map { name in
                (try participants.account(name), try participants.signingKey(name, directory: ledger.data))
            }
            if self.payers > 0 {
                payers = try LoadGenerator.openPayers(
                    count: self.payers, funder: payers[0], asset: AssetCode("INR")!, amount: Amount(100_000), client: client
                ) { opened in FileHandle.standardError.write(Data("… opened \(opened) of \(self.payers) payer accounts\n".utf8)) }
            }
            let payees = try ["asha", "ravi", "meera", "rbi", "governor-1"].map { try participants.account($0) }
            if let count = writeBodies, let out {
                let parties = LoadGenerator.Parties(asset: AssetCode("INR")!, payers: payers, payees: payees)
                var configuration = LoadGenerator.Configuration()
                configuration.transfersPerTransaction = transfersPerTransaction
                let encoder = JSONEncoder()
                var text = ""
                for n in 0..<count {
                    let transaction = LoadGenerator.makeTransaction(
                        worker: 0, n: UInt64(n), configuration: configuration, client: client, parties: parties)
                    text += String(decoding: try encoder.encode(transaction), as: UTF8.self) + "\n"
                }
                try text.write(toFile: out, atomically: true, encoding: .utf8)
                return print("wrote \(count) signed transactions to \(out)")
            }
            var configuration = LoadGenerator.Configuration()
            configuration.clients = clients
            configuration.duration = duration
            configuration.warmup = warmup
            configuration.transfersPerTransaction = transfersPerTransaction
            configuration.batchSize = batch
            configuration.rate = rate
            let report = LoadGenerator.run(configuration, client: client, parties: .init(asset: AssetCode("INR")!, payers: payers, payees: payees)) {
                FileHandle.standardError.write(Data("… \($0)\n".utf8))
            }
            if json { return try printJSON(report) }
            print(
                "Conditions: \(report.clients) clients, \(payers.count) payers, \(transfersPerTransaction) transfer(s) per transaction, \(batch) transaction(s) per request, offered rate \(rate == 0 ? "unlimited" : String(rate))/s, \(String(format: "%.1f", report.seconds)) s"
                    + (report.warmupSeconds > 0 ? String(format: " measured after %.1f s of warm-up.", report.warmupSeconds) : ".")
            )
            print(
                "throughput  \(Int(report.transactionsPerSecond)) transactions/s, \(Int(report.transfersPerSecond)) transfers/s (\(report.transactions) transactions, \(report.errors) errors)"
            )
            print(
                String(
                    format: "latency     p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms (submit to durable receipt, per request)", report.p50Milliseconds,
                    report.p99Milliseconds, report.p999Milliseconds))
            let node = report.nodeCores.map { cores in
                String(
                    format: "node %.2f cores (%.0f µs per transaction), ", cores,
                    report.transactions > 0 ? cores * report.seconds * 1e6 / Double(report.transactions) : 0)
            }
            print("cpu         " + (node ?? "") + String(format: "load generator %.2f cores", report.generatorCores))
        }
    }
}

extension BenchCommand {
    struct Liabilities: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Liabilities tree: build time over N holdings, the sequencer's cost, proof time.",
            discussion: """
                Example:
                  swift run -c release khata bench liabilities --holders 10000000
                Fills a holdings book with random balances, takes the view a node takes between two
                batches, measures balance updates before and after (pages are copied on first write),
                builds the salted, padded Merkle-sum tree on all cores, then makes and checks 10,000
                proofs. Needs about 200 bytes of memory per holder.
                """
        )

        @Option(help: "Holdings in the tree.")
        var holders = 10_000_000
        @Flag(help: "Print one JSON object instead of text.")
        var json = false

        func validate() throws {
            guard (1...100_000_000).contains(holders) else { throw ValidationError("--holders is 1 to 100,000,000") }
        }

        func run() throws {
            let report = try LiabilityBenchmark.run(holders: holders, cores: SignatureVerifier.activeProcessorCount) { message in
                FileHandle.standardError.write(Data("… \(message)\n".utf8))
            }
            if json { return try printJSON(report) }
            print("Conditions: \(report.cores) cores, \(report.holders) holders, \(report.leaves) leaves (padded).")
            print(String(format: "Holdings view (the sequencer's pause): %.1f µs", report.viewMicroseconds))
            print(
                String(
                    format: "Balance updates: %.0f/s unshared, %.0f/s just after the view (pages copied on first write)",
                    report.updatesPerSecondUnshared, report.updatesPerSecondAfterView))
            print(String(format: "Tree build: %.2f s (%.0f holders/s)", report.buildSeconds, Double(report.holders) / report.buildSeconds))
            print(
                String(
                    format: "Proof: %.2f µs to make, %.2f µs to check, %d bytes", report.proofMicroseconds, report.verifyMicroseconds,
                    report.proofBytes))
        }
    }

    struct Stockchain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "DvP trades per second beside single transfers, and a dividend to many holders with transfers alongside.",
            discussion: """
                Example:
                  swift run -c release khata bench stockchain --json
                  swift run -c release khata bench stockchain --holders 10000 --trades 8000
                Runs in temporary ledgers under --directory (removed afterwards), durably (SQLite, fsync per batch).
                The goals (docs/STOCKCHAIN.md): dvp_to_single_ratio ≥ 0.45; with 1,000,000 holders,
                transfer_p99_ms_during_dividend < 10 and record_date_tree_seconds < 5.
                Build with -c release: a debug build is many times slower.
                """
        )

        @Flag(help: "Print one JSON object instead of text.")
        var json = false
        @Option(help: "Holders of the dividend.")
        var holders = 1_000_000
        @Option(help: "DvP trades (and as many single transfers) to commit.")
        var trades = 48_000
        @Option(help: "Single transfers per second arriving while the dividend settles.")
        var transferRate = 2_000
        @Option(help: "Holders paid per settlement entry (1 to 1000).")
        var holdersPerEntry = ActionSettlement.holdersPerEntry
        @Option(help: "Where to make the temporary ledgers.")
        var directory = FileManager.default.temporaryDirectory.path

        func validate() throws {
            guard (1...Limits.maxSettlementAccounts).contains(holdersPerEntry) else { throw ValidationError("--holders-per-entry is 1 to 1000") }
            guard (1...10_000_000).contains(holders) else { throw ValidationError("--holders is 1 to 10,000,000") }
            guard (1...1_000_000).contains(trades) else { throw ValidationError("--trades is 1 to 1,000,000") }
            guard (1...100_000).contains(transferRate) else { throw ValidationError("--transfer-rate is 1 to 100,000") }
        }

        func run() throws {
            var configuration = StockchainBenchmark.Configuration(directory: directory)
            configuration.holders = holders
            configuration.trades = trades
            configuration.transferRate = transferRate
            configuration.holdersPerEntry = holdersPerEntry
            let report = try StockchainBenchmark.run(configuration) { message in
                FileHandle.standardError.write(Data("… \(message)\n".utf8))
            }
            if json { return try printJSON(report) }
            print("Conditions: \(report.cores) cores, \(report.journal).")
            print(
                String(
                    format: "DvP: %.0f trades/s beside %.0f single transfers/s (ratio %.2f; goal ≥ 0.45)", report.dvpPerSecond,
                    report.singleTransfersPerSecond, report.dvpToSingleRatio))
            print(
                String(
                    format: "Dividend to %d holders: declared in %.2f ms; settled %.0f holders/s (%d an entry), the longest settlement batch %.1f ms",
                    report.dividendHolders, report.dividendDeclareMilliseconds, report.dividendSettleHoldersPerSecond, report.holdersPerEntry,
                    report.settleEntryMaxMilliseconds))
            print(String(format: "Record-date tree: %.2f s on another thread (goal < 5 s)", report.recordDateTreeSeconds))
            print(
                String(
                    format: "Transfers alongside: p50 %.2f ms, p99 %.2f ms (goal < 10); without a dividend p99 %.2f ms; %d transfers",
                    report.transferP50MillisecondsDuringDividend, report.transferP99MillisecondsDuringDividend,
                    report.transferP99MillisecondsWithoutDividend, report.transfersDuringDividend))
            print(String(format: "A simulation on that ledger: %.2f ms", report.simulationMilliseconds))
            print("Books balanced: \(report.dividendBalanced ? "yes" : "NO")")
        }
    }

    struct Signatures: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ed25519 verifications per second on one thread: BoringSSL, and the ledger's verifier.",
            discussion: """
                Example:
                  swift run -c release khata bench signatures --signers 1,100,5000
                For each signer count, signs 4 signatures per signer (at least 4,096 in all) with keys
                that take turns, then verifies them in a loop for --seconds with BoringSSL alone and
                with the verifier the node uses, which gives a key a precomputed table after 7 valid
                signatures (1,024 tables at most): 1 signer shows the table path, more signers than
                tables show the cost of keys it has not learned.
                """
        )

        @Option(help: "Signer counts to measure (comma-separated).")
        var signers = "1,1000,5000"
        @Option(help: "Seconds per measurement.")
        var seconds: Double = 2
        @Flag(help: "Print one JSON array instead of text.")
        var json = false

        var parsedSigners: [Int] { signers.split(separator: ",").compactMap { Int($0) } }

        func validate() throws {
            guard !parsedSigners.isEmpty, parsedSigners.allSatisfy({ (1...100_000).contains($0) }) else {
                throw ValidationError("--signers are 1 to 100,000, comma-separated")
            }
            guard seconds > 0 && seconds <= 60 else { throw ValidationError("--seconds is between 0 and 60") }
        }

        func run() throws {
            var results: [Ed25519Benchmark.Result] = []
            for count in parsedSigners {
                FileHandle.standardError.write(Data("… \(count) signer(s)\n".utf8))
                results.append(Ed25519Benchmark.measure(signers: count, signatures: max(4_096, count * 4), seconds: seconds))
            }
            if json { return try printJSON(results) }
            for result in results {
                print(
                    String(
                        format: "%6d signer(s): BoringSSL %.0f/s, verifier %.0f/s (%.2f×; %d with a table, %d without)",
                        result.signers, result.boringSSLPerSecond, result.verifierPerSecond,
                        result.verifierPerSecond / result.boringSSLPerSecond, result.tableVerifications,
                        result.fallbackVerifications))
            }
        }
    }
}
