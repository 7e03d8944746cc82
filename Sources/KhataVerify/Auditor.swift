import Dispatch
import Foundation
import KhataBytes
import KhataCore
import KhataLog

/// The first thing found wrong by an audit: the entry (if one is to blame) and what.
public struct AuditFailure: Error, CustomStringConvertible {
    public let index: LeafIndex?
    public let message: String

    public init(index: LeafIndex? = nil, _ message: String) {
        self.index = index
        self.message = message
    }

    public var description: String { index.map { "entry \($0): \(message)" } ?? message }
}

/// What an audit established.
public struct AuditReport: Sendable {
    public let checkpoint: Checkpoint
    /// Names of the witnesses whose cosignatures verified.
    public let cosigners: [String]
    /// The first entry replayed in this run (0, or where a previous audit stopped).
    public let start: UInt64
    public let seconds: Double
    public let digest: Digest32
    /// The state replayed from the log up to the checkpoint.
    public let state: LedgerState
    /// Indices of the entries replayed in this run that are rejections a
    /// sequencer should have refused: their signers were not enough for them, so
    /// whoever signed them, not the accounts' controllers, fixed their ids'
    /// fate (docs/REJECTIONS.md). Logs written before that rule may hold some.
    public var unauthorisedRejections: [UInt64] = []
    public var entriesReplayed: UInt64 { checkpoint.size - start }
    public var entriesPerSecond: Double { seconds > 0 ? Double(entriesReplayed) / seconds : 0 }
}

/// What an audit keeps so that the next one can continue from it: the audited
/// checkpoint and the replayed state's snapshot.
public struct AuditState: Codable, Sendable {
    public let checkpoint: String
    /// Base64 of the canonical state snapshot after `checkpoint`'s size.
    public let snapshot: String
    public let digest: Digest32
}

/// Verifies a whole log from its signed checkpoint down to every entry, trusting
/// nothing the source says:
///
/// 1. the checkpoint is signed by the ledger key and cosigned by a quorum of witnesses;
/// 2. the served tiles hash to the checkpoint's root, and every full tile to its
///    parent hash, so every leaf hash is authenticated before any entry is read;
/// 3. every entry hashes to its authenticated leaf hash, decodes, carries valid
///    signatures, and replays from genesis to the outcome logged with it;
/// 4. conservation holds at the end; the state digest is reported.
///
/// With a previous `AuditState`, it proves the new checkpoint consistent with the
/// old one and replays only the new entries.
public final class Auditor {
    let source: any LogSource
    let logKey: NoteVerifierKey
    let witnesses: [NoteVerifierKey]
    let quorum: Int
    let progress: (UInt64, UInt64) -> Void

    public init(
        source: any LogSource, logKey: NoteVerifierKey, witnesses: [NoteVerifierKey] = [], quorum: Int = 0,
        progress: @escaping (UInt64, UInt64) -> Void = { _, _ in }
    ) {
        self.source = source
        self.logKey = logKey
        self.witnesses = witnesses
        self.quorum = quorum
        self.progress = progress
    }

    public func run(resumingFrom previous: AuditState? = nil) throws(AuditFailure) -> (AuditReport, AuditState) {
        let started = DispatchTime.now().uptimeNanoseconds
        let signed = try verifiedCheckpoint()
        let checkpoint = signed.checkpoint
        let reader = TileHashReader(source: source, size: checkpoint.size)
        try authenticateTiles(reader, checkpoint: checkpoint)
        var (state, edge) = try startingPoint(previous, reader: reader, checkpoint: checkpoint)
        let start = edge.size
        // Bundle k is replayed on a thread of its own while bundle k + 1 is read,
        // hashed, decoded and its signatures checked on every core.
        let replay = PipelinedReplay(state: state, origin: checkpoint.origin)
        do {
            while edge.size < checkpoint.size {
                let entries = try checkedBundle(edge.size / UInt64(Tiles.width), reader: reader, checkpoint: checkpoint, edge: &edge)
                replay.enqueue(entries)
                progress(edge.size, checkpoint.size)
            }
        } catch {
            // An earlier entry's replay failure is the first thing wrong, if there is one.
            _ = try replay.finish()
            throw error
        }
        let replayed = try replay.finish()
        state = replayed.state
        guard let final = state else { throw AuditFailure("the log is empty: it has no genesis") }
        guard edge.root == checkpoint.root else { throw AuditFailure("the entries do not hash to the checkpoint's root") }
        let violations = final.invariantViolations()
        guard violations.isEmpty else { throw AuditFailure("conservation fails after replay: \(violations.joined(separator: "; "))") }
        let snapshot = final.encodedSnapshot()
        let digest = Digest32.sha256(snapshot)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let verified = (try? signed.note.verify(witnesses).map(\.key.name)) ?? []
        var report = AuditReport(checkpoint: checkpoint, cosigners: verified, start: start, seconds: seconds, digest: digest, state: final)
        report.unauthorisedRejections = replayed.unauthorised
        return (
            report,
            AuditState(checkpoint: signed.note.formatted, snapshot: Base64.encode(snapshot), digest: digest)
        )
    }

