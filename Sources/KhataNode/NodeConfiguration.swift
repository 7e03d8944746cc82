import Foundation
import KhataAPI
import KhataCore
import KhataEngine
import KhataLog
import KhataWitness

/// A ledger directory's configuration, `DIR/khata.json`:
///
/// ```json
/// {
///   "ledger_key": "keys/ledger.key",
///   "witnesses": [{"url": "http://127.0.0.1:7380", "vkey": "witness.local/w1+1a2b3c4d+BA…"}],
///   "witness_quorum": 1,
///   "host": "127.0.0.1", "port": 7370,
///   "checkpoint_interval_ms": 500, "queue_capacity": 65536, "max_body_bytes": 16777216,
///   "liabilities_interval_s": 3600, "commit_spacing_us": 1000
/// }
/// ```
/// `ledger_key` (relative to the directory, or absolute) lets the node and the
/// commands sign checkpoints; without it nothing is signed. `witnesses` are asked
/// to cosign each new checkpoint; `witness_quorum` of them must (default: all).
/// The rest configures `khata node`. Environment variables override the file:
/// `KHATA_HOST`, `KHATA_PORT`, `KHATA_LEDGER_KEY`, `KHATA_CHECKPOINT_INTERVAL_MS`,
/// `KHATA_QUEUE_CAPACITY`, `KHATA_MAX_BODY_BYTES`, `KHATA_LIABILITIES_INTERVAL_S`,
/// `KHATA_SNAPSHOT_INTERVAL`, `KHATA_COMMIT_SPACING_US`. `snapshot_interval` is how many entries may pass
/// between state snapshots (default 100,000): more means rarer snapshots and a
/// longer replay at start.
/// `liabilities_interval_s` is how often the node commits its liabilities tree
/// (default 3600; 0: only at start and on request).
/// `commit_spacing_us` is the least time between the starts of two group commits
/// under load (default 1000; 0: none): after a group of more than one
/// transaction the sequencer waits out the rest of it, so each commit takes more
/// transactions and the node spends less CPU per transaction, at the cost of at
/// most that much latency; after a group of one it commits the next at once.
public struct NodeConfiguration: Codable, Sendable {
    public struct Witness: Codable, Sendable {
        public var url: String
        public var vkey: String
        public init(url: String, vkey: String) {
            self.url = url
            self.vkey = vkey
        }
    }

    public var ledgerKey: String?
    public var witnesses: [Witness]?
    public var witnessQuorum: Int?
    public var host: String?
    public var port: Int?
    public var checkpointIntervalMilliseconds: Int?
    public var queueCapacity: Int?
    public var maxBodyBytes: Int?
    public var liabilitiesIntervalSeconds: Int?
    public var snapshotInterval: Int?
    public var commitSpacingMicroseconds: Int?

    enum CodingKeys: String, CodingKey {
        case ledgerKey = "ledger_key"
        case witnesses
        case witnessQuorum = "witness_quorum"
        case host, port
        case checkpointIntervalMilliseconds = "checkpoint_interval_ms"
        case queueCapacity = "queue_capacity"
        case maxBodyBytes = "max_body_bytes"
        case liabilitiesIntervalSeconds = "liabilities_interval_s"
        case snapshotInterval = "snapshot_interval"
        case commitSpacingMicroseconds = "commit_spacing_us"
    }

    public init(ledgerKey: String? = nil, witnesses: [Witness]? = nil, witnessQuorum: Int? = nil) {
        self.ledgerKey = ledgerKey
        self.witnesses = witnesses
        self.witnessQuorum = witnessQuorum
    }

    public static func path(in directory: String) -> String { "\(directory)/khata.json" }

    /// The directory's configuration, with environment variables applied on top.
    public static func load(from directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> NodeConfiguration {
        var configuration = NodeConfiguration()
        if let data = FileManager.default.contents(atPath: path(in: directory)) {
            do { configuration = try JSONDecoder().decode(NodeConfiguration.self, from: data) } catch {
                throw ConfigurationError("\(path(in: directory)) is not a valid configuration: \(describe(error))")
            }
        }
        func integer(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text), value >= 0 else { throw ConfigurationError("\(name)=\(text) is not a non-negative integer") }
            return value
        }
        if let host = environment["KHATA_HOST"] { configuration.host = host }
        if let key = environment["KHATA_LEDGER_KEY"] { configuration.ledgerKey = key }
        configuration.port = try integer("KHATA_PORT") ?? configuration.port
        configuration.checkpointIntervalMilliseconds = try integer("KHATA_CHECKPOINT_INTERVAL_MS") ?? configuration.checkpointIntervalMilliseconds
        configuration.queueCapacity = try integer("KHATA_QUEUE_CAPACITY") ?? configuration.queueCapacity
        configuration.maxBodyBytes = try integer("KHATA_MAX_BODY_BYTES") ?? configuration.maxBodyBytes
        configuration.liabilitiesIntervalSeconds = try integer("KHATA_LIABILITIES_INTERVAL_S") ?? configuration.liabilitiesIntervalSeconds
        configuration.snapshotInterval = try integer("KHATA_SNAPSHOT_INTERVAL") ?? configuration.snapshotInterval
        configuration.commitSpacingMicroseconds = try integer("KHATA_COMMIT_SPACING_US") ?? configuration.commitSpacingMicroseconds
        if let spacing = configuration.commitSpacingMicroseconds, spacing > 100_000 {
            throw ConfigurationError("commit_spacing_us is at most 100000 (0.1 s), got \(spacing)")
        }
        return configuration
    }

    public func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try (encoder.encode(self) + Data("\n".utf8)).write(to: URL(fileURLWithPath: NodeConfiguration.path(in: directory)))
    }

    /// The checkpoint signer, if a ledger key is configured; it must be the key the genesis named.
    public func checkpointSigner(directory: String, ledger: Ledger) throws -> NoteSigner? {
        guard let key = try ledgerSigningKey(directory: directory, ledger: ledger) else { return nil }
        return try NoteSigner(name: ledger.origin, key: key, type: .ed25519)
    }

    /// The ledger's signing key, if configured; it must be the key the genesis named.
    public func ledgerSigningKey(directory: String, ledger: Ledger) throws -> SigningKey? {
        guard let ledgerKey else { return nil }
        let path = ledgerKey.hasPrefix("/") ? ledgerKey : "\(directory)/\(ledgerKey)"
        let key = try KeyFile.read(path).signingKey(path: path)
        guard key.publicKey == ledger.state.ledgerKey else {
            throw ConfigurationError("\(path) is not this ledger's key: the genesis names \(ledger.state.ledgerKey)")
        }
        return key
    }

    public func witnessKeys() throws -> [NoteVerifierKey] {
        try (witnesses ?? []).map { witness in
            do { return try NoteVerifierKey(vkey: witness.vkey) } catch { throw ConfigurationError("witness \(witness.url): \(error)") }
        }
    }

    /// The witnesses as endpoints for `CheckpointCosigning`.
    public func witnessEndpoints() throws -> [WitnessEndpoint] {
        zip(witnesses ?? [], try witnessKeys()).map { WitnessEndpoint(url: $0.url, key: $1) }
    }
}

/// The ledger's note verifier key in C2SP form.
public func ledgerVerifierKey(origin: String, key: PublicKey) throws -> NoteVerifierKey {
    do { return try NoteVerifierKey(name: origin, type: .ed25519, publicKey: key) } catch {
        throw ConfigurationError("the origin \(origin) cannot name a note key: \(error)")
    }
}
