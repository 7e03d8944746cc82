import Foundation
import KhataBytes
import KhataClient
import KhataCore
import KhataLog
import KhataStorage
import KhataTestSupport
import Testing

@testable import KhataWitnessServer

let logOrigin = "khata.test/ledger"
let logSigner = try! NoteSigner(name: logOrigin, key: testKey(100), type: .ed25519)
let witnessSigner = try! NoteSigner(name: "witness.test/w1", key: testKey(101), type: .cosignatureV1)

/// A log of leaf hashes, to make checkpoints and proofs from.
struct TestLog {
    var leaves: [Digest32] = []
    mutating func grow(to size: Int) { while leaves.count < size { leaves.append(RFC6962.leafHash(Array("entry \(leaves.count)".utf8))) } }
    var reader: InMemoryTreeHashes { InMemoryTreeHashes(leaves: leaves) }

    func note(size: Int, signer: NoteSigner = logSigner) throws -> SignedNote {
        let checkpoint = Checkpoint(
            origin: signer.verifierKey.name, size: UInt64(size), root: try MerkleTree.root(size: UInt64(size), reader: reader))
        return SignedNote(text: checkpoint.text, signatures: [signer.sign(checkpoint.text)])
    }

    func request(old: Int, size: Int) throws -> [UInt8] {
        let proof = old == 0 ? [] : try MerkleTree.consistencyProof(oldSize: UInt64(old), newSize: UInt64(size), reader: reader)
        return Array(try TlogWitness.Request(oldSize: UInt64(old), proof: proof, note: try note(size: size)).body.utf8)
    }
}

func makeWitness(store: any WitnessStore = MemoryWitnessStore()) -> TlogWitness {
    TlogWitness(signer: witnessSigner, logs: [WitnessedLog(origin: logOrigin, keys: [logSigner.verifierKey])], store: store)
}

@Suite("tlog-witness protocol")
struct WitnessProtocolTests {
    /// A first checkpoint, then a consistent larger one: both cosigned, and the
    /// cosignature verifies with the witness's key and carries the time.
    @Test func cosignsConsistentCheckpoints() throws {
        var log = TestLog()
        log.grow(to: 10)
        let witness = makeWitness()
        let first = witness.addCheckpoint(try log.request(old: 0, size: 10), time: 1_767_225_600)
        #expect(first.status == 200)
        let line = try NoteSignature(line: first.body.dropLast())
        let cosigned = SignedNote(text: try log.note(size: 10).text, signatures: [line])
        #expect(try cosigned.verify([witnessSigner.verifierKey]).first?.time == 1_767_225_600)
        log.grow(to: 300)
        #expect(witness.addCheckpoint(try log.request(old: 10, size: 300), time: 1).status == 200)
        // The same checkpoint again is cosigned again.
        #expect(witness.addCheckpoint(try log.request(old: 300, size: 300), time: 2).status == 200)
    }

    /// A forked log is refused: same size with another root, a smaller size, a wrong proof.
    @Test func refusesForks() throws {
        var log = TestLog()
        log.grow(to: 20)
        let witness = makeWitness()
        #expect(witness.addCheckpoint(try log.request(old: 0, size: 20), time: 1).status == 200)
        var fork = TestLog(leaves: Array(log.leaves.prefix(19)))
        fork.leaves.append(RFC6962.leafHash(Array("forged".utf8)))
        // Same size, different root.
        #expect(witness.addCheckpoint(try fork.request(old: 20, size: 20), time: 2).status == 409)
        // A smaller size than cosigned: old (20) exceeds the new size.
        let smaller = Array(try TlogWitness.Request(oldSize: 20, proof: [], note: try log.note(size: 15)).body.utf8)
        #expect(witness.addCheckpoint(smaller, time: 3).status == 400)
        // A smaller size claiming a smaller old size: 409 with the witness's size.
        let answer = witness.addCheckpoint(try log.request(old: 10, size: 15), time: 4)
        #expect(answer == TlogWitness.Response(status: 409, contentType: "text/x.tlog.size", body: "20\n"))
        // A larger fork whose proof cannot connect to what was cosigned.
        fork.grow(to: 40)
        #expect(witness.addCheckpoint(try fork.request(old: 20, size: 40), time: 5).status == 422)
        // The honest log still proceeds.
        log.grow(to: 40)
        #expect(witness.addCheckpoint(try log.request(old: 20, size: 40), time: 6).status == 200)
    }

