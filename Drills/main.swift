// khata-drill: the fault drills of docs/OPERATIONS.md, run against the real
// `khata` executable (scripts/crash-drill, scripts/stop-drill).
//
//   khata-drill crash KHATA CYCLES [--payers N] [--prefill N] [--snapshot-interval N] [--keep]
//     (--keep: leave the work directory, with its ledger, for a closer look)
//   khata-drill stop KHATA CYCLES
//
// Each prints one JSON line with its counts and exits non-zero if anything that
// must hold did not.
import Foundation
import KhataAPI
import KhataBytes
import KhataClient
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLog
import KhataNode
import KhataVerify

#if canImport(Glibc)
    import Glibc
#endif

struct DrillFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func log(_ message: String) { FileHandle.standardError.write(Data("khata-drill: \(message)\n".utf8)) }

func milliseconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 }

/// A `khata` child process, its output kept in a file for when something fails.
final class Child {
    let process = Process()
    let output: String

    init(_ executable: String, _ arguments: [String], output: String, environment: [String: String] = [:]) throws {
        self.output = output
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if !FileManager.default.fileExists(atPath: output) { _ = FileManager.default.createFile(atPath: output, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        handle.seekToEndOfFile()
        handle.write(Data("==== khata \(arguments.joined(separator: " ")) at \(Date())\n".utf8))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// Polls `url` (every 10 ms, at most `limit` seconds) until it answers 200.
    func waitUntilReady(_ url: String, limit: Double = 60) throws {
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            if let response = try? BlockingHTTP.request("GET", url, timeout: 1), response.status == 200 { return }
            guard process.isRunning else { throw DrillFailure("khata exited with \(process.terminationStatus) before it was ready; see \(output)") }
            usleep(10_000)
        }
        throw DrillFailure("khata was not ready within \(limit) s; see \(output)")
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }
}

/// Acknowledged receipts, from several payer threads.
final class Acknowledged: @unchecked Sendable {
    private let lock = NSLock()
    private var receipts: [TransactionID: Receipt] = [:]
    private var running = true
    func add(_ receipt: Receipt) { lock.withLock { receipts[receipt.transaction] = receipt } }
    var all: [Receipt] { lock.withLock { Array(receipts.values) } }
    var isRunning: Bool { lock.withLock { running } }
    func stop() { lock.withLock { running = false } }
}

struct Payer {
    let account: AccountID
    let key: SigningKey
}

/// The dev ledger's people and companies with keys, from participants.json.
func payers(in directory: String) throws -> [Payer] {
    struct File: Decodable {
        struct Participant: Decodable {
            let role: String
            let account: AccountID
            let key: String?
        }
        let participants: [Participant]
    }
    let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/participants.json")))
    return try file.participants.filter { $0.role == "person" || $0.role == "company" }.compactMap { participant in
        guard let key = participant.key else { return nil }
        let path = "\(directory)/\(key)"
        return Payer(account: participant.account, key: try KeyFile.read(path).signingKey(path: path))
    }
}

let inr = AssetCode("INR")!

func payment(from payer: Payer, to payee: Payer, client: KhataClient) throws -> Transaction {
    try client.sign([.transfer(Transfer(asset: inr, debit: payer.account, credit: payee.account, amount: Amount(1)))], keys: [payer.key])
}

/// Fills a fresh ledger with `count` signed payments through the engine (no HTTP),
/// so that restart times can be measured on a large journal.
func prefill(_ directory: String, count: Int, snapshotInterval: UInt64, people: [Payer], client: KhataClient) throws {
    let ledger = try LedgerDirectory(directory).open(snapshotInterval: snapshotInterval)
    var done = 0
    while done < count {
        let size = min(1_000, count - done)
        let transactions = try (0..<size).map { n in
            try payment(from: people[n % people.count], to: people[(n + 1) % people.count], client: client)
        }
        let verified = SignatureVerifier.verify(transactions, origin: client.origin).map { try! $0.get() }
        _ = try ledger.submit(verified)
        done += size
        if done % 100_000 == 0 { log("prefilled \(done) of \(count) entries") }
    }
    try ledger.snapshot()  // waits for a background snapshot in flight, then takes the last
}

func crashDrill(khata: String, cycles: Int, payerCount: Int, prefillCount: Int, snapshotInterval: UInt64, keep: Bool) throws -> Bool {
    let work = NSTemporaryDirectory() + "khata-crash-drill-\(getpid())"
    let directory = "\(work)/ledger"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let initialise = try Child(khata, ["init", "--dev", "--data", directory], output: "\(work)/init.log")
    initialise.process.waitUntilExit()
    guard initialise.process.terminationStatus == 0 else { throw DrillFailure("khata init failed; see \(work)/init.log") }
    let vkey = try NoteVerifierKey(
        vkey: try String(contentsOfFile: "\(directory)/vkey", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
    let people = try payers(in: directory)
    guard people.count >= 2 else { throw DrillFailure("the dev ledger has fewer than two payers") }
    let port = Int.random(in: 20_000...30_000)
    let url = "http://127.0.0.1:\(port)"
    let client = KhataClient(baseURL: url, ledgerKey: vkey, timeout: 5)
    if prefillCount > 0 { try prefill(directory, count: prefillCount, snapshotInterval: snapshotInterval, people: people, client: client) }
    // Snapshots and checkpoints often, so that kills land in the middle of them.
    let environment = ["KHATA_SNAPSHOT_INTERVAL": String(snapshotInterval), "KHATA_CHECKPOINT_INTERVAL_MS": "50"]
    let acknowledged = Acknowledged()
    let threads = (0..<payerCount).map { n in
        Thread {
            let payer = people[n % people.count]
            let payee = people[(n + 1) % people.count]
            var pending: Transaction?
            while acknowledged.isRunning {
                do {
                    // The same transaction until its outcome is known: a retry after a crash
                    // answers with the original receipt if the first attempt was logged.
                    let transaction = try pending ?? payment(from: payer, to: payee, client: client)
                    pending = transaction
                    let receipt = try client.submit([transaction])[0]
                    acknowledged.add(receipt)
                    pending = nil
                } catch {
                    usleep(20_000)  // the node is down or restarting
                }
            }
        }
    }
    var restarts: [Double] = []
    var checkpoints: [UInt64: Digest32] = [:]
    var forks = 0
    var auditFailures = 0
    var auditState: AuditState?
    var audited: UInt64 = 0
    var generator = SystemRandomNumberGenerator()
    var node: Child?
    func observeCheckpoint() {
        guard let signed = try? client.checkpoint() else { return }
        if let seen = checkpoints[signed.checkpoint.size], seen != signed.checkpoint.root { forks += 1 }
        checkpoints[signed.checkpoint.size] = signed.checkpoint.root
    }
    for cycle in 0...cycles {
        let started = DispatchTime.now().uptimeNanoseconds
        let child = try Child(khata, ["node", "--data", directory, "--port", String(port)], output: "\(work)/node.log", environment: environment)
        try child.waitUntilReady("\(url)/readyz")
        node = child
        if cycle > 0 { restarts.append(milliseconds(since: started)) }
        if cycle == 0 { threads.forEach { $0.start() } }
        // The whole log so far audits, consistent with every earlier audit (no fork).
        do {
            let (report, state) = try Auditor(source: HTTPLogSource(baseURL: url), logKey: vkey).run(resumingFrom: auditState)
            (auditState, audited) = (state, report.checkpoint.size)
        } catch {
            auditFailures += 1
            log("cycle \(cycle): audit failed: \(error)")
        }
        observeCheckpoint()
        guard cycle < cycles else { break }
        // Under load for a random time, then a crash.
        let loaded = DispatchTime.now().uptimeNanoseconds
        let wait = UInt64.random(in: 50_000...1_500_000, using: &generator)
        while DispatchTime.now().uptimeNanoseconds - loaded < wait * 1_000 {
            usleep(UInt32(min(100_000, wait / 4)))
            observeCheckpoint()
        }
        child.signal(SIGKILL)
        child.process.waitUntilExit()
        log("cycle \(cycle + 1) of \(cycles): killed after \(wait / 1_000) ms; \(acknowledged.all.count) acknowledged so far")
    }
    acknowledged.stop()
    for thread in threads { while thread.isExecuting { usleep(10_000) } }
    // Every acknowledged transaction is in the log at its receipt's index, with its leaf hash.
    let receipts = acknowledged.all
    var lost = 0
    for receipt in receipts {
        guard let response = try? BlockingHTTP.request("GET", "\(url)/v1/transactions/\(receipt.transaction.hex)"), response.status == 200,
            let view = try? JSONDecoder().decode(TransactionView.self, from: Data(response.body)),
            view.receipt.index == receipt.index && view.receipt.leafHash == receipt.leafHash
        else {
            lost += 1
            log("acknowledged \(receipt.transaction) at \(receipt.index) is missing or different")
            continue
        }
    }
    node?.signal(SIGTERM)
    node?.process.waitUntilExit()
    let sorted = restarts.sorted()
    let p50 = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    let result: [String: Any] = [
        "cycles": cycles, "acknowledged": receipts.count, "acknowledged_lost": lost, "audit_failures": auditFailures, "forks": forks,
        "restart_p50_ms": (p50 * 10).rounded() / 10, "restart_max_ms": ((sorted.last ?? 0) * 10).rounded() / 10,
        "entries": audited, "snapshot_interval": snapshotInterval,
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
    let passed = lost == 0 && auditFailures == 0 && forks == 0 && receipts.count > 0
    if passed && !keep { try? FileManager.default.removeItem(atPath: work) } else { log("kept \(work) for investigation") }
    return passed
}

/// Starts `khata dev` and stops it with SIGTERM or SIGINT at a random moment
/// (while starting, just ready, or later), `cycles` times: each must exit within
/// `limit` seconds, and the next start must succeed.
func stopDrill(khata: String, cycles: Int, limit: Double = 5) throws -> Bool {
    let work = NSTemporaryDirectory() + "khata-stop-drill-\(getpid())"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    var generator = SystemRandomNumberGenerator()
    var exits: [Double] = []
    var slow = 0
    var failedStarts = 0
    let port = Int.random(in: 20_000...30_000)
    for cycle in 1...cycles {
        let signal = Bool.random(using: &generator) ? SIGTERM : SIGINT
        let child = try Child(
            khata, ["dev", "--data", "\(work)/ledger", "--port", String(port)], output: "\(work)/dev.log",
            environment: ["KHATA_CHECKPOINT_INTERVAL_MS": "50"])
        // A third of the stops come while it starts, the rest after it is ready.
        let early = UInt64.random(in: 0..<3, using: &generator) == 0
        if early {
            usleep(UInt32.random(in: 0...300_000, using: &generator))
        } else {
            do { try child.waitUntilReady("http://127.0.0.1:\(port)/readyz") } catch {
                failedStarts += 1
                log("cycle \(cycle): \(error)")
            }
            usleep(UInt32.random(in: 0...1_500_000, using: &generator))
        }
        let sent = DispatchTime.now().uptimeNanoseconds
        log("cycle \(cycle): \(signal == SIGTERM ? "SIGTERM" : "SIGINT") \(early ? "while starting" : "when ready")")
        child.signal(signal)
        while child.process.isRunning && milliseconds(since: sent) < limit * 2_000 { usleep(5_000) }
        let took = milliseconds(since: sent)
        if child.process.isRunning {
            child.signal(SIGKILL)
            child.process.waitUntilExit()
        }
        exits.append(took)
        if took > limit * 1_000 {
            slow += 1
            log("cycle \(cycle): \(signal == SIGTERM ? "SIGTERM" : "SIGINT") took \(Int(took)) ms to exit")
        }
    }
    let sorted = exits.sorted()
    let result: [String: Any] = [
        "cycles": cycles, "slower_than_limit": slow, "failed_starts": failedStarts, "limit_ms": Int(limit * 1_000),
        "exit_p50_ms": (sorted[sorted.count / 2] * 10).rounded() / 10, "exit_max_ms": ((sorted.last ?? 0) * 10).rounded() / 10,
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
    let passed = slow == 0 && failedStarts == 0
    if passed { try? FileManager.default.removeItem(atPath: work) } else { log("kept \(work) for investigation") }
    return passed
}

func option(_ name: String, in arguments: [String], default value: Int) throws -> Int {
    guard let position = arguments.firstIndex(of: name) else { return value }
    guard position + 1 < arguments.count, let number = Int(arguments[position + 1]), number >= 0 else {
        throw DrillFailure("\(name) takes a whole number")
    }
    return number
}

let arguments = Array(CommandLine.arguments.dropFirst())
let usage = """
    usage: khata-drill crash KHATA CYCLES [--payers N] [--prefill N] [--snapshot-interval N] [--keep]
           khata-drill stop KHATA CYCLES
    """
do {
    guard arguments.count >= 3, let cycles = Int(arguments[2]), (1...10_000).contains(cycles) else { throw DrillFailure(usage) }
    let passed: Bool
    switch arguments[0] {
    case "crash":
        passed = try crashDrill(
            khata: arguments[1], cycles: cycles, payerCount: try option("--payers", in: arguments, default: 4),
            prefillCount: try option("--prefill", in: arguments, default: 0),
            snapshotInterval: UInt64(max(1, try option("--snapshot-interval", in: arguments, default: 500))),
            keep: arguments.contains("--keep"))
    case "stop":
        passed = try stopDrill(khata: arguments[1], cycles: cycles)
    default:
        throw DrillFailure(usage)
    }
    exit(passed ? 0 : 1)
} catch {
    log("\(error)")
    exit(2)
}
