import Foundation
import Hummingbird
import HummingbirdCore
import KhataAPI
import KhataCore
import KhataEngine
import KhataLog
import KhataStorage
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// A running Khata node: the sequencer, the checkpoint publisher and the HTTP
/// API as one service group, stopped gracefully on SIGTERM or SIGINT, within
/// `ShutdownSignals.limit`.
public enum Node {
    public static let defaultPort = 7370

    /// Opens the ledger in `directory`, then serves until a shutdown signal. The
    /// open re-reads the journal only after the latest signed checkpoint or
    /// snapshot (`JournalCheck.deferringPrefix`), so a restart takes time in
    /// proportion to the snapshot interval; the rest is re-read in the
    /// background (`DeferredCheckService`) before any checkpoint is signed. `companions` run in the same group and stop after the node
    /// (`khata dev` runs its witnesses this way). `serverMetrics`: the registry the
    /// process bootstrapped swift-metrics with, served at `/metrics` after the
    /// node's own (`ServerMetrics.bootstrap()`). `onRunning` gets the bound port.
    public static func run(
        directory: String, configuration: NodeConfiguration, logger: Logger, companions: [any Service] = [],
        serverMetrics: PrometheusCollectorRegistry? = nil,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let ledgerDirectory = LedgerDirectory(directory)
        logger.info("opening the ledger", metadata: ["directory": "\(directory)"])
        let snapshotInterval = UInt64(max(1, configuration.snapshotInterval ?? 100_000))
        let opening = DispatchTime.now().uptimeNanoseconds
        let ledger = try ledgerDirectory.open(
            snapshotInterval: snapshotInterval, check: .deferringPrefix,
            progress: { done, total in
                if done % 100_000 < 1_000 { logger.info("verifying the journal", metadata: ["done": "\(done)", "total": "\(total)"]) }
            })
        logger.info(
            "opened the ledger",
            metadata: [
                "entries": "\(ledger.state.size)", "replayed": "\(ledger.entriesSinceSnapshot)",
                "seconds": "\(Double(DispatchTime.now().uptimeNanoseconds - opening) / 1e9)",
            ])
        let signer = try configuration.checkpointSigner(directory: directory, ledger: ledger)
        let signingKey = try configuration.ledgerSigningKey(directory: directory, ledger: ledger)
        let witnesses = try configuration.witnessEndpoints()
        let metrics = NodeMetrics(serverRegistry: serverMetrics)
        metrics.treeSize.set(to: Double(ledger.state.size))
        let sequencer = Sequencer(
            ledger: ledger, capacity: configuration.queueCapacity ?? 65_536,
            commitSpacing: .microseconds(configuration.commitSpacingMicroseconds ?? 1_000), metrics: metrics, logger: logger)
        let readStore = try ReadStore(path: ledgerDirectory.journalPath)
        var background: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let journal = ledger.journal as? SQLiteJournal {
            let service = WALCheckpointService(
                checkpointer: try journal.makeWALCheckpointer(), interval: .milliseconds(50), metrics: metrics, logger: logger)
            background.append(.init(service: service))
        }
        // The node opened deferring its prefix: the pages and the prefix are checked now, in the background.
        let deferredCheck = DeferredCheckService(
            prefix: ledger.uncheckedPrefix, path: ledgerDirectory.journalPath, sequencer: sequencer, metrics: metrics, logger: logger)
        let publisher = CheckpointPublisher(
            sequencer: sequencer, directory: ledgerDirectory, signer: signer, witnesses: witnesses, readStore: readStore,
            interval: .milliseconds(configuration.checkpointIntervalMilliseconds ?? 500), metrics: metrics, logger: logger)
        let interval = configuration.liabilitiesIntervalSeconds ?? 3_600
        let reserves = ReserveService(
            sequencer: sequencer, origin: ledger.origin, ledgerKey: signingKey,
            commitInterval: interval > 0 ? .seconds(interval) : nil, metrics: metrics, logger: logger, clock: ledger.clock,
            historyPath: "\(directory)/coverage.jsonl")
        let actions = ActionService(
            sequencer: sequencer, origin: ledger.origin, ledgerKey: signingKey, directory: "\(directory)/registers", logger: logger)
        let limits = ClientLimits(configuration.clientLimitSettings)
        let vkey = try ledgerVerifierKey(origin: ledger.origin, key: ledger.state.ledgerKey).vkey
        let api = NodeAPI(
            sequencer: sequencer, readStore: readStore, publisher: publisher, reserves: reserves, actions: actions, metrics: metrics,
            origin: ledger.origin,
            ledgerVKey: vkey,
            witnessVKeys: witnesses.map(\.key.vkey), witnessQuorum: configuration.witnessQuorum ?? witnesses.count,
            maxBodyBytes: configuration.maxBodyBytes ?? 16 << 20, bufferedBodyBytes: configuration.bufferedBodyBytes ?? 64 << 20,
            limits: limits, bodyTimeout: .milliseconds(configuration.bodyTimeoutMilliseconds ?? 30_000))
        let router = Router(context: NodeRequestContext.self)
        // The HTTP server's own metrics (requests, durations, statuses by route), through
        // swift-metrics: they reach /metrics where the process bootstrapped a
        // `PrometheusMetricsFactory` (`khata node`, `khata dev`). Off unless
        // `http_metrics` is 1: they cost the write path (NodeConfiguration).
        if configuration.httpMetrics == 1 { router.add(middleware: MetricsMiddleware()) }
        api.register(on: router)
        let app = Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [limits.connectionGate()],
                    idleTimeout: .milliseconds(Int64(configuration.idleTimeoutMilliseconds ?? 30_000)))),
            configuration: .init(
                address: .hostname(configuration.host ?? "127.0.0.1", port: configuration.port ?? defaultPort), serverName: "khata",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections ?? 4_096, logger: logger)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        // Services stop in reverse order: the HTTP server first (in-flight requests
        // still get their receipts), then the publisher (one last checkpoint, while
        // witnesses are up), then the reserve service, then the deferred checks (pages
        // and prefix), then the sequencer (drains,
        // snapshots), then the background WAL checkpoints, then companions.
        let group = ServiceGroup(
            configuration: .init(
                services: companions.map { .init(service: $0) } + background + [
                    // A halted sequencer (its journal failed) ends the node, gracefully, so that
                    // the in-flight requests still get their answers (outcome_unknown, halted).
                    .init(service: sequencer, failureTerminationBehavior: .gracefullyShutdownGroup)
                ] + [
                    // A check that could not run (not damage: that halts the sequencer) stops the node gracefully.
                    .init(service: deferredCheck, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)
                ] + [
                    .init(service: reserves), .init(service: actions), .init(service: publisher), .init(service: app),
                ],
                gracefulShutdownSignals: [], logger: logger))
        // A stop signal that came while the ledger was opening ends the start here.
        guard !ShutdownSignals.stopRequested else { return logger.info("stopped before serving") }
        ShutdownSignals.serve(group, drained: { sequencer.hasStopped }, drain: { sequencer.stopTakingWork() })
        defer { ShutdownSignals.stopped() }
        try await group.run()
    }
}
