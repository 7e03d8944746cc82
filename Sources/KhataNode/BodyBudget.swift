import Synchronization

/// The bytes of request bodies the node holds in memory at once, across all
/// connections. A body reserves its declared length (or, without one, the
/// largest body allowed) before it is read and gives it back when its request
/// ends; when the budget is spent, new bodies are refused with 503 and
/// Retry-After rather than read. Without it, 48 bodies of 15 MiB at once took
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
/// sends a byte just often enough hold its reservation in the `BodyBudget`
/// forever). Checked as each part arrives, so it costs no timer.
struct BodyReader {
    let limit: Int
    let deadline: UInt64
    let clock: @Sendable () -> UInt64
    private(set) var bytes: [UInt8] = []

    init(limit: Int, timeoutNanoseconds: UInt64, clock: @escaping @Sendable () -> UInt64) {
        self.limit = limit
        self.clock = clock
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
        bytes += part
    }
}
