import Foundation
import KhataBytes
import KhataCore
import KhataTestSupport
import KhataVerify
import Testing

@testable import KhataEngine
@testable import KhataStorage

func verified(_ transactions: [Transaction]) -> [VerifiedTransaction] {
    SignatureVerifier.verify(transactions, origin: Fixture.origin).map { try! $0.get() }
}

func pay(_ id: UInt64, _ amount: UInt64) -> Transaction {
    Fixture.transaction(id, [Fixture.transfer(amount, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey])
}

/// Opens the journal file with raw SQL, to damage it the way a disk or an attacker would.
func withRawDatabase(_ directory: String, _ body: (SQLiteConnection) throws -> Void) throws {
    let connection = try SQLiteConnection(path: LedgerDirectory(directory).journalPath, create: false)
    try body(connection)
}

@Suite("Ledger engine")
struct LedgerTests {
    /// A restart replays to the identical state, with and without a snapshot in between.
    @Test func restartRestoresIdenticalState() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let clock = SteppingClock()
        var ledger: Ledger? = try LedgerDirectory(directory).create(genesis: Fixture.genesis, clock: clock.read)
        _ = try ledger!.submitLogged(verified((1...50).map { pay($0, $0) }))
        try ledger!.snapshot()
        _ = try ledger!.submitLogged(verified((51...80).map { pay($0, 2) }))
        let digest = ledger!.state.digest
        ledger = nil
        let reopened = try LedgerDirectory(directory).open(clock: clock.read)
        #expect(reopened.state.digest == digest)
        #expect(reopened.state.size == 81)
        // The journal alone (snapshots ignored) replays to the same state.
        let journal = try SQLiteJournal.open(path: LedgerDirectory(directory).journalPath)
        var state = try LedgerState(replayingGenesis: Entry(decoding: journal.entry(at: LeafIndex(0)).bytes))
        for stored in try journal.entries(from: LeafIndex(1), limit: 1_000) { try state.replay(Entry(decoding: stored.bytes)) }
        #expect(state.digest == digest)
    }

    /// Automatic snapshots are taken in the background and saved in parts beside
    /// the sequencer's commits; a restart loads the latest one and replays the rest.
    @Test func backgroundSnapshotsRestoreIdenticalState() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let clock = SteppingClock()
        var ledger: Ledger? = try LedgerDirectory(directory).create(genesis: Fixture.genesis, clock: clock.read)
        ledger!.snapshotInterval = 30
        for batch in 0..<3 {
            _ = try ledger!.submitLogged(verified((1...30).map { pay(UInt64(batch * 30 + $0), 1) }))
            ledger!.waitForBackgroundSnapshot()
            #expect(ledger!.lastSnapshot?.size == UInt64(batch * 30 + 31) && ledger!.lastSnapshot?.background == true)
        }
        _ = try ledger!.submitLogged(verified((91...100).map { pay($0, 1) }))
        let digest = ledger!.state.digest
        ledger = nil
        // The snapshot row names its parts (its own data is empty).
        var counts: [Int64] = []
        try withRawDatabase(directory) { db in
            for query in [
                "SELECT COUNT(*) FROM snapshots WHERE size = 91 AND length(data) = 0", "SELECT COUNT(*) FROM snapshot_parts WHERE size = 91",
                "SELECT COUNT(*) FROM snapshots", "SELECT COUNT(DISTINCT size) FROM snapshot_parts",
            ] {
                counts.append(try db.scalarInt(query))
            }
        }
        // Parts for 91; only the newest two snapshots and their parts are kept.
        #expect(counts == [1, 1, 2, 2])
        let reopened = try LedgerDirectory(directory).open(clock: clock.read)
        #expect(reopened.state.digest == digest)
        #expect(reopened.entriesSinceSnapshot == 10)
    }

    /// A snapshot saved in many small parts loads whole; a damaged part is refused.
    @Test func snapshotPartsAssembleAndAreChecked() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let ledger = try LedgerDirectory(directory).create(genesis: Fixture.genesis)
        _ = try ledger.submitLogged(verified((1...20).map { pay($0, $0) }))
        let bytes = ledger.state.encodedSnapshot()
        let writer = try SQLiteSnapshotWriter(path: LedgerDirectory(directory).journalPath, partBytes: 100)
        try writer.save(StoredSnapshot(size: ledger.state.size, digest: Digest32.sha256(bytes), bytes: bytes))
        let loaded = try #require(try ledger.journal.latestSnapshot())
        #expect(loaded.bytes == bytes && loaded.size == 21)
        var parts: Int64 = 0
        try withRawDatabase(directory) { db in
            parts = try db.scalarInt("SELECT COUNT(*) FROM snapshot_parts")
            try db.execute("UPDATE snapshot_parts SET data = CAST(data AS BLOB) || x'01' WHERE part = 3")
        }
        #expect(parts == Int64((bytes.count + 99) / 100))
        #expect(throws: StorageError.self) { try ledger.journal.latestSnapshot() }
    }

    /// A retry gets the original receipt, before and after a restart, and is not sequenced again.
    @Test func retryReturnsOriginalReceipt() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        var ledger: Ledger? = try LedgerDirectory(directory).create(genesis: Fixture.genesis)
        let original = try ledger!.submitLogged(verified([pay(1, 10)]))[0]
        // Within one batch, and in a later batch.
        let again = try ledger!.submitLogged(verified([pay(1, 10), pay(1, 10)]))
        #expect(again.allSatisfy { $0.isRetry && $0.index == original.index && $0.leafHash == original.leafHash && $0.outcome == .committed })
        let sameBatch = try ledger!.submitLogged(verified([pay(2, 10), pay(2, 10)]))
        #expect(sameBatch[1].isRetry && sameBatch[1].index == sameBatch[0].index && sameBatch[1].leafHash == sameBatch[0].leafHash)
        ledger = nil
        let reopened = try LedgerDirectory(directory).open()
        let afterRestart = try reopened.submitLogged(verified([pay(1, 10)]))[0]
        #expect(afterRestart.isRetry && afterRestart.index == original.index && afterRestart.leafHash == original.leafHash)
        #expect(reopened.state.balance(of: Fixture.bob, in: inr).posted == 20)
        #expect(reopened.state.size == 3)
        // Same id, other content: refused, not logged (it would change nothing but the log's size).
        let reuse = try reopened.submit(verified([pay(1, 11)]))[0]
        #expect(reuse.refusal == Refusal(transaction: transactionID(1), code: .idReusedWithDifferentContent, operation: 0))
        #expect(reopened.state.size == 3)
    }

    /// Time in the log never goes back, even if the clock does.
    @Test func stampedTimeIsMonotonic() throws {
        let ledger = try Ledger.create(
            journal: MemoryJournal(origin: Fixture.origin), genesis: Fixture.genesis, clock: { Timestamp(milliseconds: 10_000) })
        let receipt = try ledger.submitLogged(verified([pay(1, 1)]))[0]
        #expect(receipt.time == Timestamp(milliseconds: 10_000))
        let early = try Ledger.open(journal: ledger.journal, clock: { Timestamp(milliseconds: 5) })
        #expect(try early.submitLogged(verified([pay(2, 1)]))[0].time == Timestamp(milliseconds: 10_000))
    }

    @Test func oversizedBatchIsRefused() throws {
        let ledger = try Ledger.create(journal: MemoryJournal(origin: Fixture.origin), genesis: Fixture.genesis)
        let transaction = verified([pay(1, 1)])[0]
        #expect { try ledger.submitLogged(Array(repeating: transaction, count: Limits.maxBatchTransactions + 1)) } throws: {
            ($0 as? EngineError)?.code == .batchTooLarge
        }
        #expect(ledger.state.size == 1)
    }

    /// A genesis whose operations fail is refused, and leaves no file behind.
    @Test func failingGenesisIsRefused() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let bad = try Genesis(
            origin: Fixture.origin, ledgerKey: Fixture.ledgerKey.publicKey, issuer: KeySet(single: Fixture.issuerKey.publicKey),
            operations: [Fixture.transfer(1, from: Fixture.alice, to: Fixture.bob)])
        #expect { try LedgerDirectory(directory).create(genesis: bad) } throws: { ($0 as? EngineError)?.code == .invalidGenesis }
        #expect(!FileManager.default.fileExists(atPath: LedgerDirectory(directory).journalPath))
    }
}

