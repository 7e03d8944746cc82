import Foundation
import KhataAPI
import KhataCore
import KhataTestSupport
import Testing

@testable import KhataNode

@Suite("Coverage history")
struct CoverageHistoryTests {
    private func reading(_ time: UInt64, coverage: UInt64) throws -> CoverageSample {
        let json = """
            {"time": \(time), "coverage_basis_points": \(coverage), "required_coverage_basis_points": 10000,
             "supply": "100", "reserve_value": "\(coverage / 100)", "status": "\(coverage >= 10_000 ? "covered" : "undercovered")"}
            """
        return try JSONDecoder().decode(CoverageSample.self, from: Data(json.utf8))
    }

    /// Readings that change are kept, repeats within a minute are not; they
    /// survive a restart, a damaged line is skipped, and the file stays bounded.
    @Test func keepsChangesAcrossRestarts() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/coverage.jsonl"
        let history = CoverageHistory(path: path, capacity: 4)
        history.record(try reading(1_000, coverage: 12_000))
        history.record(try reading(2_000, coverage: 12_000))  // the same, a second later: not kept
        history.record(try reading(70_000, coverage: 12_000))  // the same, a minute later: kept
        history.record(try reading(71_000, coverage: 9_000))
        #expect(history.all.map(\.time.milliseconds) == [1_000, 70_000, 71_000])
        // A torn last line (a crash mid-write) is skipped on reload.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"time\": 9".utf8))
        try handle.close()
        let reloaded = CoverageHistory(path: path, capacity: 4)
        #expect(reloaded.all.map(\.time.milliseconds) == [1_000, 70_000, 71_000])
        #expect(reloaded.all.last?.status == "undercovered")
        // The next reading starts on a line of its own and survives.
        reloaded.record(try reading(72_000, coverage: 9_500))
        #expect(CoverageHistory(path: path, capacity: 4).all.map(\.time.milliseconds) == [1_000, 70_000, 71_000, 72_000])
        // Past twice the capacity the file is rewritten to the last readings.
        for n in 0..<10 { reloaded.record(try reading(100_000 + UInt64(n) * 1_000, coverage: 10_000 + UInt64(n))) }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count <= 8)
        #expect(CoverageHistory(path: path, capacity: 4).all.map(\.time.milliseconds) == [106_000, 107_000, 108_000, 109_000])
    }
}
