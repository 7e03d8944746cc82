import KhataCore

/// A journal in memory: the reference implementation of `JournalStore`, for tests
/// and for benchmarks of the state machine without storage. Not durable.
public final class MemoryJournal: JournalStore {
    public let origin: String
    private var stored: [StoredEntry] = []
    private var snapshots: [StoredSnapshot] = []
    private var historyRows: [AccountID: [LeafIndex]] = [:]

    public init(origin: String) { self.origin = origin }

    public var entryCount: UInt64 { UInt64(stored.count) }

    public func append(_ entries: [StoredEntry], history: [HistoryRow]) throws(StorageError) {
        for (offset, entry) in entries.enumerated() where entry.index.value != entryCount + UInt64(offset) {
            throw StorageError(.outOfOrder, "entry \(entry.index) does not continue a log of \(entryCount + UInt64(offset))")
        }
        stored.append(contentsOf: entries)
        for row in history { historyRows[row.account, default: []].append(row.index) }
    }

    public func entries(from start: LeafIndex, limit: Int) throws(StorageError) -> [StoredEntry] {
        guard start.value < entryCount else { return [] }
        let begin = Int(start.value)
        return try stored[begin..<min(stored.count, begin + limit)].map { entry throws(StorageError) in try entry.verified() }
    }

    public func saveSnapshot(_ snapshot: StoredSnapshot) throws(StorageError) {
        snapshots = Array((snapshots + [snapshot]).suffix(2))
    }

    public func latestSnapshot() throws(StorageError) -> StoredSnapshot? { snapshots.last }

    public func history(of account: AccountID, before: LeafIndex?, limit: Int) throws(StorageError) -> [LeafIndex] {
        let all = historyRows[account] ?? []
        return Array(all.reversed().lazy.filter { before == nil || $0 < before! }.prefix(limit))
    }
}
