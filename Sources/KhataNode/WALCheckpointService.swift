import Foundation
import KhataStorage
import Logging
import ServiceLifecycle

/// Runs `SQLiteWALCheckpointer` passes on a thread of its own every `interval`
/// while the node runs, so that copying the journal's WAL into its database
/// file happens beside the sequencer instead of inside one of its commits.
/// Stops on graceful shutdown (the journal's writer checkpoints at close).
final class WALCheckpointService: Service, @unchecked Sendable {
    private let checkpointer: SQLiteWALCheckpointer
    private let interval: Duration
    private let metrics: NodeMetrics
    private let logger: Logger
    private let stop = DispatchSemaphore(value: 0)

    init(checkpointer: SQLiteWALCheckpointer, interval: Duration, metrics: NodeMetrics, logger: Logger) {
        self.checkpointer = checkpointer
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        await runOnOwnThreadUntilShutdown(named: "khata-wal", { [self] in loop() }, stop: { [self] in stop.signal() })
    }

    private func loop() {
        let nanoseconds = Int(interval.wholeNanoseconds)
        var failing = false
        while stop.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut {
            do {
                let pass = try checkpointer.checkpoint()
                metrics.walFrames.set(to: Double(pass.framesInLog))
                if failing { logger.info("WAL checkpoints work again") }
                failing = false
            } catch {
                // The writer's own checkpoints still run; say so once, not every pass.
                if !failing { logger.warning("background WAL checkpoint failed", metadata: ["error": "\(error.message)"]) }
                failing = true
            }
        }
    }
}
