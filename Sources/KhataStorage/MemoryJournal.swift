import KhataBytes
import KhataCore
import KhataLog

/// A journal in memory: the reference implementation of `JournalStore`, for tests
/// and for benchmarks of the state machine without storage. Not durable.
public final class MemoryJournal: JournalStore {
    public let origin: String
    private var stored: [StoredEntry] = []
    private var snapshots: [StoredSnapshot] = []
    private var historyRows: [AccountID: [LeafIndex]] = [:]
    private var tree: [Int: [Digest32]] = [:]
    private var checkpoint: String?

    public init(origin: String) { self.origin = origin }

    public var entryCount: UInt64 { UInt64(stored.count) }

    public func append(_ entries: [StoredEntry], history: [HistoryRow], treeHashes: [TreeEdge.Completed]) throws(StorageError) {
        for (offset, entry) in entries.enumerated() where entry.index.value != entryCount + UInt64(offset) {
            throw StorageError(.outOfOrder, "entry \(entry.index) does not continue a log of \(entryCount + UInt64(offset))")
        }
        var next: [Int: UInt64] = [:]
        for hash in treeHashes {
            let expected = next[hash.level] ?? UInt64(tree[hash.level]?.count ?? 0)
            guard hash.index == expected else {
                throw StorageError(.outOfOrder, "tree hash \(hash.level)/\(hash.index) does not continue its level at \(expected)")
            }
            next[hash.level] = expected + 1
        }
        stored.append(contentsOf: entries)
        for row in history { historyRows[row.account, default: []].append(row.index) }
        for hash in treeHashes { tree[hash.level, default: []].append(hash.hash) }
    }

    public func leafHashes(start: UInt64, count: Int) throws(StorageError) -> [Digest32] {
        guard start < entryCount else { return [] }
        return stored[Int(start)..<min(stored.count, Int(start) + count)].map(\.leafHash)
    }

    public func treeHashes(level: Int, start: UInt64, count: Int) throws(StorageError) -> [Digest32] {
        let row = tree[level] ?? []
        guard start < row.count else { return [] }
        return Array(row[Int(start)..<min(row.count, Int(start) + count)])
    }

    public func allTreeHashes() throws(StorageError) -> [TreeEdge.Completed] {
        tree.keys.sorted().flatMap { level in
            tree[level]!.enumerated().map { TreeEdge.Completed(level: level, index: UInt64($0.offset), hash: $0.element) }
        }
    }

    public func saveCheckpoint(_ note: String, size: UInt64) throws(StorageError) { checkpoint = note }

    public func latestCheckpoint() throws(StorageError) -> String? { checkpoint }

    public func entries(from start: LeafIndex, limit: Int) throws(StorageError) -> [StoredEntry] {
        guard start.value < entryCount else { return [] }
        let begin = Int(start.value)
        return try stored[begin..<min(stored.count, begin + limit)].map { entry throws(StorageError) in try entry.verified() }
    }

    public func saveSnapshot(_ snapshot: StoredSnapshot) throws(StorageError) {
        snapshots = Array((snapshots + [snapshot]).suffix(2))
    }

    public func latestSnapshot() throws(StorageError) -> StoredSnapshot? { snapshots.last }

    /// Nil: an in-memory journal saves snapshots on the writer's thread.
    public func makeSnapshotWriter() throws(StorageError) -> (any SnapshotWriter)? { nil }

    /// Nothing to check: memory has no pages to damage.
    public func checkStructure() throws(StorageError) {}

    public func history(of account: AccountID, before: LeafIndex?, limit: Int) throws(StorageError) -> [LeafIndex] {
        let all = historyRows[account] ?? []
        return Array(all.reversed().lazy.filter { before == nil || $0 < before! }.prefix(limit))
    }
}