    @Test func refusesUnknownLogsAndBadSignatures() throws {
        var log = TestLog()
        log.grow(to: 5)
        let witness = makeWitness()
        let stranger = try NoteSigner(name: "other.test/log", key: testKey(102), type: .ed25519)
        let unknown = Array(try TlogWitness.Request(oldSize: 0, proof: [], note: try log.note(size: 5, signer: stranger)).body.utf8)
        #expect(witness.addCheckpoint(unknown, time: 1).status == 404)
        let impostor = try NoteSigner(name: logOrigin, key: testKey(103), type: .ed25519)
        let forged = Array(try TlogWitness.Request(oldSize: 0, proof: [], note: try log.note(size: 5, signer: impostor)).body.utf8)
        #expect(witness.addCheckpoint(forged, time: 1).status == 403)
        for garbage in ["", "old x\n\nfoo\n", "old 0\n", "old 0\n\nnot a note"] {
            #expect(witness.addCheckpoint(Array(garbage.utf8), time: 1).status == 400, "\(garbage)")
        }
        #expect(witness.addCheckpoint(Array(repeating: 0x41, count: TlogWitness.maxRequestBytes + 1), time: 1).status == 413)
    }

    /// The SQLite store persists across restarts, and its compare-and-swap refuses a stale old size.
    @Test func sqliteStorePersistsAtomically() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        var log = TestLog()
        log.grow(to: 30)
        do {
            let witness = makeWitness(store: try SQLiteWitnessStore(path: directory + "/w.sqlite"))
            #expect(witness.addCheckpoint(try log.request(old: 0, size: 30), time: 1).status == 200)
        }
        let store = try SQLiteWitnessStore(path: directory + "/w.sqlite")
        #expect(try store.record(for: logOrigin)?.size == 30)
        let witness = makeWitness(store: store)
        #expect(witness.addCheckpoint(try log.request(old: 0, size: 30), time: 2).body == "30\n")
        #expect(try store.replace(origin: logOrigin, expectedSize: 29, with: WitnessRecord(size: 31, root: log.leaves[0]), note: "") == false)
        #expect(try store.record(for: logOrigin)?.size == 30)
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: directory + "/bad.sqlite"))
        #expect(throws: StorageError.self) { try SQLiteWitnessStore(path: directory + "/bad.sqlite") }
    }
}

