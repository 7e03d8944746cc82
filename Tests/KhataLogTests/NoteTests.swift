import Foundation
import KhataCore
import KhataLog
import KhataTestSupport
import Testing

let c2spDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/c2sp")

@Suite("Signed notes")
struct NoteTests {
    /// The signed-note specification's own example key and note.
    @Test func specificationExampleVerifies() throws {
        let vkey = try String(contentsOf: c2spDirectory.appendingPathComponent("signed-note-example.vkey"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let text = try String(contentsOf: c2spDirectory.appendingPathComponent("signed-note-example.note"), encoding: .utf8)
        let key = try NoteVerifierKey(vkey: vkey)
        #expect(key.name == "example.com/foo" && key.keyID == 0x530d_903a && key.vkey == vkey)
        let note = try SignedNote(parsing: text)
        #expect(note.text == "This is an example message.\n")
        #expect(try note.verify([key]).count == 1)
        #expect(note.formatted == text)
        // One changed character of the text and the note no longer verifies.
        let altered = try SignedNote(parsing: text.replacingOccurrences(of: "example message", with: "example massage"))
        #expect(throws: NoteError.self) { try altered.verify([key]) }
    }

    /// The cosignature example from tlog-cosignature decodes to its key ID and time.
    @Test func cosignatureLineDecodes() throws {
        let line = "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
        let signature = try NoteSignature(line: line)
        #expect(signature.keyID == 0x8d66_cf3f)
        #expect(signature.signature.count == 72)
        #expect(signature.signature.prefix(8) == [0, 0, 0, 0, 0x64, 0x18, 0x50, 0xcb])
        #expect(signature.line == line + "\n")
    }

    /// A checkpoint signed by the log and cosigned by witnesses verifies with a quorum,
    /// and fails when the quorum is not met or a signature is bad.
    @Test func checkpointWithWitnesses() throws {
        let log = try NoteSigner(name: "khata.test/ledger", key: testKey(100), type: .ed25519)
        let witnesses = try (1...3).map { try NoteSigner(name: "witness.test/w\($0)", key: testKey(UInt8(110 + $0)), type: .cosignatureV1) }
        let checkpoint = Checkpoint(origin: "khata.test/ledger", size: 42, root: RFC6962.leafHash([1]))
        var note = SignedNote(text: checkpoint.text, signatures: [log.sign(checkpoint.text)])
        note.signatures += witnesses.prefix(2).map { $0.sign(checkpoint.text, time: 1_767_225_600) }
        let keys = witnesses.map(\.verifierKey)
        let signed = try SignedCheckpoint(note: note.formatted, logKey: log.verifierKey, witnesses: keys, quorum: 2)
        #expect(signed.checkpoint == checkpoint)
        #expect(throws: NoteError.self) { try SignedCheckpoint(note: note.formatted, logKey: log.verifierKey, witnesses: keys, quorum: 3) }
        // The vkey text round-trips, and a cosignature's time is recovered.
        #expect(try NoteVerifierKey(vkey: keys[0].vkey) == keys[0])
        #expect(try note.verify([keys[1]]).first?.time == 1_767_225_600)
        // A tampered cosignature makes the whole note fail.
        var forged = note
        let last = forged.signatures.removeLast()
        forged.signatures.append(
            NoteSignature(name: last.name, keyID: last.keyID, signature: last.signature.prefix(8) + Array(repeating: 7, count: 64)))
        #expect(throws: NoteError.self) { try SignedCheckpoint(note: forged.formatted, logKey: log.verifierKey, witnesses: keys, quorum: 1) }
    }

    @Test func malformedCheckpointsAreRefused() {
        for text in [
            "o\n01\nAAAA\n", "o\n1\n", "o\n1\nnotbase64\n", "\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
            "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n",
        ] {
            #expect(throws: NoteError.self, "\(text)") { try Checkpoint(text: text) }
        }
        for note in ["no blank line\n— a AAAAAAA=\n", "text\n\n", "text\n\n— a\n", "text\n\n— a b c\n", "te\u{7}xt\n\n— a AAAAAAA=\n"] {
            #expect(throws: NoteError.self, "\(note)") { try SignedNote(parsing: note) }
        }
    }

    @Test func base64IsStrict() {
        for (text, bytes) in [("", []), ("AA==", [0]), ("AAE=", [0, 1]), ("AAEC", [0, 1, 2]), ("/+8=", [0xff, 0xef] as [UInt8])] {
            #expect(Base64.decode(text) == bytes)
            #expect(Base64.encode(bytes) == text)
        }
        for bad in ["A", "AB=", "AB==A", "A===", "AB!=", "AB=C", "AAB="] { #expect(Base64.decode(bad) == nil, "\(bad)") }
    }

    @Test func tlogProofRoundTrips() throws {
        let proof = TlogProof(index: 5, path: [RFC6962.leafHash([1]), RFC6962.leafHash([2])], checkpoint: "o\n1\nx\n\n— o AAAAAAA=\n")
        #expect(try TlogProof(parsing: proof.formatted) == proof)
    }
}
