import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The open-loop side of `LoadGenerator`: one thread drives every connection
/// with `poll`, so the generator's own cost stays a few syscalls per request
/// instead of a sleeping, waking thread per client (which on a small machine
/// takes the CPU the node being measured needs).
///
/// Connection c sends its k-th pre-signed request at `start + k × interval`, or
/// as soon as its previous answer arrives if that is later; latency counts from
/// the scheduled time, so queueing anywhere is measured, not hidden.
struct OpenLoopDriver {
    let connections: [RawHTTPConnection]
    /// Pre-signed request bodies per connection.
    let bodies: [[[UInt8]]]
    let interval: Double
    let contentType: String
    let transactionsPerRequest: Int

    private struct Slot {
        var next = 0
        var inFlight: UInt64?
    }

    /// Runs from `started` until `end` (uptime nanoseconds), reporting to `record`.
    func run(started: UInt64, end: UInt64, record: (Double?, Int) -> Void) {
        var slots = [Slot](repeating: Slot(), count: connections.count)
        var alive = [Bool](repeating: true, count: connections.count)
        let scheduled = { (k: Int) in started + UInt64(Double(k) * interval * 1e9) }
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            var wake = UInt64.max
            var waiting = false
            for c in connections.indices where alive[c] {
                if slots[c].inFlight != nil {
                    waiting = true
                    continue
                }
                let due = scheduled(slots[c].next)
                guard due < end, slots[c].next < bodies[c].count else { continue }
                if due > now {
                    wake = min(wake, due)
                    continue
                }
                do {
                    try connections[c].sendRequest("/v1/transactions", contentType: contentType, body: bodies[c][slots[c].next])
                    slots[c].inFlight = due
                    slots[c].next += 1
                    waiting = true
                } catch {
                    alive[c] = false
                    record(nil, 0)
                }
            }
            guard waiting || wake != .max else { return }
            let timeout = wake == .max ? 100 : Int32(min(100, (wake - min(wake, DispatchTime.now().uptimeNanoseconds)) / 1_000_000))
            var descriptors = connections.indices.filter { alive[$0] && slots[$0].inFlight != nil }.map {
                pollfd(fd: connections[$0].descriptor, events: Int16(POLLIN), revents: 0)
            }
            let owners = connections.indices.filter { alive[$0] && slots[$0].inFlight != nil }
            guard poll(&descriptors, nfds_t(descriptors.count), timeout) >= 0 || errno == EINTR else { return }
            for (position, c) in owners.enumerated() where descriptors[position].revents != 0 {
                do {
                    try connections[c].readAvailable()
                    while let status = try connections[c].takeResponse() {
                        let sentAt = slots[c].inFlight ?? DispatchTime.now().uptimeNanoseconds
                        slots[c].inFlight = nil
                        let latency = Double(DispatchTime.now().uptimeNanoseconds - min(sentAt, DispatchTime.now().uptimeNanoseconds)) / 1e6
                        record(status == 200 ? latency : nil, status == 200 ? transactionsPerRequest : 0)
                    }
                } catch {
                    alive[c] = false
                    record(nil, 0)
                }
            }
        }
    }
}
