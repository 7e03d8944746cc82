import Foundation
import KhataCore
import KhataTestSupport
import NIOCore
import Synchronization
import Testing

@testable import KhataNode

/// The parts the node's limits are built from, on a clock the tests turn.
@Suite struct ServerLimitTests {
    final class TestClock: Sendable {
        let nanoseconds = Atomic<UInt64>(0)
        func advance(seconds: Double) { nanoseconds.add(UInt64(seconds * 1e9), ordering: .relaxed) }
        var read: @Sendable () -> UInt64 { { self.nanoseconds.load(ordering: .relaxed) } }
    }

    /// A bucket gives its burst, then refuses with the seconds until it could
    /// give again, refills at its rate, and never holds more than its burst.
    @Test func rateLimiterRefillsAtItsRate() {
        let clock = TestClock()
        let limiter = RateLimiter<String>(rate: 2, burst: 4, clock: clock.read)
        #expect((0..<4).allSatisfy { _ in limiter.take(1, for: "a") == nil })
        #expect(limiter.take(1, for: "a") == 1)
        #expect(limiter.take(3, for: "a") == 2)
        #expect(limiter.take(1, for: "b") == nil, "another key has its own bucket")
        clock.advance(seconds: 1)
        #expect(limiter.take(2, for: "a") == nil && limiter.take(1, for: "a") == 1)
        clock.advance(seconds: 100)
        #expect(limiter.take(4, for: "a") == nil && limiter.take(1, for: "a") != nil, "the bucket held at most its burst")
        // A cost larger than the burst waits for a full bucket, never forever.
        clock.advance(seconds: 100)
        #expect(limiter.take(10, for: "c") == nil)
        #expect(limiter.take(1, for: "c") == 4)
        // Charging after the fact goes into debt, at most a burst deep.
        limiter.charge(100, for: "d")
        #expect(limiter.take(0, for: "d") == 2, "four tokens owed at two a second")
    }

