import KhataBytes

/// An offline inclusion proof in the draft c2sp.org/tlog-proof@v1 format:
///
/// ```
/// c2sp.org/tlog-proof@v1
/// index <N>
/// <base64 hash per line: the audit path, leaf's sibling first>
///
/// <the signed checkpoint, cosignatures included>
/// ```
public struct TlogProof: Hashable, Sendable {
    public static let header = "c2sp.org/tlog-proof@v1"

    public let index: UInt64
    public let path: [Digest32]
    /// The signed checkpoint note, verbatim.
    public let checkpoint: String

    public init(index: UInt64, path: [Digest32], checkpoint: String) {
        self.index = index
        self.path = path
        self.checkpoint = checkpoint
    }

    public var formatted: String {
        "\(TlogProof.header)\nindex \(index)\n" + path.map { Base64.encode($0.bytes) + "\n" }.joined() + "\n" + checkpoint
    }

    public init(parsing text: String) throws(NoteError) {
        let bytes = Array(text.utf8)
        guard let blank = (0..<max(0, bytes.count - 1)).first(where: { bytes[$0] == 0x0a && bytes[$0 + 1] == 0x0a }) else {
            throw .malformed("a tlog-proof has a blank line before its checkpoint")
        }
        let lines = String(decoding: bytes[..<blank], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == Substring(TlogProof.header) else { throw .malformed("a tlog-proof starts with \(TlogProof.header)") }
        var rest = lines.dropFirst()
        if rest.first?.hasPrefix("extra ") == true { rest = rest.dropFirst() }
        guard let indexLine = rest.popFirst(), indexLine.hasPrefix("index "), let index = UInt64(indexLine.dropFirst(6)) else {
            throw .malformed("a tlog-proof names its entry with `index <N>`")
        }
        guard rest.count <= 64 else { throw .malformed("a tlog-proof has at most 64 hashes") }
        self.index = index
        path = try rest.map { line throws(NoteError) in
            guard let hash = Base64.decode(line).flatMap({ Digest32(bytes: $0) }) else { throw .malformed("a proof line is a base64 SHA-256 hash") }
            return hash
        }
        checkpoint = String(decoding: bytes[(blank + 2)...], as: UTF8.self)
    }

    /// Verifies that `entry` is at `index` in the checkpoint, and the checkpoint's
    /// signatures (log key, and a quorum of witnesses if asked).
    public func verify(entry: [UInt8], logKey: NoteVerifierKey, witnesses: [NoteVerifierKey] = [], quorum: Int = 0) throws -> Checkpoint {
        let signed = try SignedCheckpoint(note: checkpoint, logKey: logKey, witnesses: witnesses, quorum: quorum)
        try MerkleTree.verifyInclusion(
            leafHash: RFC6962.leafHash(entry), index: index, size: signed.checkpoint.size, proof: path, root: signed.checkpoint.root)
        return signed.checkpoint
    }
}
