import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The open-loop side of `LoadGenerator`: one thread drives every connection
/// with `ppoll`, so the generator's own cost stays a few syscalls per request
/// instead of a sleeping, waking thread per client (which on a small machine
/// takes the CPU the node being measured needs).
///
/// Requests arrive evenly spread (`OpenLoopSchedule`): connection c sends its
/// k-th pre-signed request at its scheduled time, or as soon as its previous
/// answer arrives if that is later; latency counts from the scheduled time, so
/// queueing anywhere is measured, not hidden.
struct OpenLoopDriver {
    let connections: [RawHTTPConnection]
    /// Pre-signed request bodies per connection.
    let bodies: [[[UInt8]]]
    let schedule: OpenLoopSchedule
    let contentType: String
    let transactionsPerRequest: Int

    /// Runs until `schedule.end`, reporting each answer to `record`: latency in
    /// milliseconds (nil for a failure), its transactions, and when it was due.
    func run(record: (Double?, Int, UInt64) -> Void) {
        var next = [Int](repeating: 0, count: connections.count)
        var inFlight = [UInt64?](repeating: nil, count: connections.count)
        var alive = [Bool](repeating: true, count: connections.count)
        var descriptors: [pollfd] = []
        var owners: [Int] = []
        descriptors.reserveCapacity(connections.count)
        owners.reserveCapacity(connections.count)
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            var wake = UInt64.max
            descriptors.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
            for c in connections.indices where alive[c] {
                if inFlight[c] == nil, next[c] < bodies[c].count, let due = schedule.due(connection: c, request: next[c]) {
                    if due > now {
                        wake = min(wake, due)
                    } else {
                        do {
                            try connections[c].sendRequest("/v1/transactions", contentType: contentType, body: bodies[c][next[c]])
                            inFlight[c] = due
                            next[c] += 1
                        } catch {
                            alive[c] = false
                            record(nil, 0, due)
                            continue
                        }
                    }
                }
                if inFlight[c] != nil {
                    descriptors.append(pollfd(fd: connections[c].descriptor, events: Int16(POLLIN), revents: 0))
                    owners.append(c)
                }
            }
            guard !owners.isEmpty || wake != .max else { return }
            // Sleep until the next request is due (to the nanosecond) or an answer arrives.
            let nanoseconds = wake == .max ? 100_000_000 : min(100_000_000, wake - min(wake, DispatchTime.now().uptimeNanoseconds))
            var timeout = timespec(tv_sec: 0, tv_nsec: Int(nanoseconds))
            guard preciseWait(&descriptors, &timeout) >= 0 || errno == EINTR else { return }
            for (position, c) in owners.enumerated() where descriptors[position].revents != 0 {
                do {
                    try connections[c].readAvailable()
                    while let status = try connections[c].takeResponse() {
                        let answered = DispatchTime.now().uptimeNanoseconds
                        let sentAt = min(inFlight[c] ?? answered, answered)
                        inFlight[c] = nil
                        record(status == 200 ? Double(answered - sentAt) / 1e6 : nil, status == 200 ? transactionsPerRequest : 0, sentAt)
                    }
                } catch {
                    alive[c] = false
                    record(nil, 0, inFlight[c] ?? 0)
                }
            }
        }
    }
}

/// When each request of an open-loop run is due: `rate` requests per second in
/// all, evenly spread over the connections, from `start` until `end` (uptime
/// nanoseconds). Connection c's k-th request is due at
/// start + (k + c / connections) × connections / rate, so the requests of all
/// connections together arrive one every 1/rate seconds, never in bursts.
struct OpenLoopSchedule: Sendable {
    let start: UInt64
    let end: UInt64
    let connections: Int
    /// Requests per second over all connections.
    let rate: Double

    /// The uptime at which connection `connection` sends its `request`-th request,
    /// or nil if that is at or after the end of the run.
    func due(connection: Int, request: Int) -> UInt64? {
        let sequence = Double(request) * Double(connections) + Double(connection)
        let due = start + UInt64(sequence / rate * 1e9)
        return due < end ? due : nil
    }

    /// How many requests connection `connection` sends in the whole run.
    func requests(connection: Int) -> Int {
        let seconds = Double(end - start) / 1e9
        let sequences = (seconds * rate).rounded(.up)
        return max(0, Int(((sequences - Double(connection)) / Double(connections)).rounded(.up)))
    }
}

/// Linux's `ppoll` (poll with a timeout in nanoseconds; `poll` counts whole
/// milliseconds, far too coarse at 10,000 requests per second). Glibc declares
/// it only under _GNU_SOURCE, which Swift's Glibc module does not set, so it is
/// looked up once at run time.
private let ppollFunction: (@convention(c) (UnsafeMutablePointer<pollfd>?, nfds_t, UnsafePointer<timespec>?, UnsafeRawPointer?) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "ppoll") else { return nil }
    return unsafeBitCast(
        symbol, to: (@convention(c) (UnsafeMutablePointer<pollfd>?, nfds_t, UnsafePointer<timespec>?, UnsafeRawPointer?) -> Int32).self)
}()

/// Waits for `descriptors` or `timeout`, whichever first; falls back to `poll`
/// (rounded up to a whole millisecond) where `ppoll` is missing.
private func preciseWait(_ descriptors: inout [pollfd], _ timeout: inout timespec) -> Int32 {
    let count = nfds_t(descriptors.count)
    if let ppollFunction { return descriptors.withUnsafeMutableBufferPointer { ppollFunction($0.baseAddress, count, &timeout, nil) } }
    return poll(&descriptors, count, Int32((timeout.tv_nsec + 999_999) / 1_000_000) + Int32(timeout.tv_sec * 1000))
}
