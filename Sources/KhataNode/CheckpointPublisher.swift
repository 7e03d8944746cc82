import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEngine
import KhataLog
import Logging
import ServiceLifecycle

/// Publishes the log: every `interval`, if entries arrived, signs a checkpoint on
/// the sequencer (consistency-checked against the last), asks the witnesses to
/// cosign it (off the sequencer), stores the cosigned note, and makes it the one
/// served at `/log/checkpoint`. Publishes once more when the node stops.
public final class CheckpointPublisher: Service, @unchecked Sendable {
    let sequencer: Sequencer
    let directory: LedgerDirectory
    let signer: NoteSigner?
    let witnesses: [WitnessEndpoint]
    let readStore: ReadStore
    let interval: Duration
    let metrics: NodeMetrics
    let logger: Logger
    private let lock = NSLock()
    private var latest: SignedCheckpoint?

    public init(
        sequencer: Sequencer, directory: LedgerDirectory, signer: NoteSigner?, witnesses: [WitnessEndpoint], readStore: ReadStore,
        interval: Duration, metrics: NodeMetrics, logger: Logger
    ) {
        self.sequencer = sequencer
        self.directory = directory
        self.signer = signer
        self.witnesses = witnesses
        self.readStore = readStore
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
        latest = sequencer.read { $0.latestCheckpoint }
        metrics.checkpointSize.set(to: Double(latest?.checkpoint.size ?? 0))
    }

    /// The checkpoint served now (cosigned when witnesses answered).
    public var published: SignedCheckpoint? { lock.withLock { latest } }

    public func run() async throws {
        guard signer != nil else {
            logger.warning("no ledger key configured: checkpoints will not be published")
            try? await gracefulShutdown()
            return
        }
        await cosignIfShort()
        // Stops on graceful shutdown (after one last checkpoint) and on cancellation.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await publish()
        }
        if !Task.isCancelled { await publish() }
    }

    /// Publishes a checkpoint if the log grew since the last one.
    public func publish() async {
        guard let signer else { return }
        let directory = self.directory
        do {
            let signed = try await sequencer.perform { ledger -> SignedCheckpoint? in
                if let last = ledger.latestCheckpoint, last.checkpoint.size == ledger.edge.size { return nil }
                // After a fast start, none until the journal's prefix is checked.
                if ledger.uncheckedPrefix != nil { return nil }
                return try directory.publishCheckpoint(ledger, signer: signer)
            }
            guard var signed else { return }
            if !witnesses.isEmpty { signed = try await cosign(signed) }
            lock.withLock { latest = signed }
            metrics.checkpointSize.set(to: Double(signed.checkpoint.size))
        } catch {
            logger.error("checkpoint not published", metadata: ["error": "\(error)"])
        }
    }

    /// Asks the witnesses to cosign the checkpoint found at start, if fewer of them
    /// did than are configured (for example a checkpoint signed before they existed).
    private func cosignIfShort() async {
        guard let current = published, !witnesses.isEmpty else { return }
        let cosigners = (try? current.note.verify(witnesses.map(\.key)).count) ?? 0
        guard cosigners < witnesses.count else { return }
        do {
            let cosigned = try await cosign(current)
            lock.withLock { latest = cosigned }
        } catch {
            logger.error("checkpoint not cosigned", metadata: ["error": "\(error)"])
        }
    }

    private func cosign(_ signed: SignedCheckpoint) async throws -> SignedCheckpoint {
        let witnesses = self.witnesses
        let readStore = self.readStore
        // The client blocks on HTTP; run it on its own thread, not the cooperative pool.
        let outcome = try await onOwnThread {
            CheckpointCosigning.cosign(signed, witnesses: witnesses, timeout: 2) { old in
                try readStore.with { try MerkleTree.consistencyProof(oldSize: old, newSize: signed.checkpoint.size, reader: $0.hashReader) }
            }
        }
        for (name, reason) in outcome.failures { logger.warning("witness did not cosign", metadata: ["witness": "\(name)", "reason": "\(reason)"]) }
        guard !outcome.cosigners.isEmpty else { return signed }
        let directory = self.directory
        let note = outcome.note
        return try await sequencer.perform { ledger in
            try ledger.storeCosigned(note)
            try directory.writeCheckpointFile(note.formatted)
            return ledger.latestCheckpoint ?? signed
        }
    }
}
