import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEngine
import KhataLog
import KhataNode
import KhataTestSupport
import Logging

/// A node of the fixture ledger running in-process on a free port, with the
/// fixture's ledger key configured so it publishes checkpoints.
final class RunningNode: @unchecked Sendable {
    let directory: String
    let url: String
    let client: KhataClient
    private let task: Task<Void, any Error>

    static func start(
        directory: String = temporaryDirectory(), create: Bool = true, queueCapacity: Int? = nil, genesis: Genesis = Fixture.genesis,
        liabilitiesInterval: Int? = nil, commitSpacingMicroseconds: Int? = nil
    ) async throws -> RunningNode {
        if create {
            _ = try LedgerDirectory(directory).create(genesis: genesis)
            try KeyFile(name: "ledger", key: Fixture.ledgerKey).write(to: directory + "/ledger.key")
        }
        var configuration = NodeConfiguration(ledgerKey: "ledger.key")
        configuration.port = 0
        configuration.checkpointIntervalMilliseconds = 50
        configuration.queueCapacity = queueCapacity
        configuration.liabilitiesIntervalSeconds = liabilitiesInterval
        configuration.commitSpacingMicroseconds = commitSpacingMicroseconds
        let port = PortBox()
        var logger = Logger(label: "khata.test.node")
        logger.logLevel = .critical
        let task = Task { [configuration, logger] in
            try await Node.run(directory: directory, configuration: configuration, logger: logger) { port.set($0) }
        }
        let bound = try await port.wait()
        let url = "http://127.0.0.1:\(bound)"
        let key = try NoteVerifierKey(name: Fixture.origin, type: .ed25519, publicKey: Fixture.ledgerKey.publicKey)
        return RunningNode(directory: directory, url: url, client: KhataClient(baseURL: url, ledgerKey: key), task: task)
    }

    private init(directory: String, url: String, client: KhataClient, task: Task<Void, any Error>) {
        self.directory = directory
        self.url = url
        self.client = client
        self.task = task
    }

    /// Stops the node gracefully and waits for it.
    func stop() async {
        task.cancel()
        _ = await task.result
    }

    func request(_ method: String, _ path: String, body: [UInt8]? = nil, type: String? = nil) throws -> BlockingHTTP.Response {
        try BlockingHTTP.request(method, url + path, body: body, headers: type.map { ["Content-Type": $0] } ?? [:])
    }
}

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    func set(_ value: Int) { lock.withLock { port = value } }
    var value: Int? { lock.withLock { port } }
    func wait() async throws -> Int {
        for _ in 0..<1_000 {
            if let value { return value }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        throw BlockingHTTP.Failure("the node did not start")
    }
}

/// Runs `body` with a fresh node, and stops it and removes its directory however `body` ends.
func withNode(
    queueCapacity: Int? = nil, genesis: Genesis = Fixture.genesis, liabilitiesInterval: Int? = nil, commitSpacingMicroseconds: Int? = nil,
    _ body: (RunningNode) async throws -> Void
) async throws {
    let node = try await RunningNode.start(
        queueCapacity: queueCapacity, genesis: genesis, liabilitiesInterval: liabilitiesInterval,
        commitSpacingMicroseconds: commitSpacingMicroseconds)
    do {
        try await body(node)
    } catch {
        await node.stop()
        removeDirectory(node.directory)
        throw error
    }
    await node.stop()
    removeDirectory(node.directory)
}
