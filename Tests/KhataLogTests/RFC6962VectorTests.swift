import Foundation
import KhataBytes
import KhataCore
import KhataLog
import Testing

/// RFC 6962 test vectors from transparency-dev/merkle, copied into Vectors/rfc6962 (Vectors/ORIGIN.md).
let vectorRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/rfc6962")

func vectorFiles(_ kind: String) -> [URL] {
    let base = vectorRoot.appendingPathComponent(kind)
    guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
    return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
}

func hashes(_ values: [String]?) -> [Digest32]? {
    guard let values else { return [] }
    var result: [Digest32] = []
    for value in values {
        guard let bytes = Base64.decode(value), let hash = Digest32(bytes: bytes) else { return nil }
        result.append(hash)
    }
    return result
}

func digest(_ value: String?) -> Digest32? { value.flatMap(Base64.decode).flatMap { Digest32(bytes: $0) } }

struct InclusionVector: Decodable {
    let leafIdx: UInt64
    let treeSize: UInt64
    let root: String?
    let leafHash: String?
    let proof: [String]?
    let desc: String
    let wantErr: Bool
}

struct ConsistencyVector: Decodable {
    let size1: UInt64
    let size2: UInt64
    let root1: String?
    let root2: String?
    let proof: [String]?
    let desc: String
    let wantErr: Bool
}

@Suite("RFC 6962 test vectors")
struct RFC6962VectorTests {
    /// Every inclusion vector gets the expected verdict. A vector whose hashes are
    /// not 32 bytes cannot verify, which must be what it expects.
    @Test func inclusionVectors() throws {
        let files = vectorFiles("inclusion")
        #expect(files.count > 90, "expected the vectors at \(vectorRoot.path)")
        for file in files {
            let vector = try JSONDecoder().decode(InclusionVector.self, from: Data(contentsOf: file))
            var accepted = false
            if let root = digest(vector.root), let leaf = digest(vector.leafHash), let proof = hashes(vector.proof) {
                accepted =
                    (try? MerkleTree.verifyInclusion(leafHash: leaf, index: vector.leafIdx, size: vector.treeSize, proof: proof, root: root)) != nil
            }
            #expect(accepted == !vector.wantErr, "\(file.path.split(separator: "/").suffix(2).joined(separator: "/")): \(vector.desc)")
        }
    }

    @Test func consistencyVectors() throws {
        let files = vectorFiles("consistency")
        #expect(files.count > 90)
        for file in files {
            let vector = try JSONDecoder().decode(ConsistencyVector.self, from: Data(contentsOf: file))
            var accepted = false
            if let root1 = digest(vector.root1), let root2 = digest(vector.root2), let proof = hashes(vector.proof) {
                accepted =
                    (try? MerkleTree.verifyConsistency(oldSize: vector.size1, newSize: vector.size2, oldRoot: root1, newRoot: root2, proof: proof))
                    != nil
            }
            // One vector uses a 12-byte placeholder root: we insist on 32-byte hashes, so
            // we refuse it; it expects acceptance only because its sizes are equal and
            // its placeholder roots are equal, which no real checkpoint can have.
            let name = file.lastPathComponent
            if name == "sizes-are-equal-one-and-proof-is-empty.json" && digest(vector.root1) == nil {
                #expect(!accepted)
                continue
            }
            #expect(accepted == !vector.wantErr, "\(file.path.split(separator: "/").suffix(2).joined(separator: "/")): \(vector.desc)")
        }
    }

    /// The classic 8-leaf test tree has the root the vectors name.
    @Test func testTreeRoot() throws {
        let leaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
        let hashes = leaves.map { RFC6962.leafHash(Hex.decode($0)!) }
        #expect(RFC6962.rootOfLeafHashes(hashes[...]).hex == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
        #expect(RFC6962.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
