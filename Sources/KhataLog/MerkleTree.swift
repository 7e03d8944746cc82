import KhataBytes

/// RFC 9162 §2.1 Merkle tree computations over stored hashes: subtree hashes,
/// roots, and inclusion and consistency proofs (generation and verification).
///
/// Pure: every stored hash comes through a `TreeHashReader`. A perfect subtree
/// of 2^k leaves with k = 8l + j is read as 2^j hashes of tile level l and
/// combined, so any subtree hash costs at most 127 node hashes per perfect part.
public enum MerkleTree {
    /// MTH(D[start:end]): the hash of the leaves in `start..<end`, 0 < end − start.
    public static func hash(_ start: UInt64, _ end: UInt64, reader: some TreeHashReader) throws -> Digest32 {
        guard start < end else { throw TreeError.invalidRange("empty range \(start)..<\(end)") }
        let size = end - start
        if size & (size - 1) == 0 && start % size == 0 {
            let k = size.trailingZeroBitCount
            let level = k / 8
            let count = 1 << (k % 8)
            let first = start >> UInt64(8 * level)
            return RFC6962.perfectRoot(try reader.hashes(level: level, start: first, count: count)[...])
        }
        let split = start + RFC6962.largestPowerOfTwo(below: size)
        return RFC6962.nodeHash(try hash(start, split, reader: reader), try hash(split, end, reader: reader))
    }

    /// MTH of the tree of `size` leaves.
    public static func root(size: UInt64, reader: some TreeHashReader) throws -> Digest32 {
        size == 0 ? RFC6962.emptyRoot : try hash(0, size, reader: reader)
    }

    /// The audit path for leaf `index` in the tree of `size` leaves (RFC 9162
    /// §2.1.3.1), leaf's sibling first. At most ⌈log₂ size⌉ hashes.
    public static func inclusionProof(index: UInt64, size: UInt64, reader: some TreeHashReader) throws -> [Digest32] {
        guard index < size else { throw TreeError.invalidRange("leaf \(index) is not in a tree of \(size)") }
        return try path(index, 0, size, reader)
    }

    private static func path(_ index: UInt64, _ start: UInt64, _ end: UInt64, _ reader: some TreeHashReader) throws -> [Digest32] {
        guard end - start > 1 else { return [] }
        let split = start + RFC6962.largestPowerOfTwo(below: end - start)
        if index < split {
            return try path(index, start, split, reader) + [hash(split, end, reader: reader)]
        }
        return try path(index, split, end, reader) + [hash(start, split, reader: reader)]
    }

    /// The consistency proof between trees of `oldSize` and `newSize` leaves
    /// (RFC 9162 §2.1.4.1). Empty when the sizes are equal or `oldSize` is 0.
    public static func consistencyProof(oldSize: UInt64, newSize: UInt64, reader: some TreeHashReader) throws -> [Digest32] {
        guard oldSize <= newSize else { throw TreeError.invalidRange("old size \(oldSize) exceeds new size \(newSize)") }
        guard oldSize > 0 && oldSize < newSize else { return [] }
        return try subproof(oldSize, 0, newSize, true, reader)
    }

    private static func subproof(_ m: UInt64, _ start: UInt64, _ end: UInt64, _ complete: Bool, _ reader: some TreeHashReader) throws -> [Digest32] {
        let n = end - start
        if m == n {
            return complete ? [] : [try hash(start, end, reader: reader)]
        }
        let k = RFC6962.largestPowerOfTwo(below: n)
        if m <= k {
            return try subproof(m, start, start + k, complete, reader) + [hash(start + k, end, reader: reader)]
        }
        return try subproof(m - k, start + k, end, false, reader) + [hash(start, start + k, reader: reader)]
    }

    /// Checks an inclusion proof (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(
        leafHash: Digest32, index: UInt64, size: UInt64, proof: [Digest32], root: Digest32
    ) throws(TreeError) {
        guard index < size else { throw .invalidRange("leaf \(index) is not in a tree of \(size)") }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw .proofMismatch("the inclusion proof is longer than the path") }
            if fn & 1 == 1 || fn == sn {
                r = RFC6962.nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = RFC6962.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw .proofMismatch("the inclusion proof is shorter than the path") }
        guard r == root else { throw .proofMismatch("the inclusion proof leads to another root") }
    }

    /// Checks a consistency proof (RFC 9162 §2.1.4.2). A proof from size 0 is
    /// refused: it proves nothing.
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: Digest32, newRoot: Digest32, proof: [Digest32]
    ) throws(TreeError) {
        guard oldSize <= newSize else { throw .invalidRange("old size \(oldSize) exceeds new size \(newSize)") }
        if oldSize == newSize {
            guard proof.isEmpty else { throw .proofMismatch("equal sizes need an empty proof") }
            guard oldRoot == newRoot else { throw .proofMismatch("equal sizes but different roots") }
            return
        }
        guard oldSize > 0 else { throw .invalidRange("a consistency proof from an empty tree proves nothing") }
        guard !proof.isEmpty else { throw .proofMismatch("the consistency proof is empty") }
        var path = proof[...]
        if oldSize & (oldSize - 1) == 0 { path = [oldRoot] + path }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path.first!
        var sr = path.first!
        for c in path.dropFirst() {
            guard sn != 0 else { throw .proofMismatch("the consistency proof is too long") }
            if fn & 1 == 1 || fn == sn {
                fr = RFC6962.nodeHash(c, fr)
                sr = RFC6962.nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = RFC6962.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw .proofMismatch("the consistency proof is too short") }
        guard fr == oldRoot else { throw .proofMismatch("the consistency proof does not lead to the old root") }
        guard sr == newRoot else { throw .proofMismatch("the consistency proof does not lead to the new root") }
    }
}
