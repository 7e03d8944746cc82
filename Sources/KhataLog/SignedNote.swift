import Crypto
import KhataBytes
import KhataEd25519

/// Bounds on notes this code reads.
public enum NoteLimits {
    /// The longest note (text and signatures) accepted.
    public static let maxNoteBytes = 16_384
    /// The most signature lines accepted (the spec requires at least 16).
    public static let maxSignatures = 64
}

/// A C2SP signed note (c2sp.org/signed-note@v1.0.0): text, a blank line, and
/// signature lines `— <name> base64(key ID ‖ signature)`.
public struct SignedNote: Hashable, Sendable {
    /// The signed text, ending in a newline.
    public let text: String
    public var signatures: [NoteSignature]

    public init(text: String, signatures: [NoteSignature] = []) {
        precondition(text.hasSuffix("\n"), "SignedNote.init: the text must end in a newline")
        self.text = text
        self.signatures = signatures
    }

    /// The note as served: text, a blank line, one line per signature.
    public var formatted: String {
        text + "\n" + signatures.map(\.line).joined()
    }

    /// Parses a note, splitting text from signatures at the last blank line.
    public init(parsing note: String) throws(NoteError) {
        guard note.utf8.count <= NoteLimits.maxNoteBytes else { throw .malformed("the note exceeds \(NoteLimits.maxNoteBytes) bytes") }
        guard note.hasSuffix("\n") else { throw .malformed("the note does not end in a newline") }
        guard !note.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7f }) else {
            throw .malformed("the note contains control characters")
        }
        let bytes = Array(note.utf8)
        guard let split = (0..<(bytes.count - 1)).last(where: { bytes[$0] == 0x0a && bytes[$0 + 1] == 0x0a }) else {
            throw .malformed("the note has no blank line before its signatures")
        }
        let text = String(decoding: bytes[...split], as: UTF8.self)
        let signatureText = String(decoding: bytes[(split + 2)...], as: UTF8.self)
        let lines = signatureText.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard !lines.isEmpty else { throw .malformed("the note has no signatures") }
        guard lines.count <= NoteLimits.maxSignatures else { throw .malformed("the note has more than \(NoteLimits.maxSignatures) signatures") }
        self.text = text
        signatures = try lines.map { line throws(NoteError) in try NoteSignature(line: line) }
    }

    /// Verifies the note against `keys`: every signature whose name and key ID match
    /// a known key must verify; unknown signatures are ignored; at least one must
    /// verify. Returns the keys that verified, each with its cosignature time if any.
    public func verify(_ keys: [NoteVerifierKey]) throws(NoteError) -> [(key: NoteVerifierKey, time: UInt64?)] {
        var verified: [(NoteVerifierKey, UInt64?)] = []
        for signature in signatures {
            guard let key = keys.first(where: { $0.name == signature.name && $0.keyID == signature.keyID }) else { continue }
            guard let time = key.verify(signature, text: text) else {
                throw .badSignature("the signature by \(key.name) does not verify")
            }
            verified.append((key, time == UInt64.max ? nil : time))
        }
        guard !verified.isEmpty else { throw .noKnownSignature("no signature on the note is by a known key") }
        return verified
    }
}

/// One signature line of a note.
public struct NoteSignature: Hashable, Sendable {
    public let name: String
    public let keyID: UInt32
    /// The signature bytes after the key ID (64 for Ed25519; 72 for a cosignature).
    public let signature: [UInt8]

    public init(name: String, keyID: UInt32, signature: [UInt8]) {
        self.name = name
        self.keyID = keyID
        self.signature = signature
    }

    public init(line: some StringProtocol) throws(NoteError) {
        guard line.hasPrefix("— ") else { throw .malformed("a signature line starts with an em dash and a space") }
        let parts = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, NoteVerifierKey.isValidName(parts[0]) else { throw .malformed("a signature line is `— <name> <base64>`") }
        guard let bytes = Base64.decode(parts[1]), bytes.count > 4 else { throw .malformed("the signature of \(parts[0]) is not base64") }
        name = String(parts[0])
        keyID = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
        signature = Array(bytes[4...])
    }

    public var line: String {
        let id: [UInt8] = [UInt8(keyID >> 24), UInt8(keyID >> 16 & 0xff), UInt8(keyID >> 8 & 0xff), UInt8(keyID & 0xff)]
        return "— \(name) \(Base64.encode(id + signature))\n"
    }
}

/// A note verifier key: `<name>+<hex key ID>+base64(type ‖ public key)`.
/// Supports Ed25519 (type 0x01, logs) and timestamped Ed25519 cosignatures
/// (type 0x04, c2sp.org/tlog-cosignature).
public struct NoteVerifierKey: Hashable, Sendable, CustomStringConvertible {
    public enum KeyType: UInt8, Sendable {
        case ed25519 = 0x01
        case cosignatureV1 = 0x04
    }

