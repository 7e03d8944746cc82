import KhataBytes
import KhataCore
import KhataLog

/// One stored log entry: its canonical bytes and their leaf hash.
public struct StoredEntry: Hashable, Sendable {
    public let index: LeafIndex
    public let bytes: [UInt8]
    /// SHA-256(0x00 ‖ bytes), stored beside the bytes so that a changed byte is caught on read.
    public let leafHash: Digest32

    public init(index: LeafIndex, bytes: [UInt8], leafHash: Digest32) {
        self.index = index
        self.bytes = bytes
        self.leafHash = leafHash
    }

    /// Checks the stored leaf hash against the bytes.
    public func verified() throws(StorageError) -> StoredEntry {
        guard Entry.leafHash(bytes) == leafHash else {
            throw StorageError(.corrupt, "entry \(index) does not match its stored leaf hash: the journal was altered or damaged")
        }
        return self
    }
}

/// A state snapshot: the state after `size` entries, its canonical bytes and digest.
public struct StoredSnapshot: Sendable {
    public let size: UInt64
    public let digest: Digest32
    public let bytes: [UInt8]

    public init(size: UInt64, digest: Digest32, bytes: [UInt8]) {
        self.size = size
        self.digest = digest
        self.bytes = bytes
    }
}

/// An entry's mention of an account, for account history.
public struct HistoryRow: Hashable, Sendable {
    public let account: AccountID
    public let index: LeafIndex
    public init(account: AccountID, index: LeafIndex) {
        self.account = account
        self.index = index
    }
}

/// Where a ledger keeps its log, its snapshots and its read indexes.
///
/// The one seam between the ledger and a database: an embedded SQLite file
/// (`SQLiteJournal`), memory (`MemoryJournal`, for tests), and later PostgreSQL
/// each implement it natively. The sequencer is its only writer.
public protocol JournalStore: AnyObject {
    /// The ledger's origin, fixed when the store was created.
    var origin: String { get }
    /// How many entries are stored; the index the next appended entry must have.
    var entryCount: UInt64 { get }

    /// Appends entries, which must continue the log without a gap, with their
    /// history rows and the tree hashes (tile level ≥ 1) they completed, as one
    /// atomic write that is durable (synced to stable storage) before this
    /// returns. On a thrown error nothing was appended.
    func append(_ entries: [StoredEntry], history: [HistoryRow], treeHashes: [TreeEdge.Completed]) throws(StorageError)

    /// Up to `count` leaf hashes from `start` (tile level 0), as stored beside the entries.
    func leafHashes(start: UInt64, count: Int) throws(StorageError) -> [Digest32]

    /// Up to `count` stored hashes of tile level `level` ≥ 1 from position `start`.
    func treeHashes(level: Int, start: UInt64, count: Int) throws(StorageError) -> [Digest32]

    /// Every stored hash of tile level ≥ 1, for verification at start.
    func allTreeHashes() throws(StorageError) -> [TreeEdge.Completed]

    /// Stores `note` as the latest signed checkpoint (of `size` entries).
    func saveCheckpoint(_ note: String, size: UInt64) throws(StorageError)

    /// The latest signed checkpoint note, if any.
    func latestCheckpoint() throws(StorageError) -> String?

    /// Up to `limit` entries from `start`, ascending, each checked against its leaf hash.
    func entries(from start: LeafIndex, limit: Int) throws(StorageError) -> [StoredEntry]

    /// Stores a snapshot; older ones but the previous may be discarded.
    func saveSnapshot(_ snapshot: StoredSnapshot) throws(StorageError)

    /// The snapshot with the largest size, if any, checked against its digest.
    func latestSnapshot() throws(StorageError) -> StoredSnapshot?

    /// A writer that saves snapshots from another thread while this store keeps
    /// taking appends, or nil if the store cannot (then snapshots are saved
    /// with `saveSnapshot` on the writer's own thread).
    func makeSnapshotWriter() throws(StorageError) -> (any SnapshotWriter)?

    /// Indexes of entries that touched `account`, newest first, strictly before
    /// `before` when given; at most `limit`.
    func history(of account: AccountID, before: LeafIndex?, limit: Int) throws(StorageError) -> [LeafIndex]

    /// Checks the store's own structure (for SQLite, every page: `quick_check`),
    /// throwing `corrupt` if it is damaged. Reads the whole store.
    func checkStructure() throws(StorageError)
}

/// Saves snapshots beside a journal's appends (`JournalStore.makeSnapshotWriter`).
/// Used from one background thread at a time.
public protocol SnapshotWriter: AnyObject, Sendable {
    func save(_ snapshot: StoredSnapshot) throws(StorageError)
}

extension JournalStore {
    /// The store as a `TreeHashReader` for proofs and roots.
    public var hashReader: JournalHashReader { JournalHashReader(store: self) }

    public func entry(at index: LeafIndex) throws(StorageError) -> StoredEntry {
        guard let entry = try entries(from: index, limit: 1).first, entry.index == index else {
            throw StorageError(.notFound, "no entry \(index); the log has \(entryCount) entries")
        }
        return entry
    }
}

/// A storage failure. I/O errors, a damaged or foreign file, or a request for
/// something absent. `code` is stable; `message` names the file or entry and what to do.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file is not a Khata journal (another program's database, or not a database).
        public static let foreign = Code(rawValue: "foreign")
        /// The file is a Khata journal but damaged, truncated or altered.
        public static let corrupt = Code(rawValue: "corrupt")
        /// The file was written by a newer format version.
        public static let unsupportedVersion = Code(rawValue: "unsupported_version")
        /// Creating a journal where one already exists, or opening one that does not.
        public static let exists = Code(rawValue: "exists")
        public static let notFound = Code(rawValue: "not_found")
        /// An append that does not continue the log.
        public static let outOfOrder = Code(rawValue: "out_of_order")
        /// The database or file system failed.
        public static let io = Code(rawValue: "io")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Reads a journal's stored tree hashes for `MerkleTree`: level 0 from the
/// entries' leaf hashes, higher levels from the stored tree hashes.
public struct JournalHashReader: TreeHashReader {
    let store: any JournalStore

    public func hashes(level: Int, start: UInt64, count: Int) throws -> [Digest32] {
        let found = level == 0 ? try store.leafHashes(start: start, count: count) : try store.treeHashes(level: level, start: start, count: count)
        guard found.count == count else { throw TreeError.missingHash(level: level, index: start + UInt64(found.count)) }
        return found
    }
}