@Suite("Damaged journals")
struct DamagedJournalTests {
    /// Builds a closed ledger of 21 entries in a fresh directory.
    func makeLedger(snapshot: Bool = false) throws -> String {
        let directory = temporaryDirectory()
        let ledger = try LedgerDirectory(directory).create(genesis: Fixture.genesis)
        _ = try ledger.submitLogged(verified((1...20).map { pay($0, $0) }))
        if snapshot { try ledger.snapshot() }
        return directory
    }

    @Test func changedEntryByteIsDetected() throws {
        let directory = try makeLedger()
        defer { removeDirectory(directory) }
        try withRawDatabase(directory) { try $0.execute("UPDATE entries SET data = CAST(data AS BLOB) || x'00' WHERE idx = 7") }
        let error = try #require(openError(directory))
        #expect(error.code == .corrupt)
        #expect(error.message.contains("entry 7"))
    }

    @Test func entryWithMatchingForgedHashFailsReplay() throws {
        // Someone rewrites entry 5's amount and recomputes its leaf hash: the signature no longer verifies.
        let directory = try makeLedger()
        defer { removeDirectory(directory) }
        let journal = try SQLiteJournal.open(path: LedgerDirectory(directory).journalPath)
        var bytes = try journal.entry(at: LeafIndex(5)).bytes
        bytes[19 + 1 + 16 + 2 + 1 + 4 + 32 + 7] ^= 0xFF  // header, then the transfer's amount
        let hash = Entry.leafHash(bytes).bytes
        try withRawDatabase(directory) { db in
            let update = try db.prepare("UPDATE entries SET data = ?, leaf_hash = ? WHERE idx = 5")
            update.bind(blob: bytes, at: 1)
            update.bind(blob: hash, at: 2)
            try update.run()
        }
        let error = try #require(openError(directory))
        #expect(error.code == .corrupt && error.message.contains("entry 5"))
    }

