import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEngine
import KhataLog
import KhataNode
import KhataTestSupport
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A node of the fixture ledger running in-process on a free port, with the
/// fixture's ledger key configured so it publishes checkpoints.
final class RunningNode: @unchecked Sendable {
    let directory: String
    let url: String
    let client: KhataClient
    private let task: Task<Void, any Error>

    static func start(
        directory: String = temporaryDirectory(), create: Bool = true, queueCapacity: Int? = nil, genesis: Genesis = Fixture.genesis,
        liabilitiesInterval: Int? = nil, commitSpacingMicroseconds: Int? = nil,
        configure: @Sendable (inout NodeConfiguration) -> Void = { _ in }
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
        configure(&configuration)
        let port = PortBox()
        var logger = Logger(label: "khata.test.node")
        logger.logLevel = .critical
        let task = Task { [configuration, logger] in
            // As `khata node` does: the HTTP server's metrics through swift-metrics, into
            // the process's registry (shared by every node of this test process).
            try await Node.run(directory: directory, configuration: configuration, logger: logger, serverMetrics: ServerMetrics.bootstrap()) {
                port.set($0)
            }
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

    /// The port the node listens on.
    var port: UInt16 { UInt16(url.split(separator: ":").last!)! }

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
        for _ in 0..<12_000 {  // up to 2 minutes: a hang guard, not a timing assertion
            if let value { return value }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        throw BlockingHTTP.Failure("the node did not start")
    }
}

/// Runs `body` with a fresh node, and stops it and removes its directory however `body` ends.
func withNode(
    queueCapacity: Int? = nil, genesis: Genesis = Fixture.genesis, liabilitiesInterval: Int? = nil, commitSpacingMicroseconds: Int? = nil,
    configure: @Sendable (inout NodeConfiguration) -> Void = { _ in },
    _ body: (RunningNode) async throws -> Void
) async throws {
    let node = try await RunningNode.start(
        queueCapacity: queueCapacity, genesis: genesis, liabilitiesInterval: liabilitiesInterval,
        commitSpacingMicroseconds: commitSpacingMicroseconds, configure: configure)
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

/// A raw TCP connection to a node, from a chosen loopback address, for tests
/// that speak HTTP badly on purpose (half a header, an idle connection, a
/// declared body never sent). Reads wait on the socket, never on a clock; a
/// 30-second receive timeout only keeps a broken test from hanging.
final class RawSocket: @unchecked Sendable {
    let descriptor: Int32

    init(to port: UInt16, from source: String = "127.0.0.1") throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BlockingHTTP.Failure("socket failed") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        var guardTime = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &guardTime, socklen_t(MemoryLayout<timeval>.size))
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else {
            close(descriptor)
            throw BlockingHTTP.Failure("cannot connect from \(source): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything the node sends until it closes the connection (or the guard expires).
    func readUntilClosed() -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return received }
            received += buffer[..<count]
        }
    }

    /// The first response's head, read up to its blank line.
    func readHead() -> String {
        var received: [UInt8] = []
        var byte: UInt8 = 0
        while !received.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)), recv(descriptor, &byte, 1, 0) == 1 { received.append(byte) }
        return String(decoding: received, as: UTF8.self)
    }
}
