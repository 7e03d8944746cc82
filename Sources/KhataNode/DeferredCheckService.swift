import Foundation
import KhataEngine
import KhataStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Finishes a fast start (`JournalCheck.deferringPrefix`) with the checks it
/// left for later, on a thread of its own through a read-only connection,
/// while the node already takes writes: first the file's pages
/// (`JournalStore.checkStructure`, SQLite's `quick_check`), then the
/// journal's prefix that the open took on a signed checkpoint's proof
/// (`JournalPrefixCheck`), if any. It reports to the ledger through the
/// sequencer: a passed prefix lets checkpoints be signed again; any failure
/// halts the sequencer, so the node exits, saying what is damaged, rather than
/// extend a log it cannot vouch for.
final class DeferredCheckService: Service {
    private let prefix: JournalPrefixCheck?
    private let path: String
    private let sequencer: Sequencer
    private let metrics: NodeMetrics
    private let logger: Logger
    /// Set by a graceful shutdown; the check stops at its next page.
    private let stopping = Atomic<Bool>(false)

    init(prefix: JournalPrefixCheck?, path: String, sequencer: Sequencer, metrics: NodeMetrics, logger: Logger) {
        self.prefix = prefix
        self.path = path
        self.sequencer = sequencer
        self.metrics = metrics
        self.logger = logger
    }

    /// What the background thread concluded.
    private enum Outcome {
        case stopped
        case passed
        case damagedPages(EngineError)
        case damagedPrefix(EngineError)
    }

    func run() async throws {
        let prefix = self.prefix
        let path = self.path
        let logger = self.logger
        metrics.uncheckedEntries.set(to: Double(prefix?.size ?? 0))
        logger.info(
            "checking the journal's pages and first entries in the background; checkpoints wait for the entries",
            metadata: ["entries": "\(prefix?.size ?? 0)"])
        let started = DispatchTime.now().uptimeNanoseconds
        let outcome: Result<Outcome, EngineError> = try await withGracefulShutdownHandler {
            try await onOwnThread { [self] in
                Result { () throws(EngineError) -> Outcome in
                    let journal: SQLiteJournal
                    do throws(StorageError) { journal = try SQLiteJournal.openForReading(path: path) } catch { throw EngineError(error) }
                    do throws(StorageError) { try journal.checkStructure() } catch {
                        if error.code == .corrupt { return .damagedPages(EngineError(error)) }
                        throw EngineError(error)
                    }
                    guard let prefix else { return .passed }
                    var reported: UInt64 = 0
                    do throws(EngineError) {
                        let finished = try prefix.run(journal: journal, shouldStop: { stopping.load(ordering: .relaxed) }) { done, total in
                            guard done - reported >= 1_000_000 || done == total else { return }
                            reported = done
                            logger.info("checking the journal", metadata: ["done": "\(done)", "total": "\(total)"])
                        }
                        return finished ? .passed : .stopped
                    } catch  where error.code == .corrupt {
                        return .damagedPrefix(error)
                    }
                }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
        }
        switch try outcome.get() {
        case .stopped:
            return
        case .passed:
            if prefix != nil { try await sequencer.perform { $0.prefixChecked(.success(())) } }
            metrics.uncheckedEntries.set(to: 0)
            logger.info(
                "checked the journal's pages and first entries",
                metadata: [
                    "entries": "\(prefix?.size ?? 0)", "seconds": "\(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)",
                ])
        case .damagedPages(let error):
            logger.critical(
                "the journal file is damaged: the node stops rather than extend it; restore it from a backup and a copy of the public log (khata restore)",
                metadata: ["error": "\(error)"])
            try await sequencer.perform { $0.structureCheckFailed(error) }
        case .damagedPrefix(let error):
            logger.critical(
                "the journal is damaged: the node stops rather than extend it; restore it from a copy of the public log (khata restore)",
                metadata: ["error": "\(error)"])
            try await sequencer.perform { $0.prefixChecked(.failure(error)) }
        }
    }
}
