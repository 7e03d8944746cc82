import ArgumentParser
import Foundation
import KhataAPI
import KhataCore
import KhataEngine
import KhataLog
import KhataNode

/// `--data DIR`: the ledger directory every command works on.
struct LedgerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The ledger directory (made by `khata init`).", valueName: "dir"))
    var data: String = "./ledger"

    var directory: LedgerDirectory { LedgerDirectory(data) }
    var participants: Participants { Participants.load(from: data) }

    /// Opens the ledger for writing, holding the directory's lock until the
    /// returned session ends, and showing recovery progress on long replays.
    func openForWriting() throws -> LedgerSession { try LedgerSession(directory: directory, exclusive: true) }

    /// Opens the ledger for reading (a shared lock: writers wait, readers do not).
    func openForReading() throws -> LedgerSession { try LedgerSession(directory: directory, exclusive: false) }
}

/// An open ledger and the directory lock that keeps other writers out.
final class LedgerSession {
    let ledger: Ledger
    let directory: LedgerDirectory
    private let lock: DirectoryLock
    /// Entries since the last snapshot beyond which closing takes a new snapshot,
    /// so that the next command replays little.
    static let snapshotAfter: UInt64 = 1_000

    init(directory: LedgerDirectory, exclusive: Bool) throws {
        self.directory = directory
        lock = try DirectoryLock(directory: directory.path, exclusive: exclusive)
        var reported = false
        ledger = try engine { () throws(EngineError) in
            try directory.open(progress: { done, total in
                guard total > 10_000 else { return }
                reported = true
                FileHandle.standardError.write(Data("\rreplaying the journal: \(done)/\(total) entries".utf8))
            })
        }
        if reported { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// Signs and publishes a checkpoint of the ledger as it stands, if the
    /// directory's configuration names the ledger key; asks the configured
    /// witnesses to cosign it. Returns the published note.
    @discardableResult
    func publishCheckpoint() throws -> SignedCheckpoint? {
        let configuration = try NodeConfiguration.load(from: directory.path)
        guard let signer = try configuration.checkpointSigner(directory: directory.path, ledger: ledger) else { return nil }
        let signed = try engine { () throws(EngineError) in try directory.publishCheckpoint(ledger, signer: signer) }
        return try Cosigning.collect(signed, ledger: ledger, directory: directory, configuration: configuration)
    }

    deinit {
        if lock.exclusive && ledger.entriesSinceSnapshot >= LedgerSession.snapshotAfter {
            try? ledger.snapshot()
        }
    }
}

/// An advisory lock on a ledger directory (`flock` on `DIR/.lock`).
final class DirectoryLock {
    let exclusive: Bool
    private let descriptor: Int32

    init(directory: String, exclusive: Bool) throws {
        guard FileManager.default.fileExists(atPath: "\(directory)/\(LedgerDirectory.journalFileName)") else {
            throw CommandFailure("no ledger in \(directory); create one with `khata init --dev --data \(directory)`")
        }
        self.exclusive = exclusive
        descriptor = open("\(directory)/.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CommandFailure("cannot open \(directory)/.lock: \(String(cString: strerror(errno)))") }
        guard flock(descriptor, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
            close(descriptor)
            throw CommandFailure(
                "the ledger in \(directory) is in use by another khata process (a node?); stop it, or send the transaction through it with --node URL"
            )
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// `--json`: machine-readable output.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Runs a throwing engine call, turning its error into a message for people.
func engine<T>(_ body: () throws(EngineError) -> T) throws -> T {
    do { return try body() } catch { throw CommandFailure(error.message) }
}