@Suite("Witnesses racing")
struct WitnessRaceTests {
    /// Witness processes sharing one store race to cosign two histories of the
    /// same size, both extending what they cosigned: the store's compare-and-swap
    /// lets one history win; every other request is refused (409) or cosigns the
    /// winner again, so no two roots of one size are ever cosigned.
    @Test func oneHistoryWinsTheRace() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        var honest = TestLog()
        honest.grow(to: 10)
        let path = directory + "/w.sqlite"
        #expect(makeWitness(store: try SQLiteWitnessStore(path: path)).addCheckpoint(try honest.request(old: 0, size: 10), time: 1).status == 200)
        for round in 0..<10 {
            let base = 10 + round * 10
            var fork = TestLog(leaves: honest.leaves)
            fork.leaves.append(RFC6962.leafHash(Array("forged \(round)".utf8)))
            fork.grow(to: base + 10)
            honest.grow(to: base + 10)
            let requests = [try honest.request(old: base, size: base + 10), try fork.request(old: base, size: base + 10)]
            let roots = [try honest.note(size: base + 10).text, try fork.note(size: base + 10).text]
            // One witness (its own store connection, as another process would have) per thread.
            let witnesses = try (0..<6).map { _ in makeWitness(store: try SQLiteWitnessStore(path: path)) }
            let answers = Answers()
            let start = DispatchSemaphore(value: 0)
            let done = DispatchGroup()
            for (n, witness) in witnesses.enumerated() {
                done.enter()
                nonisolated(unsafe) let witness = witness  // used by this thread alone
                Thread {
                    start.wait()
                    answers.add(n % 2, witness.addCheckpoint(requests[n % 2], time: UInt64(round)))
                    done.leave()
                }.start()
            }
            for _ in witnesses { start.signal() }
            done.wait()
            let cosigned = Set(answers.all.filter { $0.1.status == 200 }.map(\.0))
            #expect(cosigned.count == 1, "round \(round): cosigned \(cosigned)")
            #expect(answers.all.allSatisfy { $0.1.status == 200 || $0.1.status == 409 }, "\(answers.all.map(\.1.status))")
            let stored = try #require(try SQLiteWitnessStore(path: path).record(for: logOrigin))
            let winner = try #require(cosigned.first)
            let winning = try Checkpoint(text: roots[winner])
            #expect(stored.size == UInt64(base + 10) && winning.root == stored.root)
            if winner == 1 { honest = fork }  // the history the witness now vouches for goes on
        }
    }
}

final class Answers: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [(Int, TlogWitness.Response)] = []
    func add(_ history: Int, _ response: TlogWitness.Response) { lock.withLock { answers.append((history, response)) } }
    var all: [(Int, TlogWitness.Response)] { lock.withLock { answers } }
}

/// Over a real socket: the Hummingbird service and the ledger's client.
@Suite("Witness over HTTP")
struct WitnessHTTPTests {
    @Test func ledgerClientGetsCosignatures() async throws {
        var log = TestLog()
        log.grow(to: 12)
        let witness = makeWitness()
        let port = PortBox()
        let app = WitnessServer.application(witness: witness, host: "127.0.0.1", port: 0) { bound in port.set(bound) }
        let server = Task { try await app.runService() }
        defer { server.cancel() }
        let bound = try await port.wait()
        let endpoint = WitnessEndpoint(url: "http://127.0.0.1:\(bound)", key: witnessSigner.verifierKey)
        for size in [12, 700] {
            log.grow(to: size)
            let note = try log.note(size: size)
            let signed = SignedCheckpoint(checkpoint: try Checkpoint(text: note.text), note: note)
            let reader = log.reader
            let outcome = try await offPool {
                CheckpointCosigning.cosign(signed, witnesses: [endpoint]) { old in
                    try MerkleTree.consistencyProof(oldSize: old, newSize: UInt64(size), reader: reader)
                }
            }
            #expect(outcome.failures.isEmpty, "\(outcome.failures)")
            let verified = try SignedCheckpoint(
                note: outcome.note.formatted, logKey: logSigner.verifierKey, witnesses: [witnessSigner.verifierKey], quorum: 1)
            #expect(verified.checkpoint.size == UInt64(size))
        }
        // An unreachable witness is reported, not fatal.
        let note = try log.note(size: 700)
        let dead = WitnessEndpoint(url: "http://127.0.0.1:1", key: witnessSigner.verifierKey)
        let outcome = CheckpointCosigning.cosign(
            SignedCheckpoint(checkpoint: try Checkpoint(text: note.text), note: note), witnesses: [dead], timeout: 2
        ) { _ in [] }
        #expect(outcome.cosigners.isEmpty && outcome.failures.count == 1)
    }
}

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    func set(_ value: Int) {
        lock.lock()
        port = value
        lock.unlock()
    }
    var value: Int? { lock.withLock { port } }
    func wait() async throws -> Int {
        for _ in 0..<500 {
            if let value { return value }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        throw WitnessClientError("the server did not start")
    }
}
