import ArgumentParser
import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEngine
import KhataLog
import KhataNode
import KhataStorage
import KhataVerify

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify a whole log from its signed checkpoint to every entry, and replay it.",
        discussion: """
            Examples:
              khata audit ./ledger --vkey "$(khata checkpoint --data ./ledger --vkey)"
              khata audit ./exported-log --vkey khata.local/dev+1a2b3c4d+AQ… --witness w1+…+BA… --quorum 1
              khata audit ./exported-log --vkey … --state audit.json    # continue where the last audit stopped
            SOURCE is a ledger directory, a directory in the C2SP tlog-tiles layout (`khata log export`),
            or a node's URL (its log under /log/).
            Checks: the checkpoint's signature and witness quorum; the tiles against the root; every entry
            against its leaf hash; every transaction signature; a replay from genesis to every logged
            outcome; conservation. Prints the state digest and a verdict; exits 1 naming the first bad entry.
            """
    )

    @Argument(help: "A ledger directory, an exported log directory, or a node's URL.")
    var source: String
    @OptionGroup var audit: AuditOptions

    func run() throws {
        _ = try audit.run(source: source)
        print("OK: the log is consistent, every entry verified and replayed to its logged outcome, and conservation holds.")
    }
}

/// What an audit needs besides its source: the pinned keys, the quorum and the
/// optional state file. Shared by `khata audit` and `khata reserves verify`.
struct AuditOptions: ParsableArguments {
    @Option(help: "The ledger's verifier key (C2SP name+keyid+base64).")
    var vkey: String
    @Option(name: .customLong("witness"), help: "A witness's verifier key (repeatable).")
    var witnesses: [String] = []
    @Option(help: "How many of the witnesses must have cosigned the checkpoint. Default: all given.")
    var quorum: Int?
    @Option(help: ArgumentHelp("Continue from, and save to, this audit state file.", valueName: "file"))
    var state: String?

    /// Audits `source`, showing progress and a summary; exits 1 on failure.
    func run(source: String) throws -> AuditReport {
        let logKey: NoteVerifierKey
        do { logKey = try NoteVerifierKey(vkey: vkey) } catch { throw CommandFailure("--vkey: \(error)") }
        let witnessKeys = try witnesses.map { text -> NoteVerifierKey in
            do { return try NoteVerifierKey(vkey: text) } catch { throw CommandFailure("--witness \(text.prefix(30)): \(error)") }
        }
        let logSource = try openLogSource(source)
        let previous = try state.flatMap { path -> AuditState? in
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            do { return try JSONDecoder().decode(AuditState.self, from: data) } catch { throw CommandFailure("\(path) is not an audit state file") }
        }
        var lastShown = Date()
        var shown = false
        let auditor = Auditor(source: logSource, logKey: logKey, witnesses: witnessKeys, quorum: quorum ?? witnessKeys.count) { done, total in
            guard Date().timeIntervalSince(lastShown) >= 1 else { return }
            lastShown = Date()
            shown = true
            FileHandle.standardError.write(Data("\raudited \(done)/\(total) entries".utf8))
        }
        let report: AuditReport
        let saved: AuditState
        do {
            (report, saved) = try auditor.run(resumingFrom: previous)
        } catch {
            if shown { FileHandle.standardError.write(Data("\n".utf8)) }
            print("FAILED: \(error)")
            throw ExitCode.failure
        }
        if shown { FileHandle.standardError.write(Data("\n".utf8)) }
        if let state { try JSONEncoder().encode(saved).write(to: URL(fileURLWithPath: state), options: .atomic) }
        let witnessText = report.cosigners.isEmpty ? "" : ", cosigned by \(report.cosigners.joined(separator: ", "))"
        print("checkpoint  \(report.checkpoint.origin), \(report.checkpoint.size) entries, root \(report.checkpoint.root)\(witnessText)")
        print(
            "replayed    entries \(report.start)..<\(report.checkpoint.size) in \(String(format: "%.2f", report.seconds)) s (\(Int(report.entriesPerSecond)) entries/s)"
        )
        print("state       \(report.digest)")
        if let first = report.unauthorisedRejections.first {
            print(
                "warning     \(report.unauthorisedRejections.count) entries (the first: \(first)) are rejections whose signers were not enough: "
                    + "a sequencer should have refused them, not logged them (written before that rule, or by a sequencer that broke it; docs/REJECTIONS.md)"
            )
        }
        return report
    }
}

/// A copy of a log named on the command line: a node or mirror URL (tiles under
/// `URL/log/`), a ledger directory (its journal), or an exported directory.
func openLogSource(_ source: String) throws -> any LogSource {
    if source.hasPrefix("http://") || source.hasPrefix("https://") { return HTTPLogSource(baseURL: source) }
    if FileManager.default.fileExists(atPath: "\(source)/\(LedgerDirectory.journalFileName)") {
        do { return JournalLogSource(journal: try SQLiteJournal.open(path: LedgerDirectory(source).journalPath)) } catch {
            throw CommandFailure(error.message)
        }
    }
    if FileManager.default.fileExists(atPath: "\(source)/checkpoint") { return DirectoryLogSource(path: source) }
    throw CommandFailure("\(source) is neither a ledger directory nor an exported log (no checkpoint file)")
}
