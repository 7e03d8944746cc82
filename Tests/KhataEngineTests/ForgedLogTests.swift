import Foundation
import KhataBytes
import KhataCore
import KhataLog
import KhataTestSupport
import KhataVerify
import Testing

@testable import KhataEngine
@testable import KhataStorage

/// A log the ledger key signed but whose entries do not replay: what a lying
/// ledger would publish. Its tiles and checkpoint are consistent with its
/// entries, so only replay can catch it.
struct ForgedLog: LogSource {
    let entries: [[UInt8]]
    let leaves: [Digest32]
    let note: String

    init(entries: [[UInt8]]) {
        self.entries = entries
        leaves = entries.map(RFC6962.leafHash)
        let checkpoint = Checkpoint(origin: Fixture.origin, size: UInt64(entries.count), root: RFC6962.rootOfLeafHashes(leaves[...]))
        var signed = SignedNote(text: checkpoint.text)
        signed.signatures = [ledgerSigner.sign(checkpoint.text)]
        note = signed.formatted
    }

    var name: String { "a forged log" }
    func checkpointNote() throws -> String { note }

    func tile(level: Int, index: UInt64, width: Int) throws -> [Digest32] {
        let span = 1 << (8 * level)
        return (0..<width).map { j in
            let start = (Int(index) * Tiles.width + j) * span
            return RFC6962.perfectRoot(leaves[start..<(start + span)])
        }
    }

    func bundle(index: UInt64, width: Int) throws -> [[UInt8]] {
        let start = Int(index) * Tiles.width
        return Array(entries[start..<(start + width)])
    }
}

@Suite struct ForgedLogTests {
    /// The entries of an honest ledger of `count` entries, decoded.
    static func honestEntries(_ count: Int) throws -> [Entry] {
        let directory = try signedLedger(entries: count)
        defer { removeDirectory(directory) }
        let journal = try SQLiteJournal.open(path: LedgerDirectory(directory).journalPath)
        return try journal.entries(from: LeafIndex(0), limit: count).map { try Entry(decoding: $0.bytes) }
    }

    /// `entry` claiming to have been rejected (it replays as committed).
    static func lyingAboutOutcome(_ entry: Entry) -> Entry {
        Entry(index: entry.index, time: entry.time, payload: entry.payload, outcome: .rejected(.exceedsAvailableBalance, operation: 0))
    }

    /// `entry` with its transaction's signature broken.
    static func withBrokenSignature(_ entry: Entry) throws -> Entry {
        guard case .transaction(let transaction) = entry.payload else { preconditionFailure("not a transaction") }
        let broken = transaction.signatures.map { signature in
            var bytes = signature.signature
            bytes[10] ^= 1
            return TransactionSignature(key: signature.key, signature: bytes)
        }
        let forged = try Transaction(id: transaction.id, operations: transaction.operations, signatures: broken)
        return Entry(index: entry.index, time: entry.time, payload: .transaction(forged), outcome: entry.outcome)
    }

    @Test func honestForgedLogAudits() throws {
        let entries = try Self.honestEntries(600)
        let report = try audit(ForgedLog(entries: entries.map(\.encoded))).get().0
        #expect(report.checkpoint.size == 600)
    }

    /// A logged outcome replay disagrees with is named by its index.
    @Test func lieAboutAnOutcomeIsFound() throws {
        var entries = try Self.honestEntries(600)
        entries[300] = Self.lyingAboutOutcome(entries[300])
        let failure = try #require(auditFailure(ForgedLog(entries: entries.map(\.encoded))))
        #expect(failure.index == LeafIndex(300), "\(failure)")
        #expect(failure.message.contains("replay"), "\(failure)")
    }

    /// A log that holds a rejection its signers could not decide (a stranger
    /// signed a payer's body; logs before the refusal rule could) still replays,
    /// and the audit names the entry.
    @Test func strangerPinnedRejectionIsReported() throws {
        var entries = try Self.honestEntries(600)
        guard case .transaction(let genuine) = entries[300].payload else { preconditionFailure("not a transaction") }
        let stolen = try Transaction(id: genuine.id, operations: genuine.operations).signed(by: [testKey(99)], origin: Fixture.origin)
        entries[300] = Entry(
            index: entries[300].index, time: entries[300].time, payload: .transaction(stolen),
            outcome: .rejected(.insufficientSignatures, operation: 0))
        let report = try audit(ForgedLog(entries: entries.map(\.encoded))).get().0
        #expect(report.unauthorisedRejections == [300])
        #expect(try audit(ForgedLog(entries: try Self.honestEntries(600).map(\.encoded))).get().0.unauthorisedRejections.isEmpty)
    }

    /// Replay runs a bundle behind signature checking: a replay failure in an
    /// earlier bundle is still the one reported when a later bundle's
    /// signature check fails first in time.
    @Test func earliestFailureIsReported() throws {
        var entries = try Self.honestEntries(600)
        entries[300] = Self.lyingAboutOutcome(entries[300])
        entries[520] = try Self.withBrokenSignature(entries[520])
        let failure = try #require(auditFailure(ForgedLog(entries: entries.map(\.encoded))))
        #expect(failure.index == LeafIndex(300), "\(failure)")
        // Alone, the broken signature is found and named.
        var signatureOnly = try Self.honestEntries(600)
        signatureOnly[520] = try Self.withBrokenSignature(signatureOnly[520])
        let second = try #require(auditFailure(ForgedLog(entries: signatureOnly.map(\.encoded))))
        #expect(second.index == LeafIndex(520) && second.message.contains("signature"), "\(second)")
    }
}
