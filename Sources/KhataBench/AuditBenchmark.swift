import Dispatch
import Foundation
import KhataBytes
import KhataCore
import KhataEngine
import KhataLog
import KhataStorage
import KhataVerify

/// `khata bench audit`: how fast `Auditor` verifies and replays a log, from an
/// exported tiles directory and from the journal, with the conditions.
public enum AuditBenchmark {
    public struct Run: Codable, Sendable {
        public let source: String
        public let entries: UInt64
        public let seconds: Double
        public let entriesPerSecond: Double
        public let transfersPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case source, entries, seconds
            case entriesPerSecond = "entries_per_second"
            case transfersPerSecond = "transfers_per_second"
        }
    }

    public struct Report: Codable, Sendable {
        public let cores: Int
        public let transfersPerEntry: Int
        public let runs: [Run]

        enum CodingKeys: String, CodingKey {
            case cores, runs
            case transfersPerEntry = "transfers_per_entry"
        }
    }

    /// Builds a ledger of `entries` signed transactions of `transfersEach` transfers
    /// (through the real commit pipeline), signs a checkpoint, exports it, and
    /// audits both the export and the journal.
    public static func run(entries: Int, transfersEach: Int, directory: String, progress: (String) -> Void) throws -> Report {
        let workload = EngineBenchmark.Workload()
        let path = "\(directory)/bench-audit-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        progress("building a ledger of \(entries) entries of \(transfersEach) transfer(s)")
        let ledger = try LedgerDirectory("\(path)/ledger").create(genesis: workload.genesis)
        ledger.snapshotInterval = .max
        let transactions = workload.signedTransactions(count: entries, transfersEach: transfersEach, workers: SignatureVerifier.activeProcessorCount)
        let batches = stride(from: 0, to: transactions.count, by: 4_096).map { Array(transactions[$0..<min($0 + 4_096, transactions.count)]) }
        _ = try CommitPipeline.run(ledger: ledger, batches: batches)
        let signer = try NoteSigner(name: EngineBenchmark.Workload.origin, key: workload.ledgerKey, type: .ed25519)
        try LedgerDirectory("\(path)/ledger").publishCheckpoint(ledger, signer: signer)
        progress("exporting the log")
        _ = try LogExporter.export(journal: ledger.journal, to: "\(path)/export")
        var runs: [Run] = []
        for (name, source) in [
            ("exported tiles", DirectoryLogSource(path: "\(path)/export") as any LogSource), ("journal", JournalLogSource(journal: ledger.journal)),
        ] {
            progress("auditing the \(name)")
            let (report, _) = try Auditor(source: source, logKey: signer.verifierKey).run()
            runs.append(
                Run(
                    source: name, entries: report.entriesReplayed, seconds: report.seconds, entriesPerSecond: report.entriesPerSecond,
                    transfersPerSecond: report.entriesPerSecond * Double(transfersEach)))
        }
        return Report(cores: SignatureVerifier.activeProcessorCount, transfersPerEntry: transfersEach, runs: runs)
    }
}
