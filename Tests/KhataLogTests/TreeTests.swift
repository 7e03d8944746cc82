import KhataBytes
import KhataCore
import KhataLog
import KhataTestSupport
import Testing

func leafHashes(_ count: Int) -> [Digest32] { (0..<count).map { RFC6962.leafHash(Array("leaf \($0)".utf8)) } }

@Suite("Merkle tree")
struct TreeTests {
    /// The incremental edge gives the recursive definition's root at every size, across tile boundaries.
    @Test func edgeRootMatchesDefinition() {
        let leaves = leafHashes(70_000)
        var edge = TreeEdge()
        let checked: Set<Int> = Set([1, 2, 3, 255, 256, 257, 511, 512, 513, 1_000, 65_535, 65_536, 65_537, 70_000]).union(1...40)
        for (n, leaf) in leaves.enumerated() {
            edge.append(leaf)
            if checked.contains(n + 1) {
                #expect(edge.root == RFC6962.rootOfLeafHashes(leaves[..<(n + 1)]), "size \(n + 1)")
            }
        }
    }

    /// Completed hashes reported by the edge are the tile-level hashes a reader would serve.
    @Test func edgeReportsCompletedTileHashes() throws {
        let leaves = leafHashes(66_000)
        let reader = InMemoryTreeHashes(leaves: leaves)
        var edge = TreeEdge()
        var completed: [TreeEdge.Completed] = []
        for leaf in leaves { completed += edge.append(leaf) }
        #expect(completed.filter { $0.level == 1 }.count == 66_000 / 256)
        #expect(completed.filter { $0.level == 2 }.count == 1)
        for item in completed where item.index % 37 == 0 || item.level == 2 {
            #expect(try reader.hashes(level: item.level, start: item.index, count: 1) == [item.hash])
        }
        // Reloading the edge from stored hashes gives the same edge.
        #expect(try TreeEdge(size: edge.size, reader: reader) == edge)
    }

    /// Proofs made from stored hashes verify, and fail for the wrong leaf or root.
    @Test(arguments: [1, 2, 7, 8, 255, 256, 257, 1_000, 4_097])
    func proofsVerify(size: Int) throws {
        let leaves = leafHashes(size)
        let reader = InMemoryTreeHashes(leaves: leaves)
        let root = try MerkleTree.root(size: UInt64(size), reader: reader)
        #expect(root == RFC6962.rootOfLeafHashes(leaves[...]))
        for index in Set([0, size / 3, size / 2, size - 1]) {
            let proof = try MerkleTree.inclusionProof(index: UInt64(index), size: UInt64(size), reader: reader)
            try MerkleTree.verifyInclusion(leafHash: leaves[index], index: UInt64(index), size: UInt64(size), proof: proof, root: root)
            #expect(throws: TreeError.self) {
                try MerkleTree.verifyInclusion(leafHash: RFC6962.leafHash([0xFF]), index: UInt64(index), size: UInt64(size), proof: proof, root: root)
            }
        }
        for old in Set([1, size / 2, size - 1, size]) where old > 0 {
            let oldRoot = try MerkleTree.root(size: UInt64(old), reader: reader)
            let proof = try MerkleTree.consistencyProof(oldSize: UInt64(old), newSize: UInt64(size), reader: reader)
            try MerkleTree.verifyConsistency(oldSize: UInt64(old), newSize: UInt64(size), oldRoot: oldRoot, newRoot: root, proof: proof)
            if old < size {
                #expect(throws: TreeError.self) {
                    try MerkleTree.verifyConsistency(
                        oldSize: UInt64(old), newSize: UInt64(size), oldRoot: RFC6962.leafHash([0xFF]), newRoot: root, proof: proof)
                }
            }
        }
    }

    /// A missing stored hash is an error, not a wrong answer.
    @Test func missingHashIsAnError() {
        let reader = InMemoryTreeHashes(leaves: leafHashes(10))
        #expect(throws: TreeError.missingHash(level: 0, index: 10)) { try MerkleTree.root(size: 11, reader: reader) }
    }
}

@Suite("Tiles layout")
struct TilesTests {
    @Test func pathsFollowTheSpec() {
        #expect(Tiles.encodeIndex(1_234_067) == "x001/x234/067")
        #expect(Tiles.encodeIndex(48) == "048")
        #expect(Tiles.path(level: 0, index: 273, width: 112) == "tile/0/273.p/112")
        #expect(Tiles.path(level: nil, index: 1_234_067) == "tile/entries/x001/x234/067")
        for path in ["tile/0/273.p/112", "tile/entries/x001/x234/067", "tile/2/000.p/1", "tile/1/001"] {
            let parsed = Tiles.parse(path)
            #expect(parsed.map { Tiles.path(level: $0.level, index: $0.index, width: $0.width) } == path)
        }
        for bad in ["tile/0/1", "tile/0/x1/000", "tile/64/000", "tile/0/000.p/256", "tile/0/000.p/0", "tile/0/001/002", "tiles/0/000", "tile/00/000"]
        {
            #expect(Tiles.parse(bad) == nil, "\(bad)")
        }
    }

    /// The spec's examples: the partial tiles for sizes 70,000 and 256.
    @Test func partialTilesFollowTheSpec() {
        let partial = { (size: UInt64) in
            Tiles.tiles(forSize: size).filter { $0.width < 256 || $0.level > 0 }.map { Tiles.path(level: $0.level, index: $0.index, width: $0.width) }
        }
        #expect(partial(70_000) == ["tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"])
        #expect(partial(256) == ["tile/1/000.p/1"])
        #expect(Tiles.tiles(forSize: 70_000).filter { $0.level == 0 }.count == 274)
    }

    @Test func bundlesRoundTrip() throws {
        let entries = [[UInt8](), [1, 2, 3], Array(repeating: 9, count: 300)]
        #expect(try Tiles.entries(inBundle: Tiles.bundle(entries)) == entries)
        #expect(throws: MalformedInput.self) { try Tiles.entries(inBundle: [0, 5, 1]) }
    }
}
