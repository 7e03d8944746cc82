import Synchronization

/// The bytes of request bodies the node holds in memory at once, across all
/// connections. A body reserves each part as it arrives (`BodyReader`) and
/// gives it all back when its request ends; when the budget is spent, the
/// body is refused with 503 and Retry-After rather than read further. Without it, 48 bodies of 15 MiB at once took
/// the node from 74 MB to 811 MB.
final class BodyBudget: Sendable {
    /// The bytes all buffered bodies may hold together.
    let capacity: Int
    private let reserved = Atomic<Int>(0)

    init(capacity: Int) {
        precondition(capacity > 0, "BodyBudget: capacity \(capacity)")
        self.capacity = capacity
    }

    /// Takes `bytes` from the budget; false (and nothing taken) if that would pass it.
    func reserve(_ bytes: Int) -> Bool {
        precondition(bytes >= 0 && bytes <= capacity, "BodyBudget.reserve: \(bytes) of \(capacity)")
        var current = reserved.load(ordering: .relaxed)
        while true {
            guard current <= capacity - bytes else { return false }
            let (exchanged, original) = reserved.compareExchange(
                expected: current, desired: current + bytes, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
    }

    /// Gives back what `reserve(bytes)` took.
    func release(_ bytes: Int) {
        let before = reserved.subtract(bytes, ordering: .acquiringAndReleasing).oldValue
        precondition(before >= bytes, "BodyBudget.release: \(bytes) but \(before) reserved")
    }

    /// The bytes reserved now (for metrics and tests).
    var inUse: Int { reserved.load(ordering: .relaxed) }
}

/// A request body as it arrives: at most `limit` bytes, all of them within
/// `timeout` of the first (the idle timeout alone would let a client that
/// sends a byte just often enough keep its request open forever), each part
/// reserved from the node's `BodyBudget` as it arrives, so a slow body holds
/// only what it has sent. Checked as each part arrives, so it costs no timer.
/// `release()` gives the reservation back; call it when the request ends.
struct BodyReader {
    let limit: Int
    let deadline: UInt64
    let clock: @Sendable () -> UInt64
    let budget: BodyBudget?
    private(set) var bytes: [UInt8] = []

    init(limit: Int, timeoutNanoseconds: UInt64, budget: BodyBudget? = nil, clock: @escaping @Sendable () -> UInt64) {
        self.limit = limit
        self.clock = clock
        self.budget = budget
        let (deadline, overflow) = clock().addingReportingOverflow(timeoutNanoseconds)
        self.deadline = overflow ? .max : deadline
    }

    mutating func append(_ part: some Collection<UInt8>) throws {
        guard part.count <= limit - bytes.count else {
            throw Problem(413, "payload_too_large", "the body is more than \(limit) bytes")
        }
        guard clock() <= deadline else {
            throw Problem(408, "body_timeout", "the body did not arrive within the node's body timeout; send it at once")
        }
        if let budget, !budget.reserve(part.count) {
            throw Problem(503, "busy", "the node is receiving too many request bodies at once; retry shortly", retryAfter: 1)
        }
        bytes += part
    }

    /// Gives back what the body reserved.
    func release() { budget?.release(bytes.count) }
}
