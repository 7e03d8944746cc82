import KhataBytes
import KhataCore
import KhataLog
import KhataStorage

/// A journal that fails on demand, for the storage-fault tests: everything goes
/// to `inner` (what is durable) until `failAppends` is set, after which every
/// append throws as a full disk or a failing fsync would, and writes nothing;
/// `beforeAppend`, when set, runs first (a test stalls the "disk" there).
public final class FaultyJournal: JournalStore, @unchecked Sendable {
    public let inner: MemoryJournal
    public var failAppends = false
    public var beforeAppend: (@Sendable () -> Void)?

    public init(_ inner: MemoryJournal) { self.inner = inner }

    public var origin: String { inner.origin }
    public var entryCount: UInt64 { inner.entryCount }

    public func append(_ entries: [StoredEntry], history: [HistoryRow], treeHashes: [TreeEdge.Completed]) throws(StorageError) {
        beforeAppend?()
        if failAppends { throw StorageError(.io, "disk I/O error (injected): no space left on device") }
        try inner.append(entries, history: history, treeHashes: treeHashes)
    }

    public func leafHashes(start: UInt64, count: Int) throws(StorageError) -> [Digest32] { try inner.leafHashes(start: start, count: count) }
    public func treeHashes(level: Int, start: UInt64, count: Int) throws(StorageError) -> [Digest32] {
        try inner.treeHashes(level: level, start: start, count: count)
    }
    public func allTreeHashes() throws(StorageError) -> [TreeEdge.Completed] { try inner.allTreeHashes() }
    public func saveCheckpoint(_ note: String, size: UInt64) throws(StorageError) { try inner.saveCheckpoint(note, size: size) }
    public func latestCheckpoint() throws(StorageError) -> String? { try inner.latestCheckpoint() }
    public func entries(from start: LeafIndex, limit: Int) throws(StorageError) -> [StoredEntry] { try inner.entries(from: start, limit: limit) }
    public func saveSnapshot(_ snapshot: StoredSnapshot) throws(StorageError) { try inner.saveSnapshot(snapshot) }
    public func latestSnapshot() throws(StorageError) -> StoredSnapshot? { try inner.latestSnapshot() }
    public func makeSnapshotWriter() throws(StorageError) -> (any SnapshotWriter)? { nil }
    public func checkStructure() throws(StorageError) { try inner.checkStructure() }
    public func history(of account: AccountID, before: LeafIndex?, limit: Int) throws(StorageError) -> [LeafIndex] {
        try inner.history(of: account, before: before, limit: limit)
    }
}
