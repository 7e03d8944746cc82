import Foundation
import KhataCore
import KhataLog
import KhataTestSupport
import KhataVerify
import Testing

@testable import KhataEngine
@testable import KhataStorage

let ledgerSigner = try! NoteSigner(name: Fixture.origin, key: Fixture.ledgerKey, type: .ed25519)
let ledgerVKey = ledgerSigner.verifierKey

/// A closed ledger of `entries` entries (genesis included) with a signed checkpoint of all of them.
func signedLedger(entries: Int, amount: UInt64 = 1, directory: String = temporaryDirectory()) throws -> String {
    let ledger = try LedgerDirectory(directory).create(genesis: Fixture.genesis)
    try appendPayments(ledger, upTo: entries, amount: amount, directory: directory)
    return directory
}

func appendPayments(_ ledger: Ledger, upTo entries: Int, amount: UInt64 = 1, directory: String) throws {
    var next = Int(ledger.state.size)
    while next < entries {
        let batch = (next..<min(entries, next + 200)).map { pay(UInt64(10_000 + $0), amount) }
        _ = try ledger.submitLogged(verified(batch))
        next += batch.count
    }
    try LedgerDirectory(directory).publishCheckpoint(ledger, signer: ledgerSigner)
}

func audit(_ source: any LogSource, state: AuditState? = nil) -> Result<(AuditReport, AuditState), AuditFailure> {
    Result { () throws(AuditFailure) in try Auditor(source: source, logKey: ledgerVKey).run(resumingFrom: state) }
}

func auditFailure(_ source: any LogSource) -> AuditFailure? {
    if case .failure(let failure) = audit(source) { return failure }
    return nil
}

func journalSource(_ directory: String) throws -> JournalLogSource {
    JournalLogSource(journal: try SQLiteJournal.open(path: LedgerDirectory(directory).journalPath))
}

@Suite("Verifiable log", .serialized)
struct VerifiableLogTests {
    /// A sound ledger audits cleanly from its journal and from its export, to the state it holds.
    @Test func soundLedgerAudits() throws {
        let directory = try signedLedger(entries: 600)
        defer { removeDirectory(directory) }
        let digest = try LedgerDirectory(directory).open().state.digest
        let (report, _) = try audit(try journalSource(directory)).get()
        #expect(report.checkpoint.size == 600 && report.digest == digest)
        let exported = temporaryDirectory()
        defer { removeDirectory(exported) }
        _ = try LogExporter.export(journal: try SQLiteJournal.open(path: LedgerDirectory(directory).journalPath), to: exported)
        #expect(try audit(DirectoryLogSource(path: exported)).get().0.digest == digest)
    }

    /// A changed byte of an entry: the node refuses to start, and audit names the entry.
    @Test func changedEntryIsNamed() throws {
        let directory = try signedLedger(entries: 600)
        defer { removeDirectory(directory) }
        try withRawDatabase(directory) { try $0.execute("UPDATE entries SET data = CAST(data AS BLOB) || x'00' WHERE idx = 333") }
        #expect(openError(directory)?.message.contains("entry 333") == true)
        // Forge a consistent leaf hash too: start-up still refuses (the tree no longer matches),
        // and the audit names the entry whose bytes do not hash to the signed tree.
        try withRawDatabase(directory) { db in
            let row = try db.prepare("SELECT data FROM entries WHERE idx = 333")
            var bytes: [UInt8] = []
            try row.forEachRow { bytes = $0.blob(0) }
            let update = try db.prepare("UPDATE entries SET leaf_hash = ? WHERE idx = 333")
            update.bind(blob: Entry.leafHash(bytes).bytes, at: 1)
            try update.run()
        }
        let error = try #require(openError(directory))
        #expect(error.code == .corrupt)
        let failure = try #require(auditFailure(try journalSource(directory)))
        #expect(failure.message.contains("tile/0/001") || failure.index == LeafIndex(333), "\(failure)")
    }

    /// A changed stored tree hash: start-up names it, and the audit finds the tile that no longer hashes to its parent.
    @Test func changedTreeHashIsDetected() throws {
        let directory = try signedLedger(entries: 600)
        defer { removeDirectory(directory) }
        try withRawDatabase(directory) { try $0.execute("UPDATE tree_hashes SET hash = zeroblob(32) WHERE level = 1 AND idx = 0") }
        let error = try #require(openError(directory))
        #expect(error.message.contains("tree hash at tile level 1, position 0"))
        let failure = try #require(auditFailure(try journalSource(directory)))
        #expect(failure.message.contains("tile/0/000") || failure.message.contains("root"), "\(failure)")
    }

