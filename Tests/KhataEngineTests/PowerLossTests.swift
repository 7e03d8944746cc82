import Foundation
import KhataBytes
import KhataCore
import KhataLog
import KhataTestSupport
import Testing

@testable import KhataEngine
@testable import KhataStorage

/// Power loss, simulated beneath SQLite (`PowerLossVFS`): writes that were not
/// synced when the power went are gone, and recovery must still give exactly a
/// prefix of what was acknowledged, never a damaged or forked log.
@Suite("Power loss", .serialized)
struct PowerLossTests {
    init() { PowerLossVFS.register() }

    /// The simulation is real: with syncs off, committed rows are lost at a
    /// power loss; with the journal's `synchronous = FULL`, they are kept.
    @Test func onlySyncedWritesSurvive() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        for synchronous in ["OFF", "FULL"] {
            let path = "\(directory)/\(synchronous).sqlite"
            do {
                let db = try SQLiteConnection(path: path, create: true, vfs: PowerLossVFS.name)
                try db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = \(synchronous); CREATE TABLE t (x); INSERT INTO t VALUES (1);")
                PowerLossVFS.crash(after: 0)
            }
            PowerLossVFS.powerLoss()
            let reopened = try SQLiteConnection(path: path, create: false)
            let rows = try? reopened.scalarInt("SELECT COUNT(*) FROM t")
            #expect(rows == (synchronous == "FULL" ? 1 : nil), "synchronous = \(synchronous): \(String(describing: rows)) rows")
        }
    }

    /// A snapshot saved in parts loses power at every write and sync it makes, one
    /// crash point after another: each time the ledger reopens with the state it
    /// had, from the previous snapshot or (once its last part and row are synced)
    /// the new one, and never from a partial one.
    @Test func aCrashInTheMiddleOfASnapshotLosesNothing() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let original = "\(directory)/original.sqlite"
        var digest: Digest32
        var snapshot: StoredSnapshot
        do {
            let ledger = try Ledger.create(journal: try SQLiteJournal.create(path: original, origin: Fixture.origin), genesis: Fixture.genesis)
            _ = try ledger.submitLogged(verified((1...20).map { pay($0, 1) }))
            try ledger.snapshot()  // the previous snapshot, at 21 entries
            _ = try ledger.submitLogged(verified((21...40).map { pay($0, 1) }))
            digest = ledger.state.digest
            let bytes = ledger.state.encodedSnapshot()
            snapshot = StoredSnapshot(size: ledger.state.size, digest: Digest32.sha256(bytes), bytes: bytes)
        }
        var crashPoint = 0
        var sawNew = false
        while true {
            crashPoint += 1
            let path = "\(directory)/crash-\(crashPoint).sqlite"
            try FileManager.default.copyItem(atPath: original, toPath: path)
            PowerLossVFS.crash(after: crashPoint)
            var saved = true
            do {
                let writer = try SQLiteSnapshotWriter(path: path, partBytes: 1_024, vfs: PowerLossVFS.name)
                try writer.save(snapshot)
            } catch {
                saved = false
            }
            let crashed = PowerLossVFS.hasCrashed
            PowerLossVFS.powerLoss()
            let reopened = try Ledger.open(journal: try SQLiteJournal.open(path: path))
            #expect(reopened.state.digest == digest, "crash point \(crashPoint)")
            let latest = try #require(try reopened.journal.latestSnapshot())
            let isNew = latest.size == snapshot.size && latest.bytes == snapshot.bytes && latest.digest == snapshot.digest
            #expect(latest.size == 21 || isNew, "crash point \(crashPoint): a partial snapshot was loaded")
            sawNew = sawNew || isNew
            if !crashed {
                #expect(saved && isNew)
                break
            }
            #expect(crashPoint < 1_000, "the save never finished")
        }
        #expect(crashPoint > snapshot.bytes.count / 1_024, "the snapshot was saved in fewer parts than expected")
        #expect(sawNew)
    }

    /// A random workload (batches of random size, background snapshots every 40
    /// entries, checkpoints signed now and then) loses power at a random write or
    /// sync, 40 times over one ledger. After each loss the journal opens and
    /// verifies, holds every acknowledged entry with its leaf hash, and anything
    /// more is the head of the batch whose write was cut off (its outcome was
    /// unknown: SQLite can fail a commit after its frames were synced); signing
    /// goes on consistently, and the ledger takes new work.
    @Test func recoveryGivesAPrefixOfTheAcknowledgedHistory() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let path = "\(directory)/ledger.sqlite"
        let signer = try NoteSigner(name: Fixture.origin, key: Fixture.ledgerKey, type: .ed25519)
        var generator = SeededGenerator(seed: 13)
        var acknowledged: [LeafIndex: Digest32] = [:]
        var next: UInt64 = 1
        var ledger: Ledger? = try Ledger.create(
            journal: try SQLiteJournal.create(path: path, origin: Fixture.origin, vfs: PowerLossVFS.name), genesis: Fixture.genesis,
            snapshotInterval: 40)
        var crashes = 0
        var cutOff = 0
        for _ in 0..<(Int(ProcessInfo.processInfo.environment["POWER_LOSS_ROUNDS"] ?? "") ?? 40) {
            PowerLossVFS.crash(after: Int.random(in: 1...120, using: &generator))
            var attempted: [TransactionID] = []
            while true {
                let batch = (0..<Int.random(in: 1...30, using: &generator)).map { _ in
                    defer { next += 1 }
                    return pay(next, 1)
                }
                do {
                    if Int.random(in: 0..<4, using: &generator) == 0 { _ = try ledger!.signCheckpoint(with: signer) }
                    for receipt in try ledger!.submitLogged(verified(batch)) { acknowledged[receipt.index] = receipt.leafHash }
                } catch {
                    attempted = batch.map(\.id)
                    break
                }
            }
            #expect(PowerLossVFS.hasCrashed)
            ledger = nil  // every connection closed, as the process would be
            PowerLossVFS.powerLoss()
            crashes += 1

            let journal = try SQLiteJournal.open(path: path, vfs: PowerLossVFS.name)
            let reopened = try Ledger.open(journal: journal, snapshotInterval: 40)
            let size = reopened.state.size
            #expect(size > (acknowledged.keys.map(\.value).max() ?? 0), "acknowledged entries lost")
            for (index, leafHash) in acknowledged {
                #expect(try journal.entry(at: index).leafHash == leafHash, "entry \(index) changed")
            }
            // Entries beyond the acknowledged ones: the head of the batch that was cut off, in order.
            let base = UInt64(acknowledged.count + 1)  // entry 0 is the genesis
            let beyond = try journal.entries(from: LeafIndex(base), limit: 1_000)
            let extra = try beyond.map { stored -> TransactionID? in
                guard case .transaction(let transaction) = try Entry(decoding: stored.bytes).payload else { return nil }
                return transaction.id
            }
            #expect(extra == Array(attempted.prefix(extra.count)), "entries that were never attempted")
            for stored in beyond { acknowledged[stored.index] = stored.leafHash }
            cutOff += extra.count
            _ = try reopened.signCheckpoint(with: signer)  // consistent with every checkpoint signed before
            ledger = reopened
        }
        #expect(crashes >= 40)
        #expect(acknowledged.count > 200, "the workload acknowledged only \(acknowledged.count) entries")
        ledger = nil
        // The last state verifies from the disk alone, through the default VFS too.
        _ = try Ledger.open(journal: try SQLiteJournal.open(path: path))
        print("power loss: \(crashes) crashes, \(acknowledged.count) entries kept, \(cutOff) of them from cut-off batches")
    }
}
