import Foundation
import KhataBytes
import KhataCore
import KhataStorage
import KhataTestSupport
import Testing

func storedEntry(_ index: UInt64) -> StoredEntry {
    let bytes = Array("entry \(index)".utf8)
    return StoredEntry(index: LeafIndex(index), bytes: bytes, leafHash: Entry.leafHash(bytes))
}

enum Driver: String, CaseIterable, CustomTestStringConvertible {
    case memory, sqlite
    var testDescription: String { rawValue }

    func make(_ directory: String) throws -> any JournalStore {
        switch self {
        case .memory: MemoryJournal(origin: "khata.test/store")
        case .sqlite: try SQLiteJournal.create(path: "\(directory)/j.sqlite", origin: "khata.test/store")
        }
    }
}

/// The `JournalStore` contract, checked against every driver so that they behave alike.
@Suite("Journal store contract")
struct JournalStoreTests {
    @Test(arguments: Driver.allCases)
    func appendsOnlyContiguously(driver: Driver) throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let store = try driver.make(directory)
        try store.append([storedEntry(0), storedEntry(1)], history: [], treeHashes: [])
        #expect(store.entryCount == 2)
        #expect { try store.append([storedEntry(3)], history: [], treeHashes: []) } throws: { ($0 as? StorageError)?.code == .outOfOrder }
        #expect { try store.append([storedEntry(2), storedEntry(2)], history: [], treeHashes: []) } throws: {
            ($0 as? StorageError)?.code == .outOfOrder
        }
        #expect(store.entryCount == 2)
        try store.append([storedEntry(2)], history: [], treeHashes: [])
        #expect(try store.entries(from: LeafIndex(1), limit: 10).map(\.index.value) == [1, 2])
        #expect(try store.entries(from: LeafIndex(5), limit: 10).isEmpty)
        #expect(try store.entry(at: LeafIndex(2)) == storedEntry(2))
        #expect { try store.entry(at: LeafIndex(9)) } throws: { ($0 as? StorageError)?.code == .notFound }
    }

    @Test(arguments: Driver.allCases)
    func historyIsNewestFirstAndPages(driver: Driver) throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let store = try driver.make(directory)
        let alice = accountID(2)
        let entries = (0..<10).map(storedEntry)
        let rows =
            (0..<10).filter { $0 % 3 == 0 }.map { HistoryRow(account: alice, index: LeafIndex(UInt64($0))) }
            + [HistoryRow(account: accountID(3), index: LeafIndex(4))]
        try store.append(entries, history: rows, treeHashes: [])
        #expect(try store.history(of: alice, before: nil, limit: 10).map(\.value) == [9, 6, 3, 0])
        #expect(try store.history(of: alice, before: LeafIndex(6), limit: 1).map(\.value) == [3])
        #expect(try store.history(of: accountID(99), before: nil, limit: 10).isEmpty)
    }

    @Test(arguments: Driver.allCases)
    func keepsTheLatestSnapshots(driver: Driver) throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let store = try driver.make(directory)
        #expect(try store.latestSnapshot() == nil)
        for size: UInt64 in [5, 10, 15] {
            let bytes = Array("state \(size)".utf8)
            try store.saveSnapshot(StoredSnapshot(size: size, digest: Digest32.sha256(bytes), bytes: bytes))
        }
        let latest = try #require(try store.latestSnapshot())
        #expect(latest.size == 15 && latest.bytes == Array("state 15".utf8))
    }

    /// A new SQLite journal survives closing and reopening, with its origin and count.
    @Test func sqliteJournalReopens() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = "\(directory)/j.sqlite"
        do {
            let store = try SQLiteJournal.create(path: path, origin: "khata.test/store")
            try store.append([storedEntry(0), storedEntry(1)], history: [], treeHashes: [])
        }
        let reopened = try SQLiteJournal.open(path: path)
        #expect(reopened.origin == "khata.test/store" && reopened.entryCount == 2)
        #expect { try SQLiteJournal.create(path: path, origin: "x") } throws: { ($0 as? StorageError)?.code == .exists }
    }

    /// An entry whose bytes no longer match its leaf hash is refused on read.
    @Test func alteredEntryIsRefusedOnRead() throws {
        let altered = StoredEntry(index: LeafIndex(0), bytes: Array("entry 1".utf8), leafHash: storedEntry(0).leafHash)
        #expect { try altered.verified() } throws: { ($0 as? StorageError)?.code == .corrupt }
    }
}