    /// A changed byte of the stored checkpoint (in the journal or in the file beside it) is refused.
    @Test func changedCheckpointIsRefused() throws {
        let directory = try signedLedger(entries: 10)
        defer { removeDirectory(directory) }
        let file = LedgerDirectory(directory).checkpointPath
        let original = try String(contentsOfFile: file, encoding: .utf8)
        try original.replacingOccurrences(of: "\n10\n", with: "\n9\n").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(openError(directory)?.message.contains("not validly signed") == true)
        try original.write(toFile: file, atomically: true, encoding: .utf8)
        try withRawDatabase(directory) {
            try $0.execute("UPDATE checkpoints SET note = replace(note, char(10) || '10' || char(10), char(10) || '11' || char(10))")
        }
        #expect(openError(directory)?.message.contains("not validly signed") == true)
        #expect(auditFailure(try journalSource(directory))?.message.contains("does not verify") == true)
    }

    /// A journal rolled back behind a checkpoint the ledger signed (an old copy of the
    /// file restored) is refused at start, however consistent the old copy is.
    @Test func rollbackBehindSignedCheckpointIsRefused() throws {
        let directory = try signedLedger(entries: 50)
        defer { removeDirectory(directory) }
        let path = LedgerDirectory(directory).journalPath
        let backup = directory + "/old.sqlite"
        try FileManager.default.copyItem(atPath: path, toPath: backup)
        do {
            let ledger = try LedgerDirectory(directory).open()
            try appendPayments(ledger, upTo: 80, directory: directory)
        }
        try FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")
        try FileManager.default.copyItem(atPath: backup, toPath: path)
        let error = try #require(openError(directory))
        #expect(error.message.contains("published a checkpoint of 80 entries but the journal holds only 50"), "\(error)")
    }

    /// Truncating the journal's tail behind its own signed checkpoint is refused too.
    @Test func truncatedJournalIsRefused() throws {
        let directory = try signedLedger(entries: 40)
        defer { removeDirectory(directory) }
        try FileManager.default.removeItem(atPath: LedgerDirectory(directory).checkpointPath)
        try withRawDatabase(directory) {
            try $0.execute("DELETE FROM entries WHERE idx >= 30; UPDATE khata_meta SET value = 30 WHERE key = 'entry_count'")
        }
        #expect(openError(directory)?.message.contains("journal holds only 30") == true)
    }

