import KhataBytes

/// What a witness remembers per log: the latest checkpoint it cosigned.
public struct WitnessRecord: Hashable, Sendable {
    public let size: UInt64
    public let root: Digest32
    public init(size: UInt64, root: Digest32) {
        self.size = size
        self.root = root
    }
}

/// Where a witness keeps its records. `replace` must be atomic with its check
/// of the old size: that is what stops two racing requests rolling a log back.
public protocol WitnessStore: AnyObject {
    func record(for origin: String) throws -> WitnessRecord?
    /// Stores `record` for `origin` only if the stored size is still `expectedSize`
    /// (0 meaning "none stored"); returns whether it did.
    func replace(origin: String, expectedSize: UInt64, with record: WitnessRecord, note: String) throws -> Bool
}

/// A log the witness vouches for: its origin and the keys that sign its checkpoints.
public struct WitnessedLog: Sendable {
    public let origin: String
    public let keys: [NoteVerifierKey]
    public init(origin: String, keys: [NoteVerifierKey]) {
        self.origin = origin
        self.keys = keys
    }
}

/// The c2sp.org/tlog-witness protocol's `add-checkpoint` logic, without HTTP:
/// parse the request, check it, persist atomically, cosign.
public final class TlogWitness {
    public struct Response: Equatable, Sendable {
        public let status: Int
        public let contentType: String
        public let body: String

        public init(status: Int, contentType: String, body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    /// The largest request body accepted: a note and 63 proof lines.
    public static let maxRequestBytes = NoteLimits.maxNoteBytes + 64 * 46 + 32

    public let signer: NoteSigner
    private let logs: [String: WitnessedLog]
    private let store: any WitnessStore

    public init(signer: NoteSigner, logs: [WitnessedLog], store: any WitnessStore) {
        precondition(signer.verifierKey.type == .cosignatureV1, "TlogWitness: a witness signs cosignatures (type 0x04)")
        self.signer = signer
        self.logs = Dictionary(logs.map { ($0.origin, $0) }, uniquingKeysWith: { first, _ in first })
        self.store = store
    }

    /// Answers one `POST add-checkpoint` body, stamping a cosignature with `time`
    /// (POSIX seconds).
    public func addCheckpoint(_ body: [UInt8], time: UInt64) -> Response {
        guard body.count <= TlogWitness.maxRequestBytes else { return text(413, "the request exceeds \(TlogWitness.maxRequestBytes) bytes") }
        let request: Request
        do { request = try Request(parsing: body) } catch { return text(400, "\(error)") }
        guard let log = logs[request.checkpoint.origin] else { return text(404, "unknown log origin \(request.checkpoint.origin)") }
        do {
            guard try request.note.verify(log.keys).contains(where: { log.keys.contains($0.key) }) else { return text(403, "not signed by the log") }
        } catch {
            return text(403, "the checkpoint is not signed by a key of \(log.origin): \(error)")
        }
        let new = request.checkpoint
        guard request.oldSize <= new.size else { return text(400, "old size \(request.oldSize) exceeds the checkpoint's size \(new.size)") }
        let current: WitnessRecord?
        do { current = try store.record(for: new.origin) } catch { return text(500, "the witness cannot read its state") }
        let currentSize = current?.size ?? 0
        guard request.oldSize == currentSize else { return Response(status: 409, contentType: "text/x.tlog.size", body: "\(currentSize)\n") }
        if let current {
            if current.size == new.size {
                guard current.root == new.root else { return text(409, "a different root was cosigned for size \(new.size): the log forked") }
            } else {
                do {
                    try MerkleTree.verifyConsistency(
                        oldSize: current.size, newSize: new.size, oldRoot: current.root, newRoot: new.root, proof: request.proof)
                } catch {
                    return text(422, "the consistency proof from \(current.size) to \(new.size) does not verify: \(error)")
                }
            }
        } else if !request.proof.isEmpty {
            return text(400, "a first checkpoint needs no consistency proof")
        }
        do {
            let stored = try store.replace(
                origin: new.origin, expectedSize: currentSize, with: WitnessRecord(size: new.size, root: new.root), note: request.note.formatted)
            guard stored else { return text(409, "another request for \(new.origin) was cosigned first; retry") }
        } catch {
            return text(500, "the witness cannot store its state")
        }
        return Response(status: 200, contentType: "text/plain; charset=utf-8", body: signer.sign(request.note.text, time: time).line)
    }

    private func text(_ status: Int, _ message: String) -> Response {
        Response(status: status, contentType: "text/plain; charset=utf-8", body: message + "\n")
    }

    /// An `add-checkpoint` request body: `old <size>`, proof lines, a blank line, the note.
    public struct Request: Sendable {
        public let oldSize: UInt64
        public let proof: [Digest32]
        public let note: SignedNote
        public let checkpoint: Checkpoint

        public init(oldSize: UInt64, proof: [Digest32], note: SignedNote) throws(NoteError) {
            self.oldSize = oldSize
            self.proof = proof
            self.note = note
            checkpoint = try Checkpoint(text: note.text)
        }

        public var body: String {
            "old \(oldSize)\n" + proof.map { Base64.encode($0.bytes) + "\n" }.joined() + "\n" + note.formatted
        }

        public init(parsing body: [UInt8]) throws(NoteError) {
            guard let blank = (0..<max(0, body.count - 1)).first(where: { body[$0] == 0x0a && body[$0 + 1] == 0x0a }) else {
                throw .malformed("the request has no blank line before the checkpoint")
            }
            let head = String(decoding: body[...blank], as: UTF8.self).split(separator: "\n")
            guard let first = head.first, first.hasPrefix("old "), let old = UInt64(first.dropFirst(4)), String(old) == first.dropFirst(4) else {
                throw .malformed("the request starts with `old <size>`")
            }
            guard head.count - 1 <= 63 else { throw .malformed("at most 63 proof lines") }
            let proof = try head.dropFirst().map { line throws(NoteError) in
                guard let hash = Base64.decode(line).flatMap({ Digest32(bytes: $0) }) else {
                    throw .malformed("a proof line is a base64 SHA-256 hash")
                }
                return hash
            }
            try self.init(oldSize: old, proof: proof, note: try SignedNote(parsing: String(decoding: body[(blank + 2)...], as: UTF8.self)))
        }
    }
}
