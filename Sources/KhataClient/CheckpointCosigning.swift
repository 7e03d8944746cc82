import Foundation
import KhataBytes
import KhataCore
import KhataLog

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A witness a ledger asks for cosignatures: where it listens and its verifier key.
public struct WitnessEndpoint: Sendable {
    public let url: String
    public let key: NoteVerifierKey
    public init(url: String, key: NoteVerifierKey) {
        self.url = url
        self.key = key
    }
}

/// Asks witnesses to cosign a ledger's checkpoint (the client side of
/// c2sp.org/tlog-witness).
public enum CheckpointCosigning {
    public struct Outcome: Sendable {
        /// The checkpoint note with every cosignature that verified.
        public let note: SignedNote
        /// The witnesses that cosigned, by name.
        public let cosigners: [String]
        /// Why the others did not, by name.
        public let failures: [String: String]
    }

    /// Asks every witness in turn. A witness that answers 409 with its last size
    /// is asked again with a consistency proof from that size (made by `proof`).
    /// Only cosignatures that verify with the witness's key are kept.
    public static func cosign(
        _ signed: SignedCheckpoint, witnesses: [WitnessEndpoint], timeout: TimeInterval = 5,
        proof: (UInt64) throws -> [Digest32]
    ) -> Outcome {
        var note = signed.note
        var cosigners: [String] = []
        var failures: [String: String] = [:]
        for witness in witnesses {
            do {
                let line = try ask(witness, signed: signed, timeout: timeout, proof: proof)
                note.signatures.removeAll { $0.name == line.name && $0.keyID == line.keyID }
                note.signatures.append(line)
                cosigners.append(witness.key.name)
            } catch {
                failures[witness.key.name] = "\(error)"
            }
        }
        return Outcome(note: note, cosigners: cosigners, failures: failures)
    }

    private static func ask(
        _ witness: WitnessEndpoint, signed: SignedCheckpoint, timeout: TimeInterval, proof: (UInt64) throws -> [Digest32]
    ) throws -> NoteSignature {
        var oldSize: UInt64 = 0
        for _ in 0..<2 {
            let request = try TlogWitness.Request(oldSize: oldSize, proof: oldSize == 0 ? [] : try proof(oldSize), note: signed.note)
            let (status, contentType, body) = try post(url: witness.url, body: Array(request.body.utf8), timeout: timeout)
            switch status {
            case 200:
                return try cosignature(in: body, from: witness.key, text: signed.note.text)
            case 409 where contentType.hasPrefix("text/x.tlog.size"):
                guard let size = UInt64(String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    throw WitnessClientError("answered 409 without a size")
                }
                guard size <= signed.checkpoint.size else {
                    throw WitnessClientError(
                        "has cosigned \(size) entries, more than this checkpoint's \(signed.checkpoint.size): the log was rolled back or forked")
                }
                oldSize = size
            default:
                throw WitnessClientError(
                    "answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
        throw WitnessClientError("kept answering 409")
    }

    /// The witness's cosignature among the returned lines, checked with its key.
    static func cosignature(in body: [UInt8], from key: NoteVerifierKey, text: String) throws -> NoteSignature {
        let lines = String(decoding: body, as: UTF8.self).split(separator: "\n")
        for line in lines {
            guard let signature = try? NoteSignature(line: line), signature.name == key.name, signature.keyID == key.keyID else { continue }
            let candidate = SignedNote(text: text, signatures: [signature])
            if (try? candidate.verify([key])) != nil { return signature }
            throw WitnessClientError("returned a cosignature that does not verify with its key")
        }
        throw WitnessClientError("returned no cosignature by its key")
    }

    /// POSTs an add-checkpoint request (blocking: the command line and the
    /// publisher's thread are synchronous).
    static func post(url: String, body: [UInt8], timeout: TimeInterval) throws -> (Int, String, [UInt8]) {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        do {
            let response = try BlockingHTTP.request(
                "POST", base + "/add-checkpoint", body: body, headers: ["Content-Type": "text/plain; charset=utf-8"], timeout: timeout)
            return (response.status, response.header("Content-Type") ?? "", response.body)
        } catch {
            throw WitnessClientError("\(error)")
        }
    }
}

public struct WitnessClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
