import Foundation
import KhataBytes
import KhataCore
import KhataLog
import KhataTestSupport
import KhataVerify
import Testing

@testable import KhataEngine
@testable import KhataStorage

/// `khata restore`: a journal restored from a backup older than the last
/// checkpoint the ledger published gets its missing entries back from a copy of
/// the public log, or is refused; it never sequences a second history.
@Suite("Restore from the public log")
struct RestoreTests {
    /// A ledger published at 50 entries, backed up there, grown to `size` and
    /// published again, exported to `mirror`, then rolled back to the backup.
    /// Returns the state digest it had before the rollback.
    func rolledBack(_ directory: String, mirror: String, size: Int = 600, exportAt: Int? = nil) throws -> Digest32 {
        let ledgerDirectory = LedgerDirectory(directory)
        let ledger = try ledgerDirectory.create(genesis: Fixture.genesis)
        try appendPayments(ledger, upTo: 50, directory: directory)
        let backup = directory + "/backup.sqlite"
        // An online backup of the running ledger (what `sqlite3 ledger.sqlite ".backup …"` makes).
        try withRawDatabase(directory) { try $0.execute("VACUUM INTO '\(backup)'") }
        if let exportAt {
            try appendPayments(ledger, upTo: exportAt, directory: directory)
            _ = try LogExporter.export(journal: ledger.journal, to: mirror)
        }
        try appendPayments(ledger, upTo: size, directory: directory)
        if exportAt == nil { _ = try LogExporter.export(journal: ledger.journal, to: mirror) }
        let digest = ledger.state.digest
        try replaceJournal(directory, with: backup)
        return digest
    }

    func replaceJournal(_ directory: String, with backup: String) throws {
        let path = LedgerDirectory(directory).journalPath
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileManager.default.copyItem(atPath: backup, toPath: path)
    }

    func entryCount(_ directory: String) throws -> UInt64 {
        try SQLiteJournal.open(path: LedgerDirectory(directory).journalPath).entryCount
    }

    @Test func anOldBackupPlusALogMirrorGivesBackEveryEntry() throws {
        let directory = temporaryDirectory()
        let mirror = temporaryDirectory("mirror")
        defer { removeDirectory(directory); removeDirectory(mirror) }
        let digest = try rolledBack(directory, mirror: mirror)

        // Alone, the old backup refuses to start and says what to do.
        let refused = try #require(openError(directory))
        #expect(refused.code == .behindPublished)
        #expect(refused.message.contains("khata restore --data \(directory) --from"), "\(refused)")

        var passes: Set<Int> = []
        let summary = try LedgerDirectory(directory).restore(from: DirectoryLogSource(path: mirror)) { pass, _, _ in passes.insert(pass) }
        #expect(summary == LedgerRestore.Summary(from: 50, to: 600, published: 600))
        #expect(passes == [1, 2])
        let restored = try LedgerDirectory(directory).open()
        #expect(restored.state.digest == digest)
        #expect(restored.state.size == 600)
        // The read indexes came back too: Alice's history reaches the last entry.
        #expect(try restored.journal.history(of: Fixture.alice, before: nil, limit: 1).first == LeafIndex(599))
        // It sequences on from the restored tip, and signs consistently with what it published.
        _ = try restored.submitLogged(verified([pay(99_999, 1)]))
        _ = try LedgerDirectory(directory).publishCheckpoint(restored, signer: ledgerSigner)
        #expect(auditFailure(JournalLogSource(journal: restored.journal)) == nil)

        // A mirror behind the journal, but not behind what was published, is a
        // prefix of it: nothing to restore, and no error.
        _ = try LogExporter.export(journal: restored.journal, to: mirror)
        _ = try restored.submitLogged(verified([pay(99_998, 1)]))
        let again = try LedgerDirectory(directory).restore(from: DirectoryLogSource(path: mirror))
        #expect(again == LedgerRestore.Summary(from: 602, to: 602, published: 601))
    }

    @Test func aMirrorOlderThanThePublishedCheckpointIsRefused() throws {
        let directory = temporaryDirectory()
        let mirror = temporaryDirectory("mirror")
        defer { removeDirectory(directory); removeDirectory(mirror) }
        _ = try rolledBack(directory, mirror: mirror, size: 600, exportAt: 300)
        #expect {
            try LedgerDirectory(directory).restore(from: DirectoryLogSource(path: mirror))
        } throws: { error in
            let error = error as! EngineError
            return error.code == .behindPublished && error.message.contains("holds 300 entries, but the ledger published a checkpoint of 600")
        }
        #expect(try entryCount(directory) == 50)
    }

    @Test func aJournalThatForkedIsRefused() throws {
        let directory = temporaryDirectory()
        let mirror = temporaryDirectory("mirror")
        defer { removeDirectory(directory); removeDirectory(mirror) }
        _ = try rolledBack(directory, mirror: mirror)
        // Someone started the old backup without its checkpoint file and took other payments.
        let checkpoint = try #require(LedgerDirectory(directory).checkpointFile())
        try FileManager.default.removeItem(atPath: LedgerDirectory(directory).checkpointPath)
        do {
            let forked = try LedgerDirectory(directory).open()
            _ = try forked.submitLogged(verified((1...10).map { pay(50_000 + $0, 2) }))
        }
        try LedgerDirectory(directory).writeCheckpointFile(checkpoint)
        #expect {
            try LedgerDirectory(directory).restore(from: DirectoryLogSource(path: mirror))
        } throws: { error in
            (error as! EngineError).message.contains("not a prefix of the log")
        }
        #expect(try entryCount(directory) == 60)
    }

    @Test func aDamagedMirrorWritesNothing() throws {
        let directory = temporaryDirectory()
        let mirror = temporaryDirectory("mirror")
        defer { removeDirectory(directory); removeDirectory(mirror) }
        _ = try rolledBack(directory, mirror: mirror)
        // The last entry of the second bundle altered (its last byte).
        let path = "\(mirror)/\(Tiles.path(level: nil, index: 1))"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 1] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            try LedgerDirectory(directory).restore(from: DirectoryLogSource(path: mirror))
        } throws: { error in
            (error as! EngineError).message.contains("do not hash to its signed root")
        }
        #expect(try entryCount(directory) == 50)
    }
}
