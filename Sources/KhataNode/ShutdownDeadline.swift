import Dispatch
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Bounds the time from a stop signal to the process's exit.
///
/// A graceful stop (stop accepting, answer in-flight requests, drain the
/// sequencer, snapshot) normally takes well under a second. But a stop must
/// never hang on something we do not control: swift-async-algorithms' `merge`
/// (1.1.4, the newest we can depend on) can deadlock on Swift up to 6.3.3
/// (its issue 430), and Hummingbird merges a timer with the shutdown signal in
/// every server it runs. So after the first SIGTERM or SIGINT this waits
/// `limit`; if the process is still running then, it logs what it was still
/// waiting for and exits. That is safe at any moment: the journal is
/// crash-safe, and what was not acknowledged was not promised. A second
/// SIGINT (Ctrl-C twice) exits at once.
public final class ShutdownDeadline: @unchecked Sendable {
    public static let defaultLimit: Duration = .seconds(4)

    private let queue = DispatchQueue(label: "khata.shutdown-deadline")
    private var sources: [any DispatchSourceSignal] = []
    private var signalled = false
    private let limit: Duration
    private let logger: Logger
    private let drained: @Sendable () -> Bool

    /// `drained` says whether the sequencer finished (everything accepted is durable).
    public init(limit: Duration = ShutdownDeadline.defaultLimit, logger: Logger, drained: @escaping @Sendable () -> Bool) {
        self.limit = limit
        self.logger = logger
        self.drained = drained
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)  // delivered to the dispatch sources, as ServiceLifecycle's are
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [unowned self] in self.received(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops watching (the node returned on its own).
    public func cancel() {
        queue.sync {
            for source in sources { source.cancel() }
            sources.removeAll()
        }
    }

    private func received(_ number: Int32) {
        if signalled {
            guard number == SIGINT else { return }
            exitNow(because: "a second interrupt")
        }
        signalled = true
        let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [self] in
            guard !sources.isEmpty else { return }
            exitNow(because: "the graceful stop took longer than \(limit)")
        }
    }

    private func exitNow(because reason: String) -> Never {
        let durable = drained()
        logger.critical(
            "exiting without finishing the graceful stop",
            metadata: [
                "reason": "\(reason)",
                "sequencer": durable ? "drained: every acknowledged transaction is durable" : "not drained: the next start recovers the journal",
            ])
        fflush(nil)
        _exit(durable ? 0 : 1)
    }
}
