import Foundation
import KhataCore
import KhataEngine
import KhataLog
import KhataNode
import KhataStorage
import KhataTestSupport
import KhataVerify
import Testing

/// The sequencer's group commits, driven directly (no HTTP), with the sequencer
/// held busy by `perform` so that what each group holds is decided by the test.
@Suite struct SequencerTests {
    private static func payment(_ n: UInt64) -> VerifiedTransaction {
        let transaction = Fixture.transaction(n, [Fixture.transfer(1, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey])
        return try! SignatureVerifier.verify([transaction], origin: Fixture.origin)[0].get()
    }

    private static func metric(_ metrics: NodeMetrics, _ name: String) -> Int {
        let line = metrics.render().split(separator: "\n").first { $0.hasPrefix(name + " ") }!
        return Int(Double(line.split(separator: " ")[1])!)
    }

    private static func groupCommits(_ metrics: NodeMetrics) -> Int { metric(metrics, "khata_group_commits_total") }

    /// After a group of more than one transaction, the sequencer waits out the
    /// spacing before the next group; after a group of one, it does not wait.
    /// Each submitter of a group gets its own receipts, in its own order. The
    /// waits are recorded, not slept, so nothing here depends on timing.
    @Test func spacingAppliesAfterGroupsOfMoreThanOne() async throws {
        let ledger = try Ledger.create(journal: MemoryJournal(origin: Fixture.origin), genesis: Fixture.genesis)
        let metrics = NodeMetrics()
        let pauses = Pauses()
        let sequencer = Sequencer(
            ledger: ledger, capacity: 1_000, commitSpacing: .seconds(4), metrics: metrics, pause: { pauses.add($0) })
        let running = Task { try await sequencer.run() }
        defer { running.cancel() }
        let payments = (1...9).map { Self.payment(UInt64($0)) }

        /// Holds the sequencer busy while `submissions` queue, then lets them commit as one group.
        func oneGroup(_ submissions: [[VerifiedTransaction]]) async throws -> [[SubmissionResult]] {
            let entered = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            let hold = Task {
                try await sequencer.perform { _ in
                    entered.signal()
                    release.wait()
                }
            }
            try await offPool { entered.wait() }
            let queued = Self.metric(metrics, "khata_queue_depth")
            let tasks = submissions.map { batch in Task { try await sequencer.submit(batch) } }
            let count = submissions.reduce(0) { $0 + $1.count }
            while Self.metric(metrics, "khata_queue_depth") < queued + count { try await Task.sleep(for: .milliseconds(5)) }
            release.signal()
            try await hold.value
            var results: [[SubmissionResult]] = []
            for task in tasks { results.append(try await task.value) }
            return results
        }

        // Two submitters, one group: each gets the receipts of its own transactions, in order.
        let first = try await oneGroup([[payments[0]], [payments[1], payments[2]]])
        #expect(
            first.map { $0.map { $0.receipt?.transaction } } == [[payments[0].transaction.id], [payments[1], payments[2]].map { $0.transaction.id }])
        #expect(first.joined().allSatisfy { $0.receipt?.outcome == .committed } && Self.groupCommits(metrics) == 1)
        // That group held three: the spacing was waited out before the next group.
        #expect(pauses.count == 1 && pauses.all[0] <= 4_000_000_000 && pauses.all[0] > 0)

        // A group of three more (three submitters), then the spacing again.
        let second = try await oneGroup(payments[3...5].map { [$0] })
        #expect(second.map { $0.first?.receipt?.transaction } == payments[3...5].map { $0.transaction.id })
        #expect(Self.groupCommits(metrics) == 2 && pauses.count == 2)

        // A group of one leaves no spacing.
        _ = try await sequencer.submit([payments[6]])
        #expect(Self.groupCommits(metrics) == 3 && pauses.count == 2)
        _ = try await sequencer.submit([payments[7]])
        #expect(Self.groupCommits(metrics) == 4 && pauses.count == 2)
    }

