import Foundation
import KhataEngine
import KhataVerify
import ServiceLifecycle

/// Runs blocking work on a thread of its own, so that long CPU work (a tree over
/// millions of holders) or a synchronous HTTP call never occupies the cooperative
/// pool that serves requests. If the awaiting task is cancelled, it stops waiting
/// at once with `CancellationError` (the thread finishes and its result is dropped).
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let once = ResumeOnce<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            once.set(continuation)
            Thread { once.resume(with: Result { try body() }) }.start()
        }
    } onCancel: {
        once.resume(with: .failure(CancellationError()))
    }
}

/// A continuation resumed by whichever comes first: the work or the cancellation.
private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var early: Result<T, any Error>?

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        lock.lock()
        if let early {
            lock.unlock()
            continuation.resume(with: early)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func resume(with result: Result<T, any Error>) {
        lock.lock()
        guard let continuation else {
            if early == nil { early = result }
            lock.unlock()
            return
        }
        self.continuation = nil
        lock.unlock()
        continuation.resume(with: result)
    }
}

/// A service's body on a thread of its own, named `name` (for a loop that
/// blocks: the sequencer, the WAL checkpointer): runs `body` until graceful
/// shutdown, then calls `stop` (which must make `body` return) and waits for
/// `body` to return (the sequencer drains and snapshots then; returning
/// earlier would let the process exit under it). Returns as soon as `body`
/// returns on its own, too (the sequencer does, after a storage failure), so
/// that its service can end the group.
func runOnOwnThreadUntilShutdown(named name: String, _ body: @escaping @Sendable () -> Void, stop: @escaping @Sendable () -> Void) async {
    let (ended, signal) = AsyncStream<Void>.makeStream()
    Thread {
        nameThisThread(name)
        body()
        signal.finish()
    }.start()
    // Not a child of the group below: cancelling the group must not end this
    // wait (an AsyncStream's iteration ends when its task is cancelled).
    let bodyReturned = Task { for await _ in ended {} }
    await withTaskGroup(of: Void.self) { group in
        group.addTask { await bodyReturned.value }
        group.addTask { try? await gracefulShutdown() }
        await group.next()
        stop()
        group.cancelAll()
    }
    await bodyReturned.value
}

extension Duration {
    /// The duration in whole nanoseconds (negative durations count as zero).
    var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