    @Test func missingTailIsDetected() throws {
        let directory = try makeLedger()
        defer { removeDirectory(directory) }
        try withRawDatabase(directory) { try $0.execute("DELETE FROM entries WHERE idx >= 18") }
        let error = try #require(openError(directory))
        #expect(error.code == .corrupt && error.message.contains("truncated"))
    }

    @Test func snapshotAheadOfJournalIsDetected() throws {
        let directory = try makeLedger(snapshot: true)
        defer { removeDirectory(directory) }
        try withRawDatabase(directory) {
            try $0.execute("DELETE FROM entries WHERE idx >= 15; UPDATE khata_meta SET value = 15 WHERE key = 'entry_count'")
        }
        let error = try #require(openError(directory))
        #expect(error.code == .corrupt && error.message.contains("rolled back"))
    }

    @Test func alteredSnapshotIsDetected() throws {
        let directory = try makeLedger(snapshot: true)
        defer { removeDirectory(directory) }
        try withRawDatabase(directory) { try $0.execute("UPDATE snapshots SET data = CAST(data AS BLOB) || x'01'") }
        let error = try #require(openError(directory))
        #expect(error.code == .corrupt && error.message.contains("snapshot"))
    }

    @Test func truncatedFileIsDetected() throws {
        let directory = try makeLedger()
        defer { removeDirectory(directory) }
        let path = LedgerDirectory(directory).journalPath
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(truncate(path, off_t(size / 2)) == 0)
        let error = try #require(openError(directory))
        #expect(error.code == .corrupt)
    }

    @Test func foreignFilesAreRefused() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = LedgerDirectory(directory).journalPath
        // Not a database at all.
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: path))
        #expect(openError(directory)?.code == .corrupt)
        #expect(openError(directory)?.message.contains("not a Khata ledger") == true)
        // Another program's SQLite database.
        try FileManager.default.removeItem(atPath: path)
        let other = try SQLiteConnection(path: path, create: true)
        try other.execute("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello')")
        #expect(openError(directory)?.message.contains("another program") == true)
    }

    @Test func missingLedgerSaysHowToCreateOne() throws {
        let error = try #require(openError("/nonexistent/khata"))
        #expect(error.message.contains("khata init"))
    }
}
