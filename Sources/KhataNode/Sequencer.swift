import Foundation
import KhataAPI
import KhataCore
import KhataEngine
import KhataLog
import KhataVerify
import Logging
import ServiceLifecycle

/// The node's single writer: one thread that owns the `Ledger`, takes every
/// verified transaction waiting in its bounded queue as one group commit, and
/// hands each submitter its receipts once the commit is durable.
///
/// - Under load (after a group of more than one transaction), group commits
///   start at least `commitSpacing` apart, so that each takes more
///   transactions; after a group of one, the next is committed at once.
/// - The queue is bounded (`capacity` transactions): a full queue refuses at once
///   (`SequencerError.overloaded`, HTTP 503 with Retry-After) instead of growing.
/// - Other work that must see the ledger alone (signing checkpoints) is queued
///   too and runs between batches (`perform`).
/// - Readers never see the sequencer's own state, which runs ahead of the disk
///   while a batch is being written: they read `DurableLedger`, a second copy
///   that the sequencer advances by applying each batch again once the journal
///   holds it (`read`). Its lock is held only for that in-memory apply and for
///   each reader's body, never across I/O, so a slow disk stalls no reader and
///   no reader sees a batch that might yet be lost. The price is a second copy
///   of the state in memory and a second apply per transaction; the apply is
///   also a running check of determinism (both copies must reach the same
///   outcome, or the node halts).
/// - On graceful shutdown it stops accepting, commits everything already
///   accepted (every accepted transaction gets its receipt), snapshots, and stops.
public final class Sequencer: Service, @unchecked Sendable {
    private enum Work {
        case submit([VerifiedTransaction], CheckedContinuation<[SubmissionResult], any Error>)
        case perform(() -> Void)

        var transactionCount: Int {
            if case .submit(let batch, _) = self { return batch.count }
            return 0
        }
    }

    private let ledger: Ledger
    private let capacity: Int
    private let spacingNanoseconds: UInt64
    private let metrics: NodeMetrics
    private let condition = NSCondition()
    private var queue: [Work] = []
    private var queuedTransactions = 0
    private var accepting = true
    private var finished = false
    /// Guards `published` and `halt`; never held across I/O.
    private let publishedLock = NSLock()
    private var published: DurableLedger
    private var halt: String?
    private let logger: Logger?
    private var lastReportedSnapshot: UInt64?

    /// How the loop waits out the commit spacing (nanoseconds); tests record the
    /// waits instead of sleeping, so that nothing they check depends on timing.
    private let pause: @Sendable (UInt64) -> Void

    /// `commitSpacing`: the least time between the starts of two group commits
    /// (`NodeConfiguration.commitSpacingMicroseconds`).
    public init(
        ledger: Ledger, capacity: Int, commitSpacing: Duration = .zero, metrics: NodeMetrics, logger: Logger? = nil,
        pause: @escaping @Sendable (UInt64) -> Void = { usleep(UInt32(min($0 / 1_000, 1_000_000))) }
    ) {
        self.pause = pause
        self.ledger = ledger
        self.capacity = capacity
        spacingNanoseconds = commitSpacing.wholeNanoseconds
        self.metrics = metrics
        self.logger = logger
        published = DurableLedger(state: ledger.state, latestCheckpoint: ledger.latestCheckpoint, clock: ledger.clock)
    }

