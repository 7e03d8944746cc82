import ArgumentParser
import Foundation
import KhataEngine
import KhataNode

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Bring back the entries a restored journal lacks, from any copy of the public log.",
        discussion: """
            Example:
              khata restore --data ./ledger --from https://mirror.example/khata
              khata restore --data ./ledger --from ./public-log
            --from is a node or mirror URL (tiles under URL/log/), a follower's ledger directory, or a
            directory written by `khata log export`. Nothing in the copy is trusted: its checkpoint must be signed by the
            ledger's key, at least as large as the last checkpoint this directory published, and its
            tiles must prove the journal a prefix of it; every entry is hashed into the signed root
            before any is written, then decoded, signature-checked and replayed to its logged outcome.
            Run it with the node stopped; an interrupted restore can simply be run again.
            """
    )
    @OptionGroup var ledger: LedgerOptions
    @Option(help: ArgumentHelp("A node or mirror URL, a ledger directory, or a `khata log export` directory.", valueName: "url-or-dir"))
    var from: String

    func run() throws {
        let lock = try DirectoryLock(directory: ledger.data, exclusive: true)
        let source = try openLogSource(from)
        let summary = try engine { () throws(EngineError) in
            try ledger.directory.restore(from: source) { pass, done, total in
                if total >= 10_000 && (done == total || done % 65_536 < 256) {
                    let what = pass == 1 ? "hashed" : "replayed and stored"
                    FileHandle.standardError.write(Data("\(what) \(done)/\(total) entries\n".utf8))
                }
            }
        }
        _ = lock
        if summary.recovered == 0 {
            print("nothing to restore: the journal holds \(summary.to) entries and the copy is a prefix of it")
        } else {
            print(
                "restored entries \(summary.from) to \(summary.to - 1) (\(summary.recovered)) from \(source.name); the journal holds \(summary.to) entries, the last published checkpoint \(summary.published). The node can start."
            )
        }
    }
}
