import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEngine
import KhataLog
import KhataNode
import KhataTestSupport
import KhataVerify
import Testing

/// The `khata` executable built beside this test bundle.
func khataExecutable() throws -> String {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [directory, directory.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("khata").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw BlockingHTTP.Failure("no khata executable beside \(directory.path); run `swift build` first (scripts/test does)")
}

/// A `khata node` process.
final class NodeProcess {
    let process = Process()
    let url: String
    /// The node's log (its standard error), kept to explain a failure.
    let logPath: String

    init(directory: String, port: Int) throws {
        url = "http://127.0.0.1:\(port)"
        logPath = directory + "/node-\(port)-\(UInt32.random(in: 0...UInt32.max)).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: try khataExecutable())
        process.arguments = ["node", "--data", directory, "--port", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let health = try? BlockingHTTP.request("GET", url + "/healthz", timeout: 1), health.status == 200 { return }
            guard process.isRunning else { throw BlockingHTTP.Failure("khata node exited with \(process.terminationStatus)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw BlockingHTTP.Failure("khata node did not answer within 120 s")
    }

    func kill(_ signal: Int32) {
        Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    /// The last lines of the node's log.
    var logTail: String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var state = true
    var value: Bool {
        get { lock.withLock { state } }
        set { lock.withLock { state = newValue } }
    }
}

/// Receipts that came back committed, from several submitting threads.
final class ReceiptLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var receipts: [Receipt] = []
    func add(_ receipt: Receipt) { lock.withLock { receipts.append(receipt) } }
    var all: [Receipt] { lock.withLock { receipts } }
}

@Suite("Crash safety", .serialized)
struct CrashTests {
    /// SIGKILL (a crash) or SIGTERM (a graceful stop) while a load runs, then a
    /// restart: every transaction that got a committed receipt is still there, at
    /// the same index with the same leaf hash, and an audit of the restarted node
    /// over HTTP passes. A graceful stop exits 0.
    @Test(arguments: [SIGKILL, SIGTERM])
    func stopDuringLoadLosesNoAcknowledgedTransaction(signal: Int32) throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        _ = try LedgerDirectory(directory).create(genesis: Fixture.genesis)
        try KeyFile(name: "ledger", key: Fixture.ledgerKey).write(to: directory + "/ledger.key")
        try NodeConfiguration(ledgerKey: "ledger.key").write(to: directory)
        let port = Int.random(in: 20_000...40_000)
        let first = try NodeProcess(directory: directory, port: port)
        let key = try NoteVerifierKey(name: Fixture.origin, type: .ed25519, publicKey: Fixture.ledgerKey.publicKey)
        let client = KhataClient(baseURL: first.url, ledgerKey: key, timeout: 5)
        let log = ReceiptLog()
        let running = Flag()
        let workers = (0..<4).map { worker in
            Thread {
                var n: UInt64 = 0
                while running.value {
                    n += 1
                    let payment = Fixture.transaction(
                        UInt64(worker) << 32 | n, [Fixture.transfer(1, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey])
                    if let receipt = try? client.submit([payment])[0], receipt.outcome == .committed { log.add(receipt) }
                }
            }
        }
        workers.forEach { $0.start() }
        // Kill mid-load, once the load is well under way (however slow the machine is).
        let underWay = Date().addingTimeInterval(20)
        while log.all.count < 40 && Date() < underWay { Thread.sleep(forTimeInterval: 0.05) }
        first.kill(signal)  // submitters still sending: they see errors from here on
        if signal == SIGTERM {
            #expect(
                first.process.terminationReason == .exit && first.process.terminationStatus == 0,
                "a graceful stop exits 0, not \(first.process.terminationStatus); the node's log ends:\n\(first.logTail)")
        }
        Thread.sleep(forTimeInterval: 0.5)
        running.value = false
        let acknowledged = log.all
        #expect(acknowledged.count >= 40, "the load acknowledged only \(acknowledged.count) transactions")
        let second = try NodeProcess(directory: directory, port: port)
        defer { second.kill(SIGTERM) }
        for receipt in acknowledged {
            let response = try BlockingHTTP.request("GET", second.url + "/v1/transactions/\(receipt.transaction.hex)")
            #expect(response.status == 200, "acknowledged \(receipt.transaction) is missing after the crash")
            guard response.status == 200 else { continue }
            let view = try JSONDecoder().decode(TransactionView.self, from: Data(response.body))
            #expect(view.receipt.index == receipt.index && view.receipt.leafHash == receipt.leafHash && view.receipt.outcome == receipt.outcome)
        }
        // Once a checkpoint covers everything, the whole log audits over HTTP.
        let last = acknowledged.map(\.index.value).max() ?? 0
        let restarted = KhataClient(baseURL: second.url, ledgerKey: key)
        let deadline = Date().addingTimeInterval(60)
        while (try? restarted.checkpoint().checkpoint.size) ?? 0 <= last, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let (report, _) = try Auditor(source: HTTPLogSource(baseURL: second.url), logKey: key).run()
        #expect(report.checkpoint.size > last)
    }
}