    /// Queues a batch for sequencing and waits for its receipts (in order).
    public func submit(_ batch: [VerifiedTransaction]) async throws -> [SubmissionResult] {
        guard !batch.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard accepting else { return continuation.resume(throwing: SequencerError.shuttingDown) }
            guard queuedTransactions + batch.count <= capacity else { return continuation.resume(throwing: SequencerError.overloaded) }
            queue.append(.submit(batch, continuation))
            queuedTransactions += batch.count
            metrics.queueDepth.set(to: Double(queuedTransactions))
            condition.signal()
        }
    }

    /// Runs `body` on the sequencer thread, between batches, with the ledger to
    /// itself; a checkpoint it signs or stores is then published to readers.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (Ledger) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard !finished else { return continuation.resume(throwing: SequencerError.shuttingDown) }
            let ledger = self.ledger
            queue.append(.perform { continuation.resume(with: Result { try body(ledger) }) })
            condition.signal()
        }
    }

    /// Reads the ledger as of its last durable batch (its state, its latest
    /// checkpoint). Keep `body` short, and let nothing of the state escape it:
    /// the sequencer waits for it before publishing its next batch, and a copy
    /// kept past it would make that batch copy the whole state.
    public func read<T>(_ body: (DurableLedger) throws -> T) rethrows -> T {
        try publishedLock.withLock { try body(published) }
    }

    // MARK: Service

    /// Runs until graceful shutdown; or, after a journal write failed, stops at
    /// once and throws `SequencerError.halted`, so that the node exits (its
    /// memory may be ahead of its journal) and a supervisor's restart recovers
    /// the durable prefix.
    public func run() async throws {
        await runOnOwnThreadUntilShutdown(named: "khata-sequencer", { [self] in loop() }, stop: { [self] in stopAccepting() })
        if let reason = haltReason { throw SequencerError.halted(reason) }
    }

    /// Whether the loop has taken its last work: every accepted transaction is
    /// answered and durable (or the ledger halted and everything waiting was
    /// answered so).
    public var hasStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished
    }

    /// Why the sequencer halted, if it did: the journal failed, or the readers'
    /// copy of the state reached another outcome than the sequencer's.
    public var haltReason: String? { publishedLock.withLock { halt } }

    /// Takes no more work: what is queued is still answered and made durable,
    /// later submissions are refused (`shutting_down`), and the loop ends. A
    /// graceful stop does this when it reaches the sequencer; a slow stop sooner.
    public func stopTakingWork() { stopAccepting() }

    private func stopAccepting() {
        condition.lock()
        accepting = false
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while let works = nextWorks() {
            runPerformed(works)
            let started = DispatchTime.now().uptimeNanoseconds
            let (committed, divergence) = commit(works)
            if let reason = ledger.haltReason ?? divergence {
                publishedLock.withLock { halt = reason }
                failEverythingQueued()
                logger?.critical(
                    "the sequencer halted; the node stops taking work and exits so that a restart recovers the durable prefix",
                    metadata: ["reason": "\(reason)"])
                return
            }
            // Under load (this group held more than one transaction), commits would
            // come back to back; spacing their starts lets each take more
            // transactions (less CPU per transaction). After a group of one, the
            // next transaction is committed as soon as it arrives.
            let elapsed = DispatchTime.now().uptimeNanoseconds - started
            if committed > 1 && elapsed < spacingNanoseconds { pause(spacingNanoseconds - elapsed) }
        }
        // The next start then replays nothing (a stop cut short by its time limit
        // loses no more than that: the journal is the truth).
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            try ledger.snapshot()
            logger?.info(
                "stopped",
                metadata: [
                    "entries": "\(ledger.state.size)", "snapshot_seconds": "\(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)",
                ])
        } catch {
            logger?.error("stopped without a final snapshot; the next start replays from the last one", metadata: ["error": "\(error)"])
        }
    }

    /// Runs the work queued by `perform`, then publishes the checkpoint it may
    /// have signed or stored.
    private func runPerformed(_ works: [Work]) {
        var ran = false
        for work in works {
            if case .perform(let body) = work {
                body()
                ran = true
            }
        }
        if ran {
            let checkpoint = ledger.latestCheckpoint
            publishedLock.withLock { published.latestCheckpoint = checkpoint }
        }
    }

    /// After a storage failure: no more work is taken, and everything waiting is
    /// answered `halted` (not done; safe to submit again once the node is back).
    private func failEverythingQueued() {
        condition.lock()
        accepting = false
        finished = true
        let waiting = queue
        queue.removeAll()
        queuedTransactions = 0
        condition.unlock()
        for work in waiting {
            switch work {
            case .submit(_, let continuation):
                continuation.resume(throwing: EngineError(.halted, "the ledger halted after a storage failure before this batch was taken"))
            case .perform(let body):
                // Work that needs the ledger alone (signing a checkpoint) finds it
                // halted and answers its caller so; nothing waits forever.
                body()
            }
        }
    }

    /// Waits for work and takes all of it, up to one batch of transactions.
    /// Returns nil when shutting down with nothing left.
    private func nextWorks() -> [Work]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty {
            if !accepting {
                finished = true
                return nil
            }
            condition.wait()
        }
        var taken: [Work] = []
        var transactions = 0
        while let first = queue.first, taken.isEmpty || transactions + first.transactionCount <= Limits.maxBatchTransactions {
            taken.append(queue.removeFirst())
            transactions += first.transactionCount
        }
        queuedTransactions -= transactions
        metrics.queueDepth.set(to: Double(queuedTransactions))
        return taken
    }

    /// One group commit of every submission taken, published to readers once
    /// durable, then each submitter's receipts; returns how many transactions it
    /// took, and why the readers' copy could not follow, if it could not.
    private func commit(_ works: [Work]) -> (Int, String?) {
        let submissions = works.compactMap { work -> ([VerifiedTransaction], CheckedContinuation<[SubmissionResult], any Error>)? in
            if case .submit(let batch, let continuation) = work { return (batch, continuation) }
            return nil
        }
        guard !submissions.isEmpty else { return (0, nil) }
        let started = DispatchTime.now().uptimeNanoseconds
        let batch = submissions.flatMap(\.0)
        let result = Result { try ledger.submit(batch) }
        var divergence: String?
        metrics.commitSeconds.record(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        switch result {
        case .success(let receipts):
            divergence = publish(batch, receipts)
            metrics.recordCommit(receipts, size: ledger.state.size)
            if let snapshot = ledger.lastSnapshot, snapshot.size != lastReportedSnapshot {
                lastReportedSnapshot = snapshot.size
                metrics.snapshotSeconds.set(to: snapshot.seconds)
                logger?.info(
                    "snapshot",
                    metadata: [
                        "size": "\(snapshot.size)", "bytes": "\(snapshot.bytes)", "seconds": "\(snapshot.seconds)",
                        "background": "\(snapshot.background)",
                    ])
            }
            var offset = 0
            for (batch, continuation) in submissions {
                continuation.resume(returning: Array(receipts[offset..<(offset + batch.count)]))
                offset += batch.count
            }
        case .failure(let error):
            for (_, continuation) in submissions { continuation.resume(throwing: error) }
        }
        return (submissions.reduce(0) { $0 + $1.0.count }, divergence)
    }

    /// Applies a durable batch's new entries to the readers' copy of the state,
    /// each at its receipt's index and time. The state machine is deterministic,
    /// so each must reach its receipt's outcome; if one does not (a bug), returns
    /// why, and the sequencer halts rather than serve a state it cannot vouch for.
    private func publish(_ batch: [VerifiedTransaction], _ results: [SubmissionResult]) -> String? {
        publishedLock.withLock {
            for (verified, result) in zip(batch, results) {
                guard case .logged(let receipt) = result, !receipt.isRetry else { continue }
                guard published.state.size == receipt.index.value else {
                    return "the readers' state holds \(published.state.size) entries but entry \(receipt.index) came next"
                }
                let outcome = published.state.apply(
                    verified.transaction, contentDigest: verified.contentDigest, index: receipt.index, time: receipt.time)
                guard outcome == receipt.outcome else {
                    return "entry \(receipt.index) reached \(outcome) in the readers' state but \(receipt.outcome) in the sequencer's"
                }
            }
            return nil
        }
    }
}

/// The ledger as of its last durable batch: what every reader of a running
/// node sees (`Sequencer.read`).
public struct DurableLedger: Sendable {
    public fileprivate(set) var state: LedgerState
    /// The latest checkpoint the ledger signed or stored cosigned.
    public fileprivate(set) var latestCheckpoint: SignedCheckpoint?
    /// The ledger's clock, for reads that evaluate the state at a time.
    public let clock: @Sendable () -> Timestamp
}

/// Why the sequencer did not take a batch.
public enum SequencerError: Error, Sendable {
    /// The queue is full: try again shortly.
    case overloaded
    /// The node is stopping.
    case shuttingDown
    /// A journal write failed; the node stops so that a restart recovers.
    case halted(String)
}
