import Foundation
import KhataClient
import KhataCore
import KhataEngine
import KhataLog
import KhataNode
import KhataTestSupport
import Logging
import Testing

@testable import KhataStorage

/// A node restarting over a ledger with a snapshot and a published
/// checkpoint re-reads only what follows them before it serves; the prefix is
/// checked in the background, and no checkpoint is signed until it passes.
@Suite("Fast start", .serialized)
struct FastStartTests {
    /// Takes writes at once, and signs checkpoints again once the prefix is checked.
    @Test func aFastStartSignsAgainAfterItsCheck() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try makeRestartableLedger(in: directory, size: 600, snapshotAt: 500, checkpointAt: 550)
        try KeyFile(name: "ledger", key: Fixture.ledgerKey).write(to: directory + "/ledger.key")
        let node = try await RunningNode.start(directory: directory, create: false)
        defer { Task { await node.stop() } }
        let payment = Fixture.transaction(50_000, [Fixture.transfer(1, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey])
        let receipt = try await offPool { try node.client.submit([payment])[0] }
        #expect(receipt.index.value == 600)
        // Bounded polling on a condition (two minutes at most: a hang guard).
        var published: UInt64 = 0
        for _ in 0..<2_400 where published < 601 {
            published = try await offPool { try node.client.checkpoint().checkpoint.size }
            if published < 601 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(published == 601)
        let metrics = String(decoding: try await offPool { try node.request("GET", "/metrics") }.body, as: UTF8.self)
        #expect(metrics.contains("khata_journal_unchecked_entries 0.0"))
        await node.stop()
    }

    /// Damage the start left to its background checks: a prefix damaged after
    /// it was signed (entry 7 changed), or a damaged page of the file (account
    /// history). The node opens, then its check finds the damage, and it stops
    /// with that reason, having signed nothing over a damaged prefix.
    @Test(arguments: [false, true])
    func damageFoundInTheBackgroundStopsTheNode(pages: Bool) async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let published = try makeRestartableLedger(in: directory, size: 600, snapshotAt: 500, checkpointAt: 550)
        try KeyFile(name: "ledger", key: Fixture.ledgerKey).write(to: directory + "/ledger.key")
        let path = LedgerDirectory(directory).journalPath
        if pages {
            try damageRootPage(of: "history", journalPath: path)
        } else {
            try SQLiteConnection(path: path, create: false).execute("UPDATE entries SET data = CAST(data AS BLOB) || x'00' WHERE idx = 7")
        }
        var configuration = NodeConfiguration(ledgerKey: "ledger.key")
        configuration.port = 0
        configuration.checkpointIntervalMilliseconds = 20
        var logger = Logger(label: "khata.test.node")
        logger.logLevel = .critical
        let running = Task { [configuration, logger] in
            try await Node.run(directory: directory, configuration: configuration, logger: logger)
        }
        // A node that never found the damage would serve on: after two minutes
        // (a hang guard) it is stopped, and ends without the expected error.
        let guardTask = Task {
            try await Task.sleep(for: .seconds(120))
            running.cancel()
        }
        let result = await running.result
        guardTask.cancel()
        #expect(throws: (any Error).self) { try result.get() }
        if case .failure(let error) = result { #expect("\(error)".contains(pages ? "pages failed their check" : "entry 7"), "\(error)") }
        let file = try String(contentsOfFile: directory + "/checkpoint", encoding: .utf8)
        if pages {
            // Checkpoints wait for the prefix, not the pages (which hold nothing a checkpoint
            // signs): the node may have signed the whole, re-read log before the pages failed.
            let signed = try SignedCheckpoint(
                note: file, logKey: try NoteVerifierKey(name: Fixture.origin, type: .ed25519, publicKey: Fixture.ledgerKey.publicKey))
            #expect(signed.checkpoint.size == 550 || signed.checkpoint.size == 600, "\(signed.checkpoint)")
        } else {
            #expect(file == published.note.formatted)
        }
    }
}
