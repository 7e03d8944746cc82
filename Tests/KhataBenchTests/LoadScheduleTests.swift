import Testing

@testable import KhataBench

/// The open-loop generator offers its rate as evenly spaced arrivals over all
/// connections: a burst of every connection at once would measure the burst,
/// not the rate.
@Suite struct LoadScheduleTests {
    @Test func arrivalsAreEvenlySpacedAcrossConnections() throws {
        let schedule = OpenLoopSchedule(start: 1_000, end: 1_000 + 1_000_000_000, connections: 64, rate: 10_000)
        var arrivals: [UInt64] = []
        for connection in 0..<64 {
            let count = schedule.requests(connection: connection)
            for k in 0..<count { arrivals.append(try #require(schedule.due(connection: connection, request: k))) }
            #expect(schedule.due(connection: connection, request: count) == nil, "connection \(connection) sends past the end")
        }
        // 10,000 requests in 1 s, one every 100 µs (to within the rounding to whole nanoseconds).
        #expect(arrivals.count == 10_000)
        arrivals.sort()
        let gaps = zip(arrivals.dropFirst(), arrivals).map { $0 - $1 }
        #expect(gaps.allSatisfy { (99_999...100_001).contains($0) }, "gaps from \(gaps.min()!) to \(gaps.max()!) ns")
        #expect(arrivals.first == 1_000)
    }

    @Test func eachConnectionKeepsItsOwnInterval() throws {
        let schedule = OpenLoopSchedule(start: 0, end: 2_000_000_000, connections: 4, rate: 200)
        // 4 connections at 200/s in all: each sends every 20 ms, offset by 5 ms from the previous one.
        #expect(schedule.due(connection: 0, request: 1) == 20_000_000)
        #expect(schedule.due(connection: 1, request: 0) == 5_000_000)
        #expect(schedule.due(connection: 3, request: 2) == 55_000_000)
        #expect((0..<4).map(schedule.requests(connection:)) == [100, 100, 100, 100])
    }
}
