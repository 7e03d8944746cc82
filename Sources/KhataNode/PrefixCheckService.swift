import Foundation
import KhataEngine
import KhataStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Finishes a fast start: re-reads the journal's prefix that opening took on a
/// signed checkpoint's proof (`JournalPrefixCheck`), on a thread of its own
/// through a read-only connection, while the node already takes writes; then
/// reports to the ledger through the sequencer. Success lets checkpoints be
/// signed again; a failure halts the sequencer, so the node exits, saying what
/// is damaged, rather than extend a log it cannot vouch for.
final class PrefixCheckService: Service {
    private let check: JournalPrefixCheck
    private let path: String
    private let sequencer: Sequencer
    private let metrics: NodeMetrics
    private let logger: Logger
    /// Set by a graceful shutdown; the check stops at its next page.
    private let stopping = Atomic<Bool>(false)

    init(check: JournalPrefixCheck, path: String, sequencer: Sequencer, metrics: NodeMetrics, logger: Logger) {
        self.check = check
        self.path = path
        self.sequencer = sequencer
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        let check = self.check
        let path = self.path
        let logger = self.logger
        metrics.uncheckedEntries.set(to: Double(check.size))
        logger.info(
            "checking the journal's first entries in the background; checkpoints wait for it", metadata: ["entries": "\(check.size)"])
        let started = DispatchTime.now().uptimeNanoseconds
        let result: Result<Bool, EngineError> = try await withGracefulShutdownHandler {
            try await onOwnThread { [self] in
                let journal = try SQLiteJournal.openForReading(path: path)
                var reported: UInt64 = 0
                return Result { () throws(EngineError) in
                    try check.run(journal: journal, shouldStop: { stopping.load(ordering: .relaxed) }) { done, total in
                        guard done - reported >= 1_000_000 || done == total else { return }
                        reported = done
                        logger.info("checking the journal", metadata: ["done": "\(done)", "total": "\(total)"])
                    }
                }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
        }
        switch result {
        case .success(false):
            return
        case .success(true):
            try await sequencer.perform { $0.prefixChecked(.success(())) }
            metrics.uncheckedEntries.set(to: 0)
            logger.info(
                "checked the journal's first entries",
                metadata: [
                    "entries": "\(check.size)", "seconds": "\(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)",
                ])
        case .failure(let error) where error.code == .corrupt:
            logger.critical(
                "the journal is damaged: the node stops rather than extend it; restore it from a copy of the public log (khata restore)",
                metadata: ["error": "\(error)"])
            try await sequencer.perform { $0.prefixChecked(.failure(error)) }
        case .failure(let error):
            throw error
        }
    }
}
