import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEd25519
import KhataEngine
import KhataFiles
import KhataLog

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
/// The rest configures `khata node`; every integer has a range
/// (`integerSettings`) and an environment variable that overrides the file
/// (`KHATA_` and the key in capitals; also `KHATA_HOST`, `KHATA_LEDGER_KEY`).
/// `snapshot_interval` is how many entries may pass between state snapshots
/// (default 100,000): more means rarer snapshots and a longer replay at start.
/// `liabilities_interval_s` is how often the node commits its liabilities tree
/// (default 3600; 0: only at start).
/// `commit_spacing_us` is the least time between the starts of two group commits
/// under load (default 1000; 0: none): after a group of more than one
/// transaction the sequencer waits out the rest of it, so each commit takes more
/// transactions and the node spends less CPU per transaction, at the cost of at
/// most that much latency; after a group of one it commits the next at once.
/// The limits a server on the internet needs (`ClientLimits`, docs/OPERATIONS.md):
/// `max_connections` (4096), `max_connections_per_client` (128), `idle_timeout_ms`
/// (30000), `body_timeout_ms` (30000), `buffered_body_bytes` (64 MiB across all requests),
/// `client_requests_per_s` and `client_signatures_per_s` (20000 each, per address),
/// `client_account_operations_per_s` (20 accounts opened, rekeyed or closed, ten times that at once),
/// `key_transactions_per_s` (20000 per signer key),
/// `key_rejections_per_s` (100 logged rejections per signer key, ten times that at once).
/// `http_metrics` (0 or 1, default 0): 1 adds the HTTP server's own metrics
/// (Hummingbird's `MetricsMiddleware`: requests, durations and statuses by route)
/// to `/metrics`. Off by default because it costs the write path: it wraps each
/// response body to time it, which under `khata bench load` (64 clients, this
/// 2-core machine, 2026-12-03) took 3,730 and 4,492 transactions/s at 273 and
/// 249 µs of node CPU each, against 5,585 and 5,128 at 199 and 220 µs without.
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
    public var maxConnections: Int?
    public var maxConnectionsPerClient: Int?
    public var idleTimeoutMilliseconds: Int?
    public var bodyTimeoutMilliseconds: Int?
    public var bufferedBodyBytes: Int?
    public var clientRequestsPerSecond: Int?
    public var clientSignaturesPerSecond: Int?
    public var clientAccountOperationsPerSecond: Int?
    public var keyTransactionsPerSecond: Int?
    public var keyRejectionsPerSecond: Int?
    public var httpMetrics: Int?

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
        case maxConnections = "max_connections"
        case maxConnectionsPerClient = "max_connections_per_client"
        case idleTimeoutMilliseconds = "idle_timeout_ms"
        case bodyTimeoutMilliseconds = "body_timeout_ms"
        case bufferedBodyBytes = "buffered_body_bytes"
        case clientRequestsPerSecond = "client_requests_per_s"
        case clientSignaturesPerSecond = "client_signatures_per_s"
        case clientAccountOperationsPerSecond = "client_account_operations_per_s"
        case keyTransactionsPerSecond = "key_transactions_per_s"
        case keyRejectionsPerSecond = "key_rejections_per_s"
        case httpMetrics = "http_metrics"
    }

    /// Every integer setting: its key in `khata.json`, its environment
    /// variable, where it is kept, and the values it may take. A value outside
    /// its range is refused at start with a message that names the range.
    static var integerSettings: [(key: String, variable: String, path: WritableKeyPath<NodeConfiguration, Int?>, range: ClosedRange<Int>)] {
        [
            ("port", "KHATA_PORT", \.port, 0...65_535),
            ("witness_quorum", "KHATA_WITNESS_QUORUM", \.witnessQuorum, 0...NoteLimits.maxSignatures - 1),
            ("checkpoint_interval_ms", "KHATA_CHECKPOINT_INTERVAL_MS", \.checkpointIntervalMilliseconds, 10...3_600_000),
            ("queue_capacity", "KHATA_QUEUE_CAPACITY", \.queueCapacity, 1...(1 << 24)),
            ("max_body_bytes", "KHATA_MAX_BODY_BYTES", \.maxBodyBytes, 1_024...(256 << 20)),
            ("liabilities_interval_s", "KHATA_LIABILITIES_INTERVAL_S", \.liabilitiesIntervalSeconds, 0...(366 * 86_400)),
            ("snapshot_interval", "KHATA_SNAPSHOT_INTERVAL", \.snapshotInterval, 1...(1 << 32)),
            ("commit_spacing_us", "KHATA_COMMIT_SPACING_US", \.commitSpacingMicroseconds, 0...100_000),
            ("max_connections", "KHATA_MAX_CONNECTIONS", \.maxConnections, 1...1_000_000),
            ("max_connections_per_client", "KHATA_MAX_CONNECTIONS_PER_CLIENT", \.maxConnectionsPerClient, 1...1_000_000),
            ("idle_timeout_ms", "KHATA_IDLE_TIMEOUT_MS", \.idleTimeoutMilliseconds, 50...3_600_000),
            ("body_timeout_ms", "KHATA_BODY_TIMEOUT_MS", \.bodyTimeoutMilliseconds, 50...3_600_000),
            ("buffered_body_bytes", "KHATA_BUFFERED_BODY_BYTES", \.bufferedBodyBytes, 1_024...(16 << 30)),
            ("client_requests_per_s", "KHATA_CLIENT_REQUESTS_PER_S", \.clientRequestsPerSecond, 1...100_000_000),
            ("client_signatures_per_s", "KHATA_CLIENT_SIGNATURES_PER_S", \.clientSignaturesPerSecond, 1...100_000_000),
            ("client_account_operations_per_s", "KHATA_CLIENT_ACCOUNT_OPERATIONS_PER_S", \.clientAccountOperationsPerSecond, 1...100_000_000),
            ("key_transactions_per_s", "KHATA_KEY_TRANSACTIONS_PER_S", \.keyTransactionsPerSecond, 1...100_000_000),
            ("key_rejections_per_s", "KHATA_KEY_REJECTIONS_PER_S", \.keyRejectionsPerSecond, 1...100_000_000),
            ("http_metrics", "KHATA_HTTP_METRICS", \.httpMetrics, 0...1),
        ]
    }

    /// The per-client limits these settings give (`ClientLimits`).
    public var clientLimitSettings: ClientLimits.Settings {
        var settings = ClientLimits.Settings()
        if let value = maxConnectionsPerClient { settings.connectionsPerClient = value }
        if let value = clientRequestsPerSecond { settings.requestsPerSecond = Double(value) }
        if let value = clientSignaturesPerSecond { settings.signaturesPerSecond = Double(value) }
        if let value = clientAccountOperationsPerSecond {
            settings.accountOperationsPerSecond = Double(value)
            settings.accountOperationsBurst = Double(value) * 10
        }
        if let value = keyTransactionsPerSecond { settings.transactionsPerKeyPerSecond = Double(value) }
        if let value = keyRejectionsPerSecond {
            settings.rejectionsPerKeyPerSecond = Double(value)
            settings.rejectionsPerKeyBurst = Double(value) * 10
        }
        return settings
    }

    public init(ledgerKey: String? = nil, witnesses: [Witness]? = nil, witnessQuorum: Int? = nil) {
        self.ledgerKey = ledgerKey
        self.witnesses = witnesses
        self.witnessQuorum = witnessQuorum
    }

    public static func path(in directory: String) -> String { "\(directory)/khata.json" }

    /// The directory's configuration, with environment variables applied on top.
    public static func load(from directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> NodeConfiguration {
        try parse(FileManager.default.contents(atPath: path(in: directory)), named: path(in: directory), environment: environment)
    }

    /// The configuration in `data` (the bytes of a `khata.json`; nil: none),
    /// with `environment` applied on top and every integer range-checked.
    public static func parse(_ data: Data?, named name: String = "khata.json", environment: [String: String]) throws -> NodeConfiguration {
        var configuration = NodeConfiguration()
        if let data {
            do { configuration = try JSONDecoder().decode(NodeConfiguration.self, from: data) } catch {
                throw ConfigurationError("\(name) is not a valid configuration: \(describeDecodingError(error))")
            }
        }
        if let host = environment["KHATA_HOST"] { configuration.host = host }
        if let key = environment["KHATA_LEDGER_KEY"] { configuration.ledgerKey = key }
        for setting in integerSettings {
            if let text = environment[setting.variable] {
                guard let value = Int(text) else { throw ConfigurationError("\(setting.variable)=\(text.prefix(40)) is not an integer") }
                configuration[keyPath: setting.path] = value
            }
            if let value = configuration[keyPath: setting.path], !setting.range.contains(value) {
                throw ConfigurationError(
                    "\(setting.key) (\(setting.variable)) is \(setting.range.lowerBound) to \(setting.range.upperBound), got \(value)")
            }
        }
        if let quorum = configuration.witnessQuorum, quorum > (configuration.witnesses ?? []).count {
            throw ConfigurationError("witness_quorum is \(quorum) but only \((configuration.witnesses ?? []).count) witnesses are configured")
        }
        return configuration
    }

    public func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try AtomicFile.write(Array(try encoder.encode(self) + Data("\n".utf8)), to: NodeConfiguration.path(in: directory))
        } catch let error as FileError {
            throw ConfigurationError("cannot write \(NodeConfiguration.path(in: directory)): \(error.message)")
        }
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