    /// The table of buckets is bounded: idle (full) buckets make room; when every
    /// kept key still owes tokens a new key is refused, not an old one forgotten.
    @Test func rateLimiterKeepsAtMostMaxKeys() {
        let clock = TestClock()
        let limiter = RateLimiter<Int>(rate: 1, burst: 1, maxKeys: 3, clock: clock.read)
        for key in 0..<3 { #expect(limiter.take(1, for: key) == nil) }
        #expect(limiter.take(1, for: 3) != nil && limiter.count == 3)
        clock.advance(seconds: 2)
        #expect(limiter.take(1, for: 3) == nil && limiter.count == 1)
    }

    /// A body must arrive whole within its timeout, however often its parts come,
    /// and never pass its limit.
    @Test func bodyReaderEnforcesItsDeadlineAndLimit() throws {
        let clock = TestClock()
        var reader = BodyReader(limit: 10, timeoutNanoseconds: 1_000_000_000, clock: clock.read)
        for _ in 0..<5 {
            clock.advance(seconds: 0.19)
            try reader.append([1])
        }
        clock.advance(seconds: 0.1)
        #expect { try reader.append([2]) } throws: { ($0 as? Problem)?.status == 408 }
        var small = BodyReader(limit: 4, timeoutNanoseconds: .max, clock: clock.read)
        try small.append([1, 2, 3])
        #expect { try small.append([4, 5]) } throws: { ($0 as? Problem)?.status == 413 }
        #expect(small.bytes == [1, 2, 3])
        // Parts are reserved from the budget as they arrive, and given back at the end.
        let budget = BodyBudget(capacity: 5)
        var first = BodyReader(limit: 10, timeoutNanoseconds: .max, budget: budget, clock: clock.read)
        try first.append([1, 2, 3])
        var second = BodyReader(limit: 10, timeoutNanoseconds: .max, budget: budget, clock: clock.read)
        try second.append([1, 2])
        #expect { try second.append([3]) } throws: { ($0 as? Problem)?.status == 503 }
        first.release()
        try second.append([3])
        second.release()
        #expect(budget.inUse == 0)
    }

    /// A key charged past its allowance owes it: it is refused until the debt
    /// is paid back at its rate, up to the most it may owe.
    @Test func debtIsPaidBackAtTheRate() {
        let clock = TestClock()
        let limiter = RateLimiter<String>(rate: 1, burst: 2, maxDebt: 100, clock: clock.read)
        limiter.charge(50, for: "k")
        #expect(limiter.take(0, for: "k") == 48)
        clock.advance(seconds: 48)
        #expect(limiter.take(0, for: "k") == nil)
        limiter.charge(1_000, for: "k")
        #expect(limiter.take(0, for: "k") == 100, "owing at most maxDebt")
    }

    /// IPv6 clients are one client per /64; IPv4 per address.
    @Test func clientsAreKeyedByAddressOrIPv6Prefix() throws {
        let a = try SocketAddress(ipAddress: "2001:db8:1:2::5", port: 1)
        let b = try SocketAddress(ipAddress: "2001:db8:1:2:ffff::9", port: 2)
        let c = try SocketAddress(ipAddress: "2001:db8:1:3::5", port: 1)
        #expect(ClientLimits.client(a) == ClientLimits.client(b) && ClientLimits.client(a) != ClientLimits.client(c))
        #expect(ClientLimits.client(try SocketAddress(ipAddress: "127.0.0.2", port: 1)) == "127.0.0.2")
        #expect(ClientLimits.client(try SocketAddress(ipAddress: "::1", port: 1)) == "::1")
    }

    /// Bodies reserve their bytes against one budget; what does not fit is refused
    /// and takes nothing; what is released can be reserved again.
    @Test func bodyBudgetBoundsBufferedBytes() {
        let budget = BodyBudget(capacity: 100)
        #expect(budget.reserve(60) && !budget.reserve(41) && budget.reserve(40))
        #expect(budget.inUse == 100)
        budget.release(60)
        #expect(budget.reserve(60) && budget.inUse == 100)
    }

    /// Every connection a client opens past its cap is refused; closing one frees a place.
    @Test func connectionsAreCountedPerClient() {
        var settings = ClientLimits.Settings()
        settings.connectionsPerClient = 2
        let limits = ClientLimits(settings)
        #expect(limits.openConnection(from: "a") && limits.openConnection(from: "a") && !limits.openConnection(from: "a"))
        #expect(limits.openConnection(from: "b"))
        limits.closeConnection(from: "a")
        #expect(limits.openConnection(from: "a") && limits.openConnections(from: "a") == 2)
    }

    /// A 5xx tells the client its code and nothing of what went wrong inside.
    @Test func serverErrorsHideTheirDetail() {
        struct Secret: Error, CustomStringConvertible { var description: String { "disk I/O error at /var/lib/khata/journal.sqlite" } }
        let problem = ProblemMiddleware<NodeRequestContext>.problem(for: Secret(), path: "/v1/ledger")
        #expect(problem.status == 500 && problem.code == "internal")
        #expect(!problem.hidingDetail.detail.contains("journal") && problem.hidingDetail.code == "internal")
        let halted = Problem(503, "halted", "the journal write failed (SQLITE_FULL at /data/x)", retryAfter: 30).hidingDetail
        #expect(!halted.detail.contains("SQLITE") && halted.retryAfter == 30)
    }

    /// Every integer setting is range-checked when the configuration loads,
    /// from the file and from the environment, and the error names the range.
    @Test func settingsOutOfRangeAreRefused() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        for (variable, value) in [
            ("KHATA_PORT", "70000"), ("KHATA_QUEUE_CAPACITY", "0"), ("KHATA_IDLE_TIMEOUT_MS", "-5"), ("KHATA_MAX_BODY_BYTES", "x"),
            ("KHATA_COMMIT_SPACING_US", "100001"), ("KHATA_SNAPSHOT_INTERVAL", "99999999999999999999"),
        ] {
            #expect(throws: ConfigurationError.self, "\(variable)=\(value)") {
                try NodeConfiguration.load(from: directory, environment: [variable: value])
            }
        }
        try Data(#"{"max_connections": 0}"#.utf8).write(to: URL(fileURLWithPath: NodeConfiguration.path(in: directory)))
        #expect { try NodeConfiguration.load(from: directory, environment: [:]) } throws: { "\($0)".contains("1 to 1000000") }
        try Data(#"{"max_connections": 10, "witness_quorum": 2}"#.utf8).write(to: URL(fileURLWithPath: NodeConfiguration.path(in: directory)))
        #expect(throws: ConfigurationError.self) { try NodeConfiguration.load(from: directory, environment: [:]) }
        let loaded = try NodeConfiguration.load(
            from: directory, environment: ["KHATA_WITNESS_QUORUM": "0", "KHATA_CLIENT_ACCOUNT_OPERATIONS_PER_S": "3"])
        #expect(
            loaded.maxConnections == 10 && loaded.clientLimitSettings.accountOperationsPerSecond == 3
                && loaded.clientLimitSettings.accountOperationsBurst == 30)
    }
}
