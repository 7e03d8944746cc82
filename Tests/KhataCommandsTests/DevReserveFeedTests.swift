import Foundation
import KhataCore
import KhataEngine
import KhataNode
import KhataTestSupport
import Logging
import Testing

@testable import KhataCommands

// In the command-line suite, which runs one test at a time: creating the dev
// ledger prints, and the suite's tests capture standard output.
extension CommandTests {
    /// The feed signs with the dev oracles' and custodians' keys and submits over
    /// HTTP: its first update attests the reserves and prices them, later ones
    /// move prices; every one commits and the reserves stay fresh.
    @Test func feedKeepsDevReservesFresh() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        _ = try captureStandardOutput {
            _ = try InitCommand.create(directory: directory, genesisFile: nil, devOrigin: "khata.test/dev", ledgerKeyPath: "keys/ledger.key")
        }
        let port = Int.random(in: 42_000...48_000)
        var logger = Logger(label: "khata.test.feed")
        logger.logLevel = .critical
        var configuration = try NodeConfiguration.load(from: directory, environment: [:])
        configuration.port = port
        let feed = DevReserveFeed(baseURL: "http://127.0.0.1:\(port)", directory: directory, logger: logger, interval: .milliseconds(200))
        let settings = configuration
        let node = Task { try await Node.run(directory: directory, configuration: settings, logger: logger, companions: [feed]) }
        defer { node.cancel() }
        let deadline = Date().addingTimeInterval(120)  // a bound against hanging, not a timing assertion
        var kinds: [String] = []
        while Date() < deadline {
            try await Task.sleep(nanoseconds: 200_000_000)
            let data = try? await onOwnThread { try Data(contentsOf: URL(string: "http://127.0.0.1:\(port)/v1/entries?limit=50")!) }
            guard let data, let page = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let entries = page["entries"] as? [[String: Any]]
            else { continue }
            let fed = entries.filter { (($0["outcome"] as? [String: Any])?["status"] as? String) == "committed" }
                .compactMap { (($0["transaction"] as? [String: Any])?["operations"] as? [[String: Any]])?.first?["type"] as? String }
            kinds = fed
            if fed.filter({ $0 == "attest_price" }).count >= 1 && fed.contains("attest_reserve") { break }
        }
        // The first update attests (then prices); a later one prices only.
        #expect(kinds.contains("attest_reserve"), "\(kinds)")
        #expect(kinds.contains("attest_price"), "\(kinds)")
        node.cancel()
        _ = await node.result
        let ledger = try LedgerDirectory(directory).open()
        let status = try #require(ledger.state.reserveStatus(at: ledger.state.time))
        #expect(status.isFresh && status.isCovered)
        #expect(ledger.state.invariantViolations().isEmpty)
    }
}