    private func verifiedCheckpoint() throws(AuditFailure) -> SignedCheckpoint {
        let note: String
        do { note = try source.checkpointNote() } catch { throw AuditFailure("cannot read the checkpoint of \(source.name): \(error)") }
        do {
            return try SignedCheckpoint(note: note, logKey: logKey, witnesses: witnesses, quorum: quorum)
        } catch {
            throw AuditFailure("the checkpoint does not verify: \(error)")
        }
    }

    /// Checks the served tiles top-down: the partial edge through the root, every
    /// full tile at level ≥ 1 against its parent hash. Level-0 tiles are checked
    /// against their parents as their bundles are read.
    private func authenticateTiles(_ reader: TileHashReader, checkpoint: Checkpoint) throws(AuditFailure) {
        do {
            let root = try MerkleTree.root(size: checkpoint.size, reader: reader)
            guard root == checkpoint.root else {
                throw AuditFailure("the log's tiles do not hash to the checkpoint's root (tiles altered, or a checkpoint for another tree)")
            }
            for tile in Tiles.tiles(forSize: checkpoint.size) where tile.level >= 1 && tile.width == Tiles.width {
                try checkFullTile(level: tile.level, index: tile.index, reader: reader)
            }
        } catch let failure as AuditFailure {
            throw failure
        } catch {
            throw AuditFailure("cannot read the log's tiles: \(error)")
        }
    }

    private func checkFullTile(level: Int, index: UInt64, reader: TileHashReader) throws {
        let hashes = try reader.tile(level: level, index: index)
        let parent = try reader.hashes(level: level + 1, start: index, count: 1)[0]
        guard RFC6962.perfectRoot(hashes[...]) == parent else {
            throw AuditFailure("\(Tiles.path(level: level, index: index)) does not hash to its parent hash (the tile was altered)")
        }
    }

    private func startingPoint(
        _ previous: AuditState?, reader: TileHashReader, checkpoint: Checkpoint
    ) throws(AuditFailure) -> (LedgerState?, TreeEdge) {
        guard let previous else { return (nil, TreeEdge()) }
        let old: Checkpoint
        let state: LedgerState
        do {
            old = try SignedCheckpoint(note: previous.checkpoint, logKey: logKey).checkpoint
            guard let bytes = Base64.decode(previous.snapshot), Digest32.sha256(bytes) == previous.digest else {
                throw AuditFailure("the saved audit state is damaged")
            }
            state = try LedgerState(snapshot: bytes)
        } catch let failure as AuditFailure {
            throw failure
        } catch {
            throw AuditFailure("the saved audit state does not verify: \(error)")
        }
        guard state.size == old.size, old.size <= checkpoint.size else {
            throw AuditFailure(
                "the log's checkpoint (\(checkpoint.size) entries) is behind the one audited before (\(old.size)): the log was rolled back")
        }
        do {
            if old.size < checkpoint.size {
                let proof = try MerkleTree.consistencyProof(oldSize: old.size, newSize: checkpoint.size, reader: reader)
                try MerkleTree.verifyConsistency(
                    oldSize: old.size, newSize: checkpoint.size, oldRoot: old.root, newRoot: checkpoint.root, proof: proof)
            } else if old.root != checkpoint.root {
                throw TreeError.proofMismatch("same size, different root")
            }
            let edge = try TreeEdge(size: old.size, reader: reader)
            guard edge.root == old.root else { throw TreeError.proofMismatch("the tiles do not rebuild the old root") }
            return (state, edge)
        } catch {
            throw AuditFailure("the log is not consistent with the checkpoint audited before (\(old.size) entries): \(error)")
        }
    }

