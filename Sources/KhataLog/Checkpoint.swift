import KhataBytes

/// A C2SP tlog-checkpoint body (c2sp.org/tlog-checkpoint@v1.0.0): origin, tree
/// size in decimal, root hash in base64, each on its own line.
public struct Checkpoint: Hashable, Sendable, CustomStringConvertible {
    public let origin: String
    public let size: UInt64
    public let root: Digest32

    public init(origin: String, size: UInt64, root: Digest32) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// The note text: three lines, each ending in a newline.
    public var text: String { "\(origin)\n\(size)\n\(Base64.encode(root.bytes))\n" }

    public var description: String { "\(origin) @ \(size) \(root.hex.prefix(16))…" }

    /// Parses a checkpoint's text. Extension lines are refused: Khata neither writes
    /// nor trusts them (monitors cannot audit them).
    public init(text: String) throws(NoteError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 4, lines[3].isEmpty else { throw .malformed("a checkpoint is exactly three lines: origin, size, root") }
        guard !lines[0].isEmpty else { throw .malformed("the checkpoint's origin is empty") }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else {
            throw .malformed("the checkpoint's size \"\(lines[1].prefix(24))\" is not a decimal number without leading zeros")
        }
        guard let bytes = Base64.decode(lines[2]), let root = Digest32(bytes: bytes) else {
            throw .malformed("the checkpoint's root is not a base64 SHA-256 hash")
        }
        self.init(origin: String(lines[0]), size: size, root: root)
    }
}

/// A checkpoint with its signatures, verified against the log's key and,
/// optionally, a quorum of witness keys.
public struct SignedCheckpoint: Hashable, Sendable {
    public let checkpoint: Checkpoint
    public let note: SignedNote

    /// Parses and verifies a served checkpoint note. Requires a valid signature by
    /// `logKey` and valid cosignatures from at least `quorum` of `witnesses`.
    public init(note text: String, logKey: NoteVerifierKey, witnesses: [NoteVerifierKey] = [], quorum: Int = 0) throws(NoteError) {
        let note = try SignedNote(parsing: text)
        let checkpoint = try Checkpoint(text: note.text)
        guard checkpoint.origin == logKey.name else {
            throw .malformed("the checkpoint is for \(checkpoint.origin), the key for \(logKey.name)")
        }
        let verified = try note.verify([logKey] + witnesses)
        guard verified.contains(where: { $0.key == logKey }) else { throw .noKnownSignature("the checkpoint is not signed by \(logKey.name)") }
        let cosigners = Set(verified.filter { $0.key != logKey }.map(\.key))
        guard cosigners.count >= quorum else {
            throw .noKnownSignature("the checkpoint has \(cosigners.count) of the \(quorum) witness cosignatures required")
        }
        self.checkpoint = checkpoint
        self.note = note
    }

    public init(checkpoint: Checkpoint, note: SignedNote) {
        self.checkpoint = checkpoint
        self.note = note
    }
}
