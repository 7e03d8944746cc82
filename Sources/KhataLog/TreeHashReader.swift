import KhataBytes

/// The one way tree math reads stored hashes (in the spirit of Go's
/// `tlog.HashReader`), so that any storage can serve proofs.
///
/// Hashes are addressed as in C2SP tlog-tiles: at tile level `level`, position
/// `index` holds MTH of the 256^level leaves starting at `index × 256^level`.
/// Level 0 is the leaf hashes.
public protocol TreeHashReader {
    /// `count` consecutive hashes of tile level `level` from position `start`.
    /// Throws if any is not stored (not yet complete, or missing).
    func hashes(level: Int, start: UInt64, count: Int) throws -> [Digest32]
}

/// A reader over leaf hashes held in memory; for tests and small trees.
public struct InMemoryTreeHashes: TreeHashReader, Sendable {
    public private(set) var leaves: [Digest32]
    public init(leaves: [Digest32]) { self.leaves = leaves }

    public func hashes(level: Int, start: UInt64, count: Int) throws -> [Digest32] {
        let width = UInt64(1) << UInt64(8 * level)
        return try (0..<UInt64(count)).map { offset in
            let first = (start + offset) * width
            guard first + width <= UInt64(leaves.count) else { throw TreeError.missingHash(level: level, index: start + offset) }
            return RFC6962.rootOfLeafHashes(leaves[Int(first)..<Int(first + width)])
        }
    }
}

/// Why a tree computation or proof check failed.
public enum TreeError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingHash(level: Int, index: UInt64)
    case invalidRange(String)
    case proofMismatch(String)

    public var description: String {
        switch self {
        case .missingHash(let level, let index): "the tree hash at tile level \(level), position \(index) is not stored"
        case .invalidRange(let message): message
        case .proofMismatch(let message): message
        }
    }
}
