import Dispatch
import Foundation
import KhataCore
import KhataStorage
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Takes state snapshots off the sequencer's thread.
///
/// The sequencer hands over a copy of its `LedgerState` (copy-on-write: O(1)
/// now, each collection copied when the sequencer next changes it) and goes
/// on; a thread of its own, at low CPU priority (nice 10) so that on a busy
/// machine a snapshot yields to the requests, encodes and hashes the copy and
/// saves it through a `SnapshotWriter` (for SQLite a second connection that
/// writes in parts, so commits interleave). At most one snapshot is in flight;
/// results are collected by the sequencer on its own thread. `stop` ends the
/// thread (and releases the writer) once the snapshot in flight is saved.
final class BackgroundSnapshots: Sendable {
    static let niceness: Int32 = 10
    private let writer: any SnapshotWriter
    private let finished = Mutex<[Result<SnapshotTiming, StorageError>]>([])
    /// The state waiting to be saved, or being saved; nil when idle.
    private let work = Mutex<LedgerState?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let idle = DispatchSemaphore(value: 1)

    init(writer: any SnapshotWriter) {
        self.writer = writer
        Thread { [self] in
            nameThisThread("khata-snapshots")
            loop()
        }.start()
    }

    /// Starts saving `state`; false (and nothing started) if one is in flight.
    func start(_ state: LedgerState) -> Bool {
        guard idle.wait(timeout: .now()) == .success else { return false }
        work.withLock { $0 = state }
        wake.signal()
        return true
    }

    private func loop() {
        #if canImport(Glibc)
            // On Linux the nice value is per thread, and `who` 0 is the calling thread.
            setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, BackgroundSnapshots.niceness)
        #endif
        while true {
            wake.wait()
            if stopping.load(ordering: .acquiring) { return }
            guard let state = work.withLock({ $0 }) else { continue }
            let started = DispatchTime.now().uptimeNanoseconds
            let bytes = state.encodedSnapshot()
            let result = Result { () throws(StorageError) -> SnapshotTiming in
                try writer.save(StoredSnapshot(size: state.size, digest: Digest32.sha256(bytes), bytes: bytes))
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                return SnapshotTiming(size: state.size, bytes: bytes.count, seconds: seconds, background: true)
            }
            work.withLock { $0 = nil }
            finished.withLock { $0.append(result) }
            idle.signal()
        }
    }

    /// Ends the thread after the snapshot in flight, if any.
    func stop() {
        waitUntilIdle()
        stopping.store(true, ordering: .releasing)
        wake.signal()
    }

    /// The snapshots finished (or failed) since the last call.
    func collect() -> [Result<SnapshotTiming, StorageError>] {
        finished.withLock { results in
            defer { results.removeAll() }
            return results
        }
    }

    /// Returns once no snapshot is in flight.
    func waitUntilIdle() {
        idle.wait()
        idle.signal()
    }
}
