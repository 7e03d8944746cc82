import Foundation
import KhataBytes
import KhataCore
import KhataNode
import KhataTestSupport
import Testing

/// `GET /v1/state`'s digests: computed once per size, at most once per
/// interval, never wrong about the size they name.
@Suite struct StateDigestsTests {
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var now: UInt64 = 1_000
        func read() -> UInt64 { lock.withLock { now } }
        func advance(seconds: UInt64) { lock.withLock { now += seconds * 1_000_000_000 } }
    }

    @Test func answersFromMemoryAndNeverMoreOftenThanTheInterval() async throws {
        let clock = Clock()
        let digests = StateDigests(minimumInterval: .seconds(5), clock: { clock.read() })
        var state = LedgerState.genesis(Fixture.genesis, time: Timestamp(milliseconds: 1)).0
        let first = state
        let atGenesis = try await digests.answer(currentSize: first.size) { first }
        #expect(atGenesis.digest == first.digest && atGenesis.size == first.size && digests.computations == 1)
        // The same size again: from memory.
        let again = try await digests.answer(currentSize: first.size) {
            Issue.record("copied the state for a cached size"); return first
        }
        #expect(again == atGenesis && digests.computations == 1)
        // The state grew, but the last digest is younger than the interval: the old one, with its own size.
        let payment = Fixture.transaction(1, [Fixture.transfer(5, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey])
        _ = state.apply(payment, contentDigest: payment.contentDigest, index: LeafIndex(state.size), time: Timestamp(milliseconds: 2))
        let grown = state
        let early = try await digests.answer(currentSize: grown.size) { grown }
        #expect(early == atGenesis && digests.computations == 1)
        // After the interval: computed at the new size.
        clock.advance(seconds: 5)
        let later = try await digests.answer(currentSize: grown.size) { grown }
        #expect(later.size == grown.size && later.digest == grown.digest && later.digest != atGenesis.digest && digests.computations == 2)
    }

    @Test func concurrentAsksShareOneComputation() async throws {
        let digests = StateDigests()
        let state = LedgerState.genesis(Fixture.genesis, time: Timestamp(milliseconds: 1)).0
        let answers = try await withThrowingTaskGroup(of: StateDigests.Digest.self) { group in
            for _ in 0..<16 { group.addTask { try await digests.answer(currentSize: state.size) { state } } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 16 && answers.allSatisfy { $0.digest == state.digest })
        #expect(digests.computations == 1)
    }
}
