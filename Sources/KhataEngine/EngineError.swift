import KhataCore
import KhataStorage

/// Why the engine could not open a ledger or take a batch.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The stored log does not replay to a consistent state.
        public static let corrupt = Code(rawValue: "corrupt")
        /// The genesis is invalid or does not commit.
        public static let invalidGenesis = Code(rawValue: "invalid_genesis")
        /// A batch larger than `Limits.maxBatchTransactions`.
        public static let batchTooLarge = Code(rawValue: "batch_too_large")
        /// An earlier write failed; memory may be ahead of disk, so the ledger
        /// refuses everything until it is reopened (which replays from disk).
        public static let halted = Code(rawValue: "halted")
        /// The journal write of this very batch failed: whether it reached the
        /// disk is unknown until the ledger is reopened. Only a retry with the
        /// same ids (which answers with the original receipt if it did) is safe.
        public static let outcomeUnknown = Code(rawValue: "outcome_unknown")
        public static let storage = Code(rawValue: "storage")
        /// The journal holds fewer entries than a checkpoint the ledger published
        /// (restored from an older backup): it must not sequence until `khata
        /// restore` brings the missing entries back from a copy of the public log.
        public static let behindPublished = Code(rawValue: "behind_published")
        /// A file that is only ever created, never replaced, is already there.
        public static let exists = Code(rawValue: "exists")
        /// The journal's prefix is still being checked after a fast open
        /// (`JournalCheck.deferringPrefix`): no checkpoint is signed until it has passed.
        public static let prefixUnchecked = Code(rawValue: "prefix_unchecked")
        /// A checkpoint signer or cosigned note that is not this ledger's.
        public static let wrongKey = Code(rawValue: "wrong_key")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A storage failure: `corrupt` for a damaged or foreign store, `storage` otherwise.
    public init(_ error: StorageError) {
        self.init(error.code == .corrupt || error.code == .foreign ? .corrupt : .storage, error.message)
    }

    public var description: String { message }
}
