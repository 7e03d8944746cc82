import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataLog
import KhataTestSupport
import Testing

/// The client keeps the last checkpoint it accepted in a file, so that a node
/// that forks or rolls back is caught across runs, and no two threads or
/// processes can store checkpoints that were not proved consistent.
@Suite("Client checkpoints", .serialized)
struct ClientCheckpointTests {
    private static let key = try! NoteVerifierKey(name: Fixture.origin, type: .ed25519, publicKey: Fixture.ledgerKey.publicKey)

    private static func pay(_ node: RunningNode, _ n: UInt64, _ amount: UInt64) async throws {
        let payment = Fixture.transaction(n, [Fixture.transfer(amount, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey])
        _ = try await offPool { try node.client.waitForVerifiedReceipt(try node.client.submit([payment])[0].transaction, timeout: 120) }
    }

    /// Run after run, a client with the same file accepts a log that grew and
    /// refuses a node showing another history (same ledger key, other entries).
    @Test func aForkIsCaughtAcrossRuns() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let file = directory + "/client-checkpoint"
        try await withNode { honest in
            try await withNode { forked in
                try await Self.pay(honest, 1, 10)
                try await Self.pay(forked, 1, 11)
                try await Self.pay(forked, 2, 12)
                let first = try await offPool { try KhataClient(baseURL: honest.url, ledgerKey: Self.key, checkpointFile: file).checkpoint() }
                #expect(first.checkpoint.size == 2)
                try await Self.pay(honest, 2, 13)
                // A later run: the grown log is proved consistent with the stored checkpoint.
                let second = try await offPool { try KhataClient(baseURL: honest.url, ledgerKey: Self.key, checkpointFile: file).checkpoint() }
                #expect(second.checkpoint.size == 3)
                // Another history at the same size is refused, and the file keeps the honest checkpoint.
                await #expect {
                    try await offPool { try KhataClient(baseURL: forked.url, ledgerKey: Self.key, checkpointFile: file).checkpoint() }
                } throws: { ($0 as? ClientError)?.code == "inconsistent" }
                let kept = try String(contentsOfFile: file, encoding: .utf8)
                #expect(kept == second.note.formatted)
                // A damaged file is an error, not a fresh start.
                try Data("not a checkpoint\n".utf8).write(to: URL(fileURLWithPath: file))
                await #expect {
                    try await offPool { try KhataClient(baseURL: honest.url, ledgerKey: Self.key, checkpointFile: file).checkpoint() }
                } throws: { ($0 as? ClientError)?.code == "bad_checkpoint_file" }
            }
        }
    }

    /// What another client wrote to the shared file is proved too: an older
    /// honest checkpoint is taken and the larger kept; a forked one is refused.
    @Test func anotherClientsCheckpointIsProvedToo() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let file = directory + "/client-checkpoint"
        func note(_ node: RunningNode) async throws -> Data { Data(try await offPool { try node.request("GET", "/log/checkpoint") }.body) }
        try await withNode { honest in
            try await withNode { forked in
                try await Self.pay(honest, 1, 10)
                let honestTwo = try await note(honest)
                try await Self.pay(forked, 1, 11)
                let forkedTwo = try await note(forked)
                try await Self.pay(honest, 2, 12)
                let client = KhataClient(baseURL: honest.url, ledgerKey: Self.key, checkpointFile: file)
                #expect(try await offPool { try client.checkpoint() }.checkpoint.size == 3)
                // Another process wrote an older checkpoint of the same history: proved, and the larger kept.
                try honestTwo.write(to: URL(fileURLWithPath: file))
                try await Self.pay(honest, 3, 13)
                #expect(try await offPool { try client.checkpoint() }.checkpoint.size == 4)
                let stored = try SignedCheckpoint(note: try String(contentsOfFile: file, encoding: .utf8), logKey: Self.key)
                #expect(stored.checkpoint.size == 4 && client.lastCheckpoint?.size == 4)
                // Another process wrote a checkpoint of another history: refused.
                try forkedTwo.write(to: URL(fileURLWithPath: file))
                try await Self.pay(honest, 4, 14)
                await #expect { try await offPool { try client.checkpoint() } } throws: { ($0 as? ClientError)?.code == "inconsistent" }
            }
        }
    }

    /// Clients on many threads, sharing one file, accept checkpoints while the
    /// log grows: none fails, and the file ends at the largest one accepted.
    @Test func concurrentClientsShareOneFile() async throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let file = directory + "/client-checkpoint"
        try await withNode { node in
            try await Self.pay(node, 100, 1)  // a first checkpoint
            let url = node.url
            let sizes = try await withThrowingTaskGroup(of: UInt64.self) { group in
                group.addTask {
                    for n in 1...20 { try await Self.pay(node, UInt64(n), 1) }
                    return 0
                }
                for _ in 0..<6 {
                    group.addTask {
                        try await offPool {
                            let client = KhataClient(baseURL: url, ledgerKey: Self.key, checkpointFile: file)
                            var largest: UInt64 = 0
                            for _ in 0..<30 { largest = max(largest, try client.checkpoint().checkpoint.size) }
                            return largest
                        }
                    }
                }
                return try await group.reduce(into: [UInt64]()) { $0.append($1) }
            }
            let stored = try SignedCheckpoint(note: try String(contentsOfFile: file, encoding: .utf8), logKey: Self.key)
            #expect(stored.checkpoint.size >= sizes.max()!)
        }
    }
}
