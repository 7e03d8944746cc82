import Foundation
import KhataBytes
import KhataCore
import KhataTestSupport
import Logging
import ServiceLifecycle
import Testing

@testable import KhataNode

@Suite("Work on its own thread")
struct OwnThreadTests {
    /// The result comes back; a cancelled waiter stops waiting at once (a
    /// stopping node does not wait for a liabilities tree it would not commit).
    @Test(.timeLimit(.minutes(1))) func cancellationStopsTheWait() async throws {
        #expect(try await onOwnThread { 6 * 7 } == 42)
        // The work blocks until the test has seen the wait end: only cancellation can end it.
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let waiter = Task {
            try await onOwnThread {
                started.signal()
                release.wait()
                return 1
            }
        }
        try await offPool { started.wait() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        release.signal()
    }

    /// A graceful shutdown asks the body to stop and then waits for it to
    /// return: the sequencer drains and snapshots after being asked, and a
    /// service that ended first let the process exit under it (its final
    /// snapshot was never written). The body here works a while after the
    /// request (hashing 32 MiB), so a service that did not wait ends first.
    @Test func gracefulShutdownWaitsForTheBody() async throws {
        let started = DispatchSemaphore(value: 0)
        let stopRequested = DispatchSemaphore(value: 0)
        let finished = Flag()
        finished.value = false
        let service = ThreadService(
            body: {
                started.signal()
                stopRequested.wait()
                var digest = Digest32.sha256([])
                for _ in 0..<32 { digest = Digest32.sha256(digest.bytes + [UInt8](repeating: 7, count: 1 << 20)) }
                finished.value = digest != Digest32.sha256([])
            },
            stop: { stopRequested.signal() })
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        try await offPool { started.wait() }
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(finished.value)
    }
}

private struct ThreadService: Service {
    let body: @Sendable () -> Void
    let stop: @Sendable () -> Void
    func run() async throws { await runOnOwnThreadUntilShutdown(named: "khata-test", body, stop: stop) }
}