    /// Readers see the ledger as of its last durable batch and never wait for
    /// a disk write: while a batch's write is stalled, reads answer without
    /// that batch (and without waiting for it); once the batch is durable, they
    /// see it. A read that waited would hold the stalled write's release, which
    /// is let go after two minutes at most (a hang guard), and is reported.
    @Test func readsNeitherWaitForNorSeeABatchBeingWritten() async throws {
        let journal = FaultyJournal(MemoryJournal(origin: Fixture.origin))
        let ledger = try Ledger.create(journal: journal, genesis: Fixture.genesis)
        let sequencer = Sequencer(ledger: ledger, capacity: 1_000, metrics: NodeMetrics())
        let running = Task { try await sequencer.run() }
        defer { running.cancel() }
        let first = try #require(try await sequencer.submit([Self.payment(1)])[0].receipt)
        let balance: @Sendable () -> Int128 = { sequencer.read { $0.state.balance(of: Fixture.bob, in: inr).posted } }
        let before = balance()

        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let heldTooLong = Flag()
        heldTooLong.value = false
        journal.beforeAppend = {
            entered.signal()
            if release.wait(timeout: .now() + 120) == .timedOut { heldTooLong.value = true }
        }
        let second = Self.payment(2)
        let pending = Task { try await sequencer.submit([second]) }
        try await offPool { entered.wait() }
        let (size, record, during) = try await offPool {
            (sequencer.read { $0.state.size }, sequencer.read { $0.state.record(of: second.transaction.id) }, balance())
        }
        release.signal()
        #expect(!heldTooLong.value)
        #expect(size == first.index.value + 1 && record == nil && during == before)

        let receipt = try #require(try await pending.value[0].receipt)
        journal.beforeAppend = nil
        #expect(sequencer.read { $0.state.size } == receipt.index.value + 1)
        #expect(sequencer.read { $0.state.record(of: second.transaction.id) }?.index == receipt.index)
        #expect(balance() == before + 1)
    }

    /// A journal write that fails stops the sequencer: the batch's submitter is
    /// told the outcome is unknown, what was waiting is told it was not done,
    /// the service ends with `halted` (so the node exits), nothing more is taken,
    /// no snapshot or checkpoint is made of the halted state, and reopening the
    /// journal recovers exactly the durable prefix.
    @Test func aJournalFailureStopsTheSequencer() async throws {
        let journal = FaultyJournal(MemoryJournal(origin: Fixture.origin))
        let ledger = try Ledger.create(journal: journal, genesis: Fixture.genesis)
        let sequencer = Sequencer(ledger: ledger, capacity: 1_000, metrics: NodeMetrics())
        let running = Task { try await sequencer.run() }
        #expect(try await sequencer.submit([Self.payment(1)])[0].receipt?.outcome == .committed)
        journal.failAppends = true
        await #expect { try await sequencer.submit([Self.payment(2)]) } throws: { ($0 as? EngineError)?.code == .outcomeUnknown }
        await #expect {
            try await running.value
        } throws: {
            if case SequencerError.halted = $0 { true } else { false }
        }
        #expect(sequencer.haltReason?.contains("injected") == true)
        await #expect { try await sequencer.submit([Self.payment(3)]) } throws: { ($0 as? SequencerError).map { "\($0)" } == "shuttingDown" }
        #expect { try ledger.snapshot() } throws: { ($0 as? EngineError)?.code == .halted }
        #expect { try ledger.signCheckpoint(with: NoteSigner(name: Fixture.origin, key: Fixture.ledgerKey, type: .ed25519)) } throws: {
            ($0 as? EngineError)?.code == .halted
        }
        #expect(try journal.inner.latestSnapshot() == nil)
        let reopened = try Ledger.open(journal: journal.inner)
        #expect(reopened.state.size == 2 && reopened.state.record(of: Self.payment(2).transaction.id) == nil)
    }
}

/// The spacing waits a sequencer asked for, in nanoseconds.
final class Pauses: @unchecked Sendable {
    private let lock = NSLock()
    private var pauses: [UInt64] = []
    func add(_ nanoseconds: UInt64) { lock.withLock { pauses.append(nanoseconds) } }
    var all: [UInt64] { lock.withLock { pauses } }
    var count: Int { all.count }
}
