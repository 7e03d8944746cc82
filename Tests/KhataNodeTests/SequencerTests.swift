import Foundation
import KhataCore
import KhataEngine
import KhataLog
import KhataNode
import KhataStorage
import KhataTestSupport
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

    /// After a group of more than one transaction, the next group starts no
    /// sooner than the spacing and takes everything that arrived meanwhile;
    /// after a group of one, the next transaction is committed at once.
    @Test func spacingAppliesAfterGroupsOfMoreThanOne() async throws {
        let ledger = try Ledger.create(journal: MemoryJournal(origin: Fixture.origin), genesis: Fixture.genesis)
        let metrics = NodeMetrics()
        let sequencer = Sequencer(ledger: ledger, capacity: 1_000, commitSpacing: .seconds(4), metrics: metrics)
        let running = Task { try await sequencer.run() }
        defer { running.cancel() }
        let clock = ContinuousClock()
        // Signed and checked beforehand, so that only the sequencer is timed.
        let payments = (1...7).map { Self.payment(UInt64($0)) }

        // Held busy, the sequencer queues two payments: they commit as one group.
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let hold = Task {
            try await sequencer.perform { _ in
                entered.signal()
                release.wait()
            }
        }
        try await offPool { entered.wait() }
        async let first = sequencer.submit([payments[0]])
        async let second = sequencer.submit([payments[1]])
        while Self.metric(metrics, "khata_queue_depth") < 2 { try await Task.sleep(for: .milliseconds(5)) }
        let released = clock.now  // the first group commits after this
        release.signal()
        try await hold.value
        let firstGroup = try await [first, second].flatMap { $0 }
        #expect(firstGroup.allSatisfy { $0.receipt?.outcome == .committed } && Self.groupCommits(metrics) == 1)

        // That group held two: the next starts four seconds after it, with all three of these.
        let next = try await withThrowingTaskGroup(of: [SubmissionResult].self) { group in
            for payment in payments[2...4] { group.addTask { try await sequencer.submit([payment]) } }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(next.count == 3 && Self.groupCommits(metrics) == 2)
        #expect(clock.now - released >= .seconds(4), "the second group did not wait out the spacing")

        // A group of one leaves no spacing: the payment after it commits at once.
        _ = try await sequencer.submit([payments[5]])  // waits out the rest of the group of three's spacing
        let single = clock.now
        _ = try await sequencer.submit([payments[6]])
        #expect(clock.now - single < .seconds(3), "after a group of one, the next waited \(clock.now - single)")
        #expect(Self.groupCommits(metrics) == 4)
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
