import Foundation
import KhataEngine
import KhataStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Finishes a fast start (`JournalCheck.deferringPrefix`) with the checks it
/// left for later, on a thread of its own through a read-only connection,
/// while the node already takes writes: first the journal's prefix that the
/// open took on a signed checkpoint's proof (`JournalPrefixCheck`), if any,
/// then the file's pages (`JournalStore.checkStructure`, SQLite's
/// `quick_check`, which a shutdown does not interrupt: the stop's 4 s bound
/// does). It reports to the ledger through the sequencer: a passed prefix lets
/// checkpoints be signed again (they never wait for the pages, which hold
/// nothing a checkpoint signs that the open or the prefix check does not
/// re-read); damage halts the sequencer, so the node exits, saying what is
/// damaged, rather than extend a log it cannot vouch for. A check that cannot
/// run at all (the file cannot be opened) fails the service, which stops the
/// node gracefully.
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

    /// What one check concluded.
    private enum Finding: Sendable {
        case passed
        case stopped
        case damaged(EngineError)
    }

    func run() async throws {
        // A stop that cancels a check (the page check cannot be interrupted, so
        // the group cancels it) concludes nothing and is no failure of the node.
        do { try await check() } catch is CancellationError {}
    }

    private func check() async throws {
        let prefix = self.prefix
        let path = self.path
        let logger = self.logger
        metrics.uncheckedEntries.set(to: Double(prefix?.size ?? 0))
        logger.info(
            "checking the journal's first entries and pages in the background; checkpoints wait for the entries",
            metadata: ["entries": "\(prefix?.size ?? 0)"])
        // First the prefix, which checkpoints wait for; then the file's pages.
        if let prefix {
            let started = DispatchTime.now().uptimeNanoseconds
            let finding = try await withGracefulShutdownHandler {
                try await onOwnThread { [self] in
                    DeferredCheckService.check(prefix, path: path, logger: logger) { stopping.load(ordering: .relaxed) }
                }
            } onGracefulShutdown: {
                self.stopping.store(true, ordering: .relaxed)
            }
            switch try finding.get() {
            case .stopped:
                return
            case .damaged(let error):
                logger.critical(
                    "the journal is damaged: the node stops rather than extend it; restore it from a copy of the public log (khata restore)",
                    metadata: ["error": "\(error)"])
                return try await sequencer.perform { $0.prefixChecked(.failure(error)) }
            case .passed:
                try await sequencer.perform { $0.prefixChecked(.success(())) }
                metrics.uncheckedEntries.set(to: 0)
                logger.info(
                    "checked the journal's first entries; checkpoints are signed again",
                    metadata: ["entries": "\(prefix.size)", "seconds": "\(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)"])
            }
        }
        guard !stopping.load(ordering: .relaxed) else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        // A page check that cannot run (the file busy while the node stops, say) finds no
        // damage and is no reason to stop a node whose entries were all checked: it is logged.
        let pages = try await onOwnThread({ DeferredCheckService.checkPages(path: path) })
        guard case .success(let finding) = pages else {
            if case .failure(let error) = pages, !stopping.load(ordering: .relaxed) {
                logger.error("could not check the journal file's pages; khata audit checks them", metadata: ["error": "\(error)"])
            }
            return
        }
        switch finding {
        case .damaged(let error):
            logger.critical(
                "the journal file is damaged: the node stops rather than extend it; restore it from a backup and a copy of the public log (khata restore)",
                metadata: ["error": "\(error)"])
            try await sequencer.perform { $0.structureCheckFailed(error) }
        case .passed, .stopped:
            logger.info("checked the journal file's pages", metadata: ["seconds": "\(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)"])
        }
    }

    /// Runs the prefix check on a read-only connection; damage is a finding,
    /// anything else (the file cannot be read) an error.
    private static func check(
        _ prefix: JournalPrefixCheck, path: String, logger: Logger, shouldStop: () -> Bool
    ) -> Result<Finding, EngineError> {
        let journal: SQLiteJournal
        do { journal = try SQLiteJournal.openForReading(path: path) } catch { return .failure(EngineError(error)) }
        var reported: UInt64 = 0
        do {
            let finished = try prefix.run(journal: journal, shouldStop: shouldStop) { done, total in
                guard done - reported >= 1_000_000 || done == total else { return }
                reported = done
                logger.info("checking the journal", metadata: ["done": "\(done)", "total": "\(total)"])
            }
            return .success(finished ? .passed : .stopped)
        } catch {
            return error.code == .corrupt ? .success(.damaged(error)) : .failure(error)
        }
    }

    /// Runs SQLite's `quick_check` on a read-only connection.
    private static func checkPages(path: String) -> Result<Finding, EngineError> {
        do {
            try SQLiteJournal.openForReading(path: path).checkStructure()
            return .success(.passed)
        } catch {
            return error.code == .corrupt ? .success(.damaged(EngineError(error))) : .failure(EngineError(error))
        }
    }
}
