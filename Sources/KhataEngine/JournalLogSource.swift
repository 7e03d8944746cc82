import KhataBytes
import KhataCore
import KhataLog
import KhataStorage
import KhataVerify

/// A ledger directory's journal seen as tiles: level 0 from the stored leaf
/// hashes, higher levels from the stored tree hashes.
public struct JournalLogSource: LogSource {
    public let journal: any JournalStore
    public init(journal: any JournalStore) { self.journal = journal }

    public var name: String { "the journal of \(journal.origin)" }

    public func checkpointNote() throws -> String {
        guard let note = try journal.latestCheckpoint() else {
            throw LogSourceError("the ledger has not signed a checkpoint yet; run `khata checkpoint`")
        }
        return note
    }

    public func tile(level: Int, index: UInt64, width: Int) throws -> [Digest32] {
        try journal.hashReader.hashes(level: level, start: index * UInt64(Tiles.width), count: width)
    }

    public func bundle(index: UInt64, width: Int) throws -> [[UInt8]] {
        let entries = try journal.entries(from: LeafIndex(index * UInt64(Tiles.width)), limit: width)
        guard entries.count == width else { throw LogSourceError("bundle \(index) has \(entries.count) of \(width) entries") }
        return entries.map(\.bytes)
    }
}
