import Foundation
import KhataCore
import KhataEngine
import KhataLog

/// A ledger directory's configuration, `DIR/khata.json`:
///
/// ```json
/// {
///   "ledger_key": "keys/ledger.key",
///   "witnesses": [{"url": "http://127.0.0.1:7380", "vkey": "witness.local/w1+1a2b3c4d+BA…"}],
///   "witness_quorum": 1
/// }
/// ```
/// `ledger_key` (relative to the directory, or absolute) lets commands sign
/// checkpoints; without it nothing is signed. `witnesses` are asked to cosign
/// each new checkpoint; `witness_quorum` of them must (default: all of them).
struct NodeConfiguration: Codable {
    struct Witness: Codable {
        var url: String
        var vkey: String
    }

    var ledgerKey: String?
    var witnesses: [Witness]?
    var witnessQuorum: Int?

    enum CodingKeys: String, CodingKey {
        case ledgerKey = "ledger_key"
        case witnesses
        case witnessQuorum = "witness_quorum"
    }

    static func path(in directory: String) -> String { "\(directory)/khata.json" }

    static func load(from directory: String) throws -> NodeConfiguration {
        guard let data = FileManager.default.contents(atPath: path(in: directory)) else { return NodeConfiguration() }
        do { return try JSONDecoder().decode(NodeConfiguration.self, from: data) } catch {
            throw CommandFailure("\(path(in: directory)) is not a valid configuration: \(describe(error))")
        }
    }

    func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try (encoder.encode(self) + Data("\n".utf8)).write(to: URL(fileURLWithPath: NodeConfiguration.path(in: directory)))
    }

    /// The checkpoint signer, if a ledger key is configured; it must be the key the genesis named.
    func checkpointSigner(directory: String, ledger: Ledger) throws -> NoteSigner? {
        guard let ledgerKey else { return nil }
        let path = ledgerKey.hasPrefix("/") ? ledgerKey : "\(directory)/\(ledgerKey)"
        let key = try KeyFile.read(path).signingKey(path: path)
        guard key.publicKey == ledger.state.ledgerKey else {
            throw CommandFailure("\(path) is not this ledger's key: the genesis names \(ledger.state.ledgerKey)")
        }
        return try NoteSigner(name: ledger.origin, key: key, type: .ed25519)
    }

    func witnessKeys() throws -> [NoteVerifierKey] {
        try (witnesses ?? []).map { witness in
            do { return try NoteVerifierKey(vkey: witness.vkey) } catch { throw CommandFailure("witness \(witness.url): \(error)") }
        }
    }
}

/// The ledger's note verifier key in C2SP form.
func ledgerVerifierKey(_ ledger: Ledger) throws -> NoteVerifierKey {
    do { return try NoteVerifierKey(name: ledger.origin, type: .ed25519, publicKey: ledger.state.ledgerKey) } catch {
        throw CommandFailure("the origin \(ledger.origin) cannot name a note key: \(error)")
    }
}
