import Dispatch
import Foundation
import KhataBytes
import KhataCore

/// The digest of the durable state, for `GET /v1/state`. Encoding the whole
/// state costs time in proportion to its size (about a second for a million
/// accounts), and the copy it reads makes the sequencer's next batch copy the
/// state's tables once, so a client must not be able to ask for it at will:
///
/// - the digest at the durable state's current size, once computed, is served
///   from memory (an idle ledger's digest is computed once);
/// - at most one computation runs at a time, on a thread of its own (never an
///   event loop or a read-store thread); while it runs, or within
///   `minimumInterval` of the last one, a request is answered with the newest
///   digest computed, with its own size — an answer about an older size, never
///   a wrong one;
/// - only a request with no digest at all to answer waits for the computation.
public final class StateDigests: @unchecked Sendable {
    public struct Digest: Sendable, Equatable {
        public let size: UInt64
        public let time: Timestamp
        public let accounts: Int
        public let digest: Digest32
    }

    private let lock = NSLock()
    private var latest: (digest: Digest, computedAt: UInt64)?
    private var running: Task<Digest, Never>?
    private let queue = DispatchQueue(label: "khata.state-digest", qos: .utility)
    private let minimumIntervalNanoseconds: UInt64
    private let clock: @Sendable () -> UInt64
    /// Digests computed so far (tests check that a cached answer computes nothing).
    public private(set) var computations = 0

    public init(
        minimumInterval: Duration = .seconds(5),
        clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }
    ) {
        minimumIntervalNanoseconds =
            UInt64(minimumInterval.components.seconds) * 1_000_000_000
            + UInt64(minimumInterval.components.attoseconds / 1_000_000_000)
        self.clock = clock
    }

    /// The digest to answer with. `currentSize` reads the durable state's size
    /// (cheap, under its lock); `takeState` takes a copy of it, and is called
    /// only when a computation starts.
    public func answer(currentSize: UInt64, takeState: @escaping @Sendable () throws -> LedgerState) async throws -> Digest {
        enum Next {
            case answer(Digest)
            case wait(Task<Digest, Never>)
        }
        let next: Next = try lock.withLock {
            if let latest, latest.digest.size == currentSize { return .answer(latest.digest) }
            if let running {
                if let latest { return .answer(latest.digest) }
                return .wait(running)
            }
            if let latest, clock() - latest.computedAt < minimumIntervalNanoseconds { return .answer(latest.digest) }
            let state = try takeState()
            computations += 1
            let task = Task { [queue] in
                await withCheckedContinuation { continuation in
                    queue.async {
                        continuation.resume(
                            returning: Digest(size: state.size, time: state.time, accounts: state.accounts.count, digest: state.digest))
                    }
                }
            }
            running = task
            return .wait(task)
        }
        switch next {
        case .answer(let digest): return digest
        case .wait(let task):
            let digest = await task.value
            lock.withLock {
                if running == task {
                    running = nil
                    if (latest?.digest.size ?? 0) <= digest.size { latest = (digest, clock()) }
                }
            }
            return digest
        }
    }
}