    public let name: String
    public let type: KeyType
    public let publicKey: PublicKey
    public let keyID: UInt32

    public init(name: String, type: KeyType, publicKey: PublicKey) throws(NoteError) {
        guard NoteVerifierKey.isValidName(name) else { throw .malformed("a key name is non-empty, without spaces or '+'") }
        self.name = name
        self.type = type
        self.publicKey = publicKey
        keyID = NoteVerifierKey.keyID(name: name, type: type, publicKey: publicKey)
    }

    /// Parses `name+keyid+base64`, splitting at the first two `+` only (base64 may contain `+`).
    public init(vkey: String) throws(NoteError) {
        guard let first = vkey.firstIndex(of: "+") else { throw .malformed("a verifier key is name+keyid+base64") }
        let rest = vkey[vkey.index(after: first)...]
        guard let second = rest.firstIndex(of: "+") else { throw .malformed("a verifier key is name+keyid+base64") }
        let idText = rest[..<second]
        guard idText.count == 8, let id = UInt32(idText, radix: 16) else { throw .malformed("the key ID of a verifier key is 8 hex digits") }
        guard let bytes = Base64.decode(rest[rest.index(after: second)...]), bytes.count == 33,
            let type = KeyType(rawValue: bytes[0]), let key = PublicKey(bytes: bytes[1...])
        else { throw .malformed("a verifier key's base64 is a type byte (01 or 04) and a 32-byte Ed25519 key") }
        try self.init(name: String(vkey[..<first]), type: type, publicKey: key)
        guard keyID == id else { throw .malformed("the verifier key's ID \(idText) does not match its name and key") }
    }

    public var vkey: String {
        let hexID = String(keyID, radix: 16)
        return "\(name)+\(String(repeating: "0", count: 8 - hexID.count) + hexID)+\(Base64.encode([type.rawValue] + publicKey.bytes))"
    }

    public var description: String { vkey }

    /// SHA-256(name ‖ "\n" ‖ type ‖ key)[:4], big-endian.
    public static func keyID(name: String, type: KeyType, publicKey: PublicKey) -> UInt32 {
        let digest = Array(SHA256.hash(data: Array(name.utf8) + [0x0a, type.rawValue] + publicKey.bytes))
        return UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
    }

    static func isValidName(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && !name.contains("+") && !name.unicodeScalars.contains { $0.properties.isWhitespace }
    }

    /// Checks one signature; returns the cosignature time (or UInt64.max for a plain
    /// signature) if it verifies, nil otherwise.
    func verify(_ signature: NoteSignature, text: String) -> UInt64? {
        switch type {
        case .ed25519:
            return publicKey.isValidSignature(signature.signature, for: Array(text.utf8)) ? UInt64.max : nil
        case .cosignatureV1:
            guard signature.signature.count == 72 else { return nil }
            var time: UInt64 = 0
            for byte in signature.signature.prefix(8) { time = time << 8 | UInt64(byte) }
            guard time < 1 << 63 else { return nil }
            let message = NoteSigner.cosignedMessage(text: text, time: time)
            return publicKey.isValidSignature(Array(signature.signature.dropFirst(8)), for: message) ? time : nil
        }
    }
}

/// Signs notes as a log (type 0x01) or cosigns them as a witness (type 0x04).
public struct NoteSigner: Sendable {
    public let verifierKey: NoteVerifierKey
    private let key: SigningKey

    public init(name: String, key: SigningKey, type: NoteVerifierKey.KeyType) throws(NoteError) {
        verifierKey = try NoteVerifierKey(name: name, type: type, publicKey: key.publicKey)
        self.key = key
    }

    /// A signature line over `text`; a cosignature is stamped with `time` (POSIX seconds).
    public func sign(_ text: String, time: UInt64 = 0) -> NoteSignature {
        switch verifierKey.type {
        case .ed25519:
            return NoteSignature(name: verifierKey.name, keyID: verifierKey.keyID, signature: key.sign(Array(text.utf8)))
        case .cosignatureV1:
            var stamp = ByteWriter(capacity: 72)
            stamp.write(time)
            stamp.write(bytes: key.sign(NoteSigner.cosignedMessage(text: text, time: time)))
            return NoteSignature(name: verifierKey.name, keyID: verifierKey.keyID, signature: stamp.bytes)
        }
    }

    /// "cosignature/v1\ntime <T>\n" followed by the checkpoint text (tlog-cosignature).
    static func cosignedMessage(text: String, time: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(time)\n\(text)".utf8)
    }
}

/// Why a note, key or checkpoint was refused.
public enum NoteError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case badSignature(String)
    case noKnownSignature(String)

    public var description: String {
        switch self {
        case .malformed(let message), .badSignature(let message), .noKnownSignature(let message): message
        }
    }
}
