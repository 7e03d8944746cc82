import KhataBytes

/// The right edge of a growing RFC 6962 tree, in tile-level rows: enough to
/// append leaves and compute the root without reading storage.
///
/// `rows[l]` holds the hashes of tile level l that are complete but not yet part
/// of a complete tile level l+1 entry: at most 255 per level. Appending a leaf
/// costs one hash on average (255 node hashes every 256 leaves, and so on up);
/// the root costs at most a few hundred node hashes.
public struct TreeEdge: Sendable, Equatable {
    public private(set) var size: UInt64 = 0
    public private(set) var rows: [[Digest32]] = [[]]

    public init() {}

    /// The edge of a stored tree of `size` leaves, read through `reader`.
    public init(size: UInt64, reader: some TreeHashReader) throws {
        self.size = size
        rows = []
        var count = size
        var level = 0
        repeat {
            let partial = Int(count % UInt64(Tiles.width))
            let start = count - UInt64(partial)
            rows.append(partial == 0 ? [] : try reader.hashes(level: level, start: start, count: partial))
            count /= UInt64(Tiles.width)
            level += 1
        } while count > 0
    }

    /// A hash that became complete: stored at tile level `level`, position `index`.
    public struct Completed: Sendable, Equatable {
        public let level: Int
        public let index: UInt64
        public let hash: Digest32

        public init(level: Int, index: UInt64, hash: Digest32) {
            self.level = level
            self.index = index
            self.hash = hash
        }
    }

    /// Appends a leaf hash. Returns the hashes of tile levels ≥ 1 that it completed
    /// (a full tile below becomes one hash above), for storage.
    @discardableResult
    public mutating func append(_ leafHash: Digest32) -> [Completed] {
        var completed: [Completed] = []
        var carry = leafHash
        var level = 0
        var index = size
        while true {
            rows[level].append(carry)
            guard rows[level].count == Tiles.width else { break }
            carry = RFC6962.perfectRoot(rows[level][...])
            rows[level].removeAll(keepingCapacity: true)
            level += 1
            index /= UInt64(Tiles.width)
            if rows.count == level { rows.append([]) }
            completed.append(Completed(level: level, index: index, hash: carry))
        }
        size += 1
        return completed
    }

    /// MTH of the tree so far.
    public var root: Digest32 {
        guard size > 0 else { return RFC6962.emptyRoot }
        // Perfect subtrees from the right: in each row, split the partial hashes into
        // power-of-two runs (the binary digits of the row's count), largest first.
        var result: Digest32?
        for row in rows {
            var end = row.count
            var bit = 1
            while end > 0 {
                if row.count & bit != 0 {
                    let subtree = RFC6962.perfectRoot(row[(end - bit)..<end])
                    result = result.map { RFC6962.nodeHash(subtree, $0) } ?? subtree
                    end -= bit
                }
                bit <<= 1
            }
        }
        return result!
    }
}
