import Crypto
import KhataBytes

/// The hashing of RFC 6962 §2.1 / RFC 9162 §2.1.1 with SHA-256.
public enum RFC6962 {
    /// MTH({}) = SHA-256(""), the root of the empty tree.
    public static let emptyRoot = Digest32(bytes: Array(SHA256.hash(data: [UInt8]())))!

    /// SHA-256(0x00 ‖ leaf).
    public static func leafHash(_ leaf: [UInt8]) -> Digest32 {
        var hasher = SHA256()
        hasher.update(data: [0])
        hasher.update(data: leaf)
        return Digest32(bytes: Array(hasher.finalize()))!
    }

    /// SHA-256(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: Digest32, _ right: Digest32) -> Digest32 {
        var hasher = SHA256()
        hasher.update(data: [1])
        hasher.update(data: left.bytes)
        hasher.update(data: right.bytes)
        return Digest32(bytes: Array(hasher.finalize()))!
    }

    /// The root of a perfect subtree whose bottom row is `hashes` (a power of two of them).
    /// Costs `hashes.count − 1` node hashes.
    public static func perfectRoot(_ hashes: ArraySlice<Digest32>) -> Digest32 {
        precondition(!hashes.isEmpty && hashes.count & (hashes.count - 1) == 0, "RFC6962.perfectRoot: \(hashes.count) hashes")
        var row = Array(hashes)
        while row.count > 1 {
            row = stride(from: 0, to: row.count, by: 2).map { nodeHash(row[$0], row[$0 + 1]) }
        }
        return row[0]
    }

    /// MTH of an arbitrary list of leaf hashes, by the RFC's recursive definition.
    /// O(n) hashes; the reference the incremental code is tested against.
    public static func rootOfLeafHashes(_ hashes: ArraySlice<Digest32>) -> Digest32 {
        switch hashes.count {
        case 0: return emptyRoot
        case 1: return hashes.first!
        default:
            let split = hashes.startIndex + largestPowerOfTwo(below: hashes.count)
            return nodeHash(rootOfLeafHashes(hashes[..<split]), rootOfLeafHashes(hashes[split...]))
        }
    }

    /// The largest power of two strictly less than `n` (n ≥ 2): RFC 6962's split point k.
    static func largestPowerOfTwo(below n: Int) -> Int {
        precondition(n >= 2, "RFC6962.largestPowerOfTwo: \(n)")
        return 1 << (Int.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }

    static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        precondition(n >= 2, "RFC6962.largestPowerOfTwo: \(n)")
        return 1 << UInt64(63 - (n - 1).leadingZeroBitCount)
    }
}