    /// Reads one entry bundle, checks each entry against its authenticated leaf
    /// hash, and decodes and checks the signatures of the entries not yet
    /// replayed (on all cores); returns them for replay.
    private func checkedBundle(
        _ bundle: UInt64, reader: TileHashReader, checkpoint: Checkpoint, edge: inout TreeEdge
    ) throws(AuditFailure) -> [Entry] {
        let first = bundle * UInt64(Tiles.width)
        let width = Int(min(UInt64(Tiles.width), checkpoint.size - first))
        let entries: [[UInt8]]
        let leafHashes: [Digest32]
        do {
            leafHashes = try reader.tile(level: 0, index: bundle)
            if width == Tiles.width { try checkFullTile(level: 0, index: bundle, reader: reader) }
            entries = try source.bundle(index: bundle, width: width)
        } catch let failure as AuditFailure {
            throw failure
        } catch {
            throw AuditFailure(index: LeafIndex(first), "cannot read \(Tiles.path(level: nil, index: bundle, width: width)): \(error)")
        }
        var pending: [(LeafIndex, [UInt8])] = []
        for (offset, entry) in entries.enumerated() where first + UInt64(offset) >= edge.size {
            let index = first + UInt64(offset)
            let leaf = RFC6962.leafHash(entry)
            guard leaf == leafHashes[offset] else {
                throw AuditFailure(
                    index: LeafIndex(index), "its bytes do not hash to the leaf hash the checkpoint commits to (the entry was altered)")
            }
            edge.append(leaf)
            pending.append((LeafIndex(index), entry))
        }
        do { return try EntryDecoder.decode(pending, origin: checkpoint.origin) } catch { throw AuditFailure(index: error.index, error.message) }
    }
}

/// Replays decoded entries in order on a thread of its own, at most two bundles
/// behind the caller (a `BlockingQueue`), keeping the
/// first failure and draining the rest.
private final class PipelinedReplay: Sendable {
    private let work = BlockingQueue<[Entry]?>(capacity: 2)
    private let finished = BlockingQueue<Result<(LedgerState?, [UInt64]), AuditFailure>>(capacity: 1)

    init(state: LedgerState?, origin: String) {
        let thread = Thread { [work, finished] in
            nameThisThread("khata-audit")
            var state = state
            var failure: AuditFailure?
            var unauthorised: [UInt64] = []
            while let entries = work.take() {
                guard failure == nil else { continue }
                do throws(ReplayError) {
                    for entry in entries where try !Self.replay(entry, into: &state, origin: origin) { unauthorised.append(entry.index.value) }
                } catch {
                    failure = AuditFailure(index: error.index, error.message)
                }
            }
            finished.put(failure.map { .failure($0) } ?? .success((state, unauthorised)))
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Queues `entries` for replay; waits while two bundles are already queued.
    func enqueue(_ entries: [Entry]) { work.put(entries) }

    /// Waits for everything queued; the state after it, or the first failure.
    /// Call once: it ends the thread.
    func finish() throws(AuditFailure) -> (state: LedgerState?, unauthorised: [UInt64]) {
        work.put(nil)
        return try finished.take().get()
    }

    /// Replays one entry; false when it is a rejection whose signers were not enough.
    private static func replay(_ entry: Entry, into state: inout LedgerState?, origin: String) throws(ReplayError) -> Bool {
        if state == nil {
            let genesis = try LedgerState(replayingGenesis: entry)
            guard genesis.origin == origin else {
                throw ReplayError(index: entry.index, "the genesis is for \(genesis.origin), the checkpoint for \(origin)")
            }
            state = genesis
            return true
        }
        // In place: `state!` mutates the stored state without copying it.
        return try state!.replay(entry)
    }
}
