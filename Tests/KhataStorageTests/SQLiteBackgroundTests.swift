import Foundation
import KhataBytes
import KhataCore
import KhataStorage
import KhataTestSupport
import Testing

/// The SQLite journal's helpers that work beside its writer: the background WAL
/// checkpointer and the wait for another connection's lock.
@Suite("SQLite beside the writer")
struct SQLiteBackgroundTests {
    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// A pass copies what the writer committed into the database file; passes
    /// interleaved with appends lose nothing, as a fresh connection reads back.
    @Test func checkpointerCopiesTheLogIntoTheDatabase() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = "\(directory)/j.sqlite"
        let store = try SQLiteJournal.create(path: path, origin: "khata.test/store")
        let checkpointer = try store.makeWALCheckpointer()
        for n in 0..<300 as Range<UInt64> {
            try store.append([storedEntry(n)], history: [HistoryRow(account: AccountID(high: 0, low: n % 7), index: LeafIndex(n))], treeHashes: [])
        }
        let before = fileSize(path)
        let pass = try checkpointer.checkpoint()
        #expect(pass.framesInLog > 0 && pass.framesCopied == pass.framesInLog, "\(pass)")
        #expect(fileSize(path) > before, "nothing was copied into \(path)")
        for n in 300..<600 as Range<UInt64> {
            try store.append([storedEntry(n)], history: [], treeHashes: [])
            if n % 50 == 0 { _ = try checkpointer.checkpoint() }
        }
        let reader = try SQLiteJournal.openForReading(path: path)
        #expect(reader.entryCount == 600)
        #expect(try reader.entries(from: LeafIndex(0), limit: 600) == (0..<600).map(storedEntry))
    }

    /// While another connection writes a large snapshot in parts (each part a
    /// short write transaction), every append waits its turn and succeeds. Both
    /// sides block, so both run on threads of their own, not the test pool.
    @Test func appendsWaitForAnotherWriterInsteadOfFailing() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = "\(directory)/j.sqlite"
        try SQLiteJournal.create(path: path, origin: "khata.test/store").append([storedEntry(0)], history: [], treeHashes: [])
        let writer = try #require(try SQLiteJournal.open(path: path).makeSnapshotWriter())
        let bytes = (0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let snapshot = StoredSnapshot(size: 1, digest: Digest32.sha256(bytes), bytes: bytes)
        async let saving: Void = offPool { try writer.save(snapshot) }
        let count = try await offPool {
            let store = try SQLiteJournal.open(path: path)
            for n in 1..<300 as Range<UInt64> { try store.append([storedEntry(n)], history: [], treeHashes: []) }
            return store.entryCount
        }
        try await saving
        #expect(count == 300)
        #expect(try SQLiteJournal.open(path: path).latestSnapshot()?.digest == snapshot.digest)
    }
}