    /// The ledger never signs two inconsistent checkpoints: if its stored tree no
    /// longer extends the last signed checkpoint, it refuses to sign.
    @Test func neverSignsInconsistentCheckpoints() throws {
        let directory = try signedLedger(entries: 300)
        defer { removeDirectory(directory) }
        let ledger = try LedgerDirectory(directory).open()
        _ = try ledger.submitLogged(verified([pay(99_999, 1)]))
        // Rewrite history under the running ledger: the stored hash of entries 0..<256 changes,
        // so the tree the ledger would sign no longer extends the one it signed at 300.
        try withRawDatabase(directory) { try $0.execute("UPDATE tree_hashes SET hash = zeroblob(32) WHERE level = 1 AND idx = 0") }
        #expect { try ledger.signCheckpoint(with: ledgerSigner) } throws: {
            ($0 as? EngineError)?.message.contains("not consistent with the checkpoint of 300 entries") == true
        }
        // Nor with a key that is not the ledger's.
        let stranger = try NoteSigner(name: Fixture.origin, key: testKey(77), type: .ed25519)
        #expect { try ledger.signCheckpoint(with: stranger) } throws: { ($0 as? EngineError)?.code == .wrongKey }
    }

    /// An exported log verifies with its files alone: sampled inclusion proofs at the
    /// new size, and a consistency proof between two exported checkpoints.
    @Test func exportVerifiesWithFilesAlone() throws {
        let directory = try signedLedger(entries: 700)
        defer { removeDirectory(directory) }
        let exported = temporaryDirectory()
        defer { removeDirectory(exported) }
        var journal: SQLiteJournal? = try SQLiteJournal.open(path: LedgerDirectory(directory).journalPath)
        _ = try LogExporter.export(journal: journal!, to: exported)
        journal = nil
        let oldNote = try String(contentsOfFile: exported + "/checkpoint", encoding: .utf8)
        do {
            let ledger = try LedgerDirectory(directory).open()
            try appendPayments(ledger, upTo: 1_100, directory: directory)
            _ = try LogExporter.export(journal: ledger.journal, to: exported)
        }
        let files = DirectoryLogSource(path: exported)
        let old = try SignedCheckpoint(note: oldNote, logKey: ledgerVKey).checkpoint
        let new = try SignedCheckpoint(note: files.checkpointNote(), logKey: ledgerVKey).checkpoint
        #expect(old.size == 700 && new.size == 1_100)
        let reader = TileHashReader(source: files, size: new.size)
        let proof = try MerkleTree.consistencyProof(oldSize: old.size, newSize: new.size, reader: reader)
        try MerkleTree.verifyConsistency(oldSize: old.size, newSize: new.size, oldRoot: old.root, newRoot: new.root, proof: proof)
        for index: UInt64 in [0, 1, 255, 256, 699, 700, 1_023, 1_024, 1_099] {
            let bundle = try files.bundle(index: index / 256, width: Int(min(256, new.size - index / 256 * 256)))
            let entry = bundle[Int(index % 256)]
            let path = try MerkleTree.inclusionProof(index: index, size: new.size, reader: reader)
            try MerkleTree.verifyInclusion(leafHash: RFC6962.leafHash(entry), index: index, size: new.size, proof: path, root: new.root)
            let tlogProof = TlogProof(index: index, path: path, checkpoint: try files.checkpointNote())
            #expect(try TlogProof(parsing: tlogProof.formatted).verify(entry: entry, logKey: ledgerVKey) == new)
        }
    }

    /// Altered exported files: an entry is named by index, a tile by path.
    @Test func alteredExportIsNamed() throws {
        let directory = try signedLedger(entries: 600)
        defer { removeDirectory(directory) }
        let exported = temporaryDirectory()
        defer { removeDirectory(exported) }
        _ = try LogExporter.export(journal: try SQLiteJournal.open(path: LedgerDirectory(directory).journalPath), to: exported)
        let bundlePath = exported + "/tile/entries/001"
        let original = try Data(contentsOf: URL(fileURLWithPath: bundlePath))
        var altered = original
        altered[2 + 40] ^= 1  // inside the first entry of bundle 1: entry 256
        try altered.write(to: URL(fileURLWithPath: bundlePath))
        let failure = try #require(auditFailure(DirectoryLogSource(path: exported)))
        #expect(failure.index == LeafIndex(256), "\(failure)")
        try original.write(to: URL(fileURLWithPath: bundlePath))
        let tilePath = exported + "/tile/0/001"
        var tile = try Data(contentsOf: URL(fileURLWithPath: tilePath))
        tile[5] ^= 1
        try tile.write(to: URL(fileURLWithPath: tilePath))
        #expect(auditFailure(DirectoryLogSource(path: exported))?.message.contains("tile/0/001 does not hash to its parent") == true)
    }

    /// An audit can continue from the last one: it proves consistency and replays
    /// only the new entries, reaching the same state as a full audit.
    @Test func auditContinuesFromSavedState() throws {
        let directory = try signedLedger(entries: 300)
        defer { removeDirectory(directory) }
        let (first, saved) = try audit(try journalSource(directory)).get()
        #expect(first.start == 0 && first.checkpoint.size == 300)
        do {
            let ledger = try LedgerDirectory(directory).open()
            try appendPayments(ledger, upTo: 420, directory: directory)
        }
        let (second, _) = try audit(try journalSource(directory), state: saved).get()
        #expect(second.start == 300 && second.checkpoint.size == 420)
        #expect(second.digest == (try audit(try journalSource(directory)).get().0.digest))
        // A state from another history does not pass as consistent.
        let other = try signedLedger(entries: 350, amount: 2)
        defer { removeDirectory(other) }
        let (_, foreign) = try audit(try journalSource(other)).get()
        #expect(throws: AuditFailure.self) { try audit(try journalSource(directory), state: foreign).get() }
    }
}

func openError(_ directory: String) -> EngineError? {
    do {
        _ = try LedgerDirectory(directory).open()
        return nil
    } catch {
        return error
    }
}
