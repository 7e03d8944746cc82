import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM and SIGINT for `khata node` and `khata dev`, from the first moment of
/// the process to its exit, with a bounded time from signal to exit.
///
/// - Caught by a plain `sigaction` handler installed before anything else runs
///   (it only writes the signal's number to a pipe; a thread reads it), so no
///   signal is lost in a window where it is ignored but not yet watched, as
///   happened with dispatch signal sources installed at start-up (a SIGINT sent
///   while `khata dev` started was dropped and the process ran on).
/// - Before the node serves, a stop request is remembered and the start-up
///   returns as soon as it can; while serving, it starts the service group's
///   graceful stop (stop accepting, answer in-flight requests, drain the
///   sequencer, snapshot), which normally takes well under a second.
/// - A stop never hangs on something we do not control: swift-async-algorithms'
///   `merge` (1.1.4, the newest we can depend on) can deadlock on Swift up to
///   6.3.3 (its issue 430), and Hummingbird merges a timer with the shutdown
///   signal in every server it runs. So `limit` after the first signal, a
///   process still running logs what it was waiting for and exits. That is
///   safe at any moment but one: the journal is crash-safe and what was not
///   acknowledged was not promised; only the creation of a new ledger
///   (`critical`) is waited for. A second SIGINT (Ctrl-C twice) exits at once,
///   with the same exception.
public enum ShutdownSignals {
    public static let limit: Duration = .seconds(4)
    /// When a graceful stop still runs this long after the signal, the
    /// sequencer is told to drain at once, whatever the services it normally
    /// waits for (the HTTP server first) are doing: so that the exit at `limit`
    /// finds it drained, and exits 0, even when one of them hangs. Measured: under
    /// a full test run beside a build, 1 stop in 6 of a node under load took
    /// longer than 4 s to reach the sequencer (`CrashTests`), and exited 1.
    public static let drainAfter: Duration = .seconds(3)

    private static let state = State()
    nonisolated(unsafe) private static var pipeWrite: Int32 = -1

    /// Installs the handlers (once per process).
    public static func install(logger: Logger) {
        guard state.install(logger: logger) else { return }
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { return logger.error("cannot create the signal pipe; stop signals act by default") }
        pipeWrite = descriptors[1]
        let reader = descriptors[0]
        Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(reader, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                guard count == 1 else { return }
                state.received(Int32(byte))
            }
        }.start()
        for number in [SIGTERM, SIGINT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(ShutdownSignals.pipeWrite, &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
    }

    /// Whether a stop signal arrived (start-up checks this before serving).
    public static var stopRequested: Bool { state.stopRequested }

    /// The group a signal stops gracefully, once the node serves; `drain` makes
    /// the sequencer take its last work now, and `drained` says whether it has.
    static func serve(_ group: ServiceGroup, drained: @escaping @Sendable () -> Bool, drain: @escaping @Sendable () -> Void) {
        state.serve(group, drained: drained, drain: drain)
    }

    /// The node stopped on its own: no deadline applies any more.
    static func stopped() { state.stopped() }

    /// Runs `body` (the creation of a new ledger) to its end even if a stop
    /// signal or the deadline comes meanwhile: a half-made ledger would need a
    /// hand repair.
    public static func critical<T>(_ body: () throws -> T) rethrows -> T {
        state.enterCritical()
        defer { state.leaveCritical() }
        return try body()
    }

    private final class State: @unchecked Sendable {
        private let condition = NSCondition()
        private var installed = false
        private var logger = Logger(label: "khata.signals")
        private(set) var stopRequested = false
        private var group: ServiceGroup?
        private var drained: @Sendable () -> Bool = { false }
        private var drain: @Sendable () -> Void = {}
        private var criticalDepth = 0
        private var done = false

        func install(logger: Logger) -> Bool {
            condition.withLock {
                guard !installed else { return false }
                installed = true
                self.logger = logger
                return true
            }
        }

        func serve(_ group: ServiceGroup, drained: @escaping @Sendable () -> Bool, drain: @escaping @Sendable () -> Void) {
            let stop = condition.withLock {
                self.group = group
                self.drained = drained
                self.drain = drain
                return stopRequested
            }
            if stop { Task { await group.triggerGracefulShutdown() } }
        }

        func stopped() { condition.withLock { done = true } }

        func enterCritical() { condition.withLock { criticalDepth += 1 } }

        func leaveCritical() {
            condition.lock()
            criticalDepth -= 1
            condition.broadcast()
            condition.unlock()
        }

        func received(_ number: Int32) {
            condition.lock()
            let first = !stopRequested
            stopRequested = true
            let group = self.group
            condition.unlock()
            let name = number == SIGINT ? "SIGINT" : "SIGTERM"
            guard first else {
                if number == SIGINT { exitNow(because: "a second SIGINT") }
                return
            }
            logger.info("stopping", metadata: ["signal": "\(name)"])
            if let group { Task { await group.triggerGracefulShutdown() } }
            let drainNanoseconds = ShutdownSignals.drainAfter.components.seconds * 1_000_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(drainNanoseconds))) { [self] in
                let (finished, drained, drain) = condition.withLock { (done, self.drained, self.drain) }
                guard !finished, !drained() else { return }
                logger.warning(
                    "the graceful stop is slow: the sequencer takes its last work now",
                    metadata: ["after": "\(ShutdownSignals.drainAfter)"])
                drain()
            }
            let nanoseconds = ShutdownSignals.limit.components.seconds * 1_000_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [self] in
                exitNow(because: "the graceful stop took longer than \(ShutdownSignals.limit)")
            }
        }

        private func exitNow(because reason: String) {
            condition.lock()
            while criticalDepth > 0 { condition.wait() }
            let finished = done
            let durable = drained() || group == nil
            condition.unlock()
            guard !finished else { return }
            logger.critical(
                "exiting without finishing the graceful stop",
                metadata: [
                    "reason": "\(reason)",
                    "sequencer": durable
                        ? "drained or not started: nothing acknowledged is lost" : "not drained: the next start recovers the journal",
                ])
            fflush(nil)
            _exit(durable ? 0 : 1)
        }
    }
}
