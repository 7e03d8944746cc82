import Dispatch
import Foundation
import KhataBytes
import KhataCore
import KhataStorage
import KhataVerify
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Takes state snapshots off the sequencer's thread.
///
/// The sequencer hands over a copy of its `LedgerState` (copy-on-write: O(1)
/// now, each collection copied when the sequencer next changes it) and goes
/// on. A thread of its own, at low CPU priority (nice 10) so that on a busy
/// machine a snapshot yields to the requests, encodes and hashes the copy; a
/// second thread, at normal priority, saves it through a `SnapshotWriter` (for
/// SQLite a second connection that writes in parts, so commits interleave).
/// The saving is not done at low priority because each part holds the
/// journal's write lock: a low-priority thread preempted while holding it would
/// keep the sequencer waiting behind every busy thread (a 24 ms pause measured
/// at 10,000 transactions per second). At most one snapshot is in flight;
/// results are collected by the sequencer on its own thread. `stop` ends both
/// threads (and releases the writer) once the snapshot in flight is saved.
final class BackgroundSnapshots: Sendable {
    static let niceness: Int32 = 10
    /// Dropped by `stop`, so that its connection closes then, not whenever the
    /// ended threads' last references happen to go.
    private let writer: Mutex<(any SnapshotWriter)?>
    private let finished = Mutex<[Result<SnapshotTiming, StorageError>]>([])
    /// The state waiting to be encoded, or being encoded; nil when idle.
    private let work = Mutex<LedgerState?>(nil)
    /// The encoded snapshot waiting to be saved, with the time its encoding began.
    private let encoded = Mutex<(StoredSnapshot, UInt64)?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let wakeSaver = DispatchSemaphore(value: 0)
    private let idle = DispatchSemaphore(value: 1)
    /// Signalled by each of the two threads as it ends.
    private let ended = DispatchSemaphore(value: 0)

    /// Call from a thread at normal priority (the sequencer's): the saving thread
    /// takes its priority from the thread that starts it.
    init(writer: any SnapshotWriter) {
        self.writer = Mutex(writer)
        Thread { [self] in
            nameThisThread("khata-snapsave")
            saveLoop()
            ended.signal()
        }.start()
        Thread { [self] in
            nameThisThread("khata-snapshots")
            encodeLoop()
            ended.signal()
        }.start()
    }

    /// Starts saving `state`; false (and nothing started) if one is in flight.
    func start(_ state: LedgerState) -> Bool {
        guard idle.wait(timeout: .now()) == .success else { return false }
        work.withLock { $0 = state }
        wake.signal()
        return true
    }

    private func encodeLoop() {
        #if canImport(Glibc)
            // On Linux the nice value is per thread, and `who` 0 is the calling thread.
            setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, BackgroundSnapshots.niceness)
        #endif
        while true {
            wake.wait()
            if stopping.load(ordering: .acquiring) {
                wakeSaver.signal()
                return
            }
            guard let state = work.withLock({ $0 }) else { continue }
            let started = DispatchTime.now().uptimeNanoseconds
            let bytes = state.encodedSnapshot()
            work.withLock { $0 = nil }
            encoded.withLock { $0 = (StoredSnapshot(size: state.size, digest: Digest32.sha256(bytes), bytes: bytes), started) }
            wakeSaver.signal()
        }
    }

    private func saveLoop() {
        while true {
            wakeSaver.wait()
            guard let (snapshot, started) = encoded.withLock({ $0 }) else {
                if stopping.load(ordering: .acquiring) { return }
                continue
            }
            let result = Result { () throws(StorageError) -> SnapshotTiming in
                try writer.withLock { writer throws(StorageError) in
                    guard let writer else { throw StorageError(.io, "the snapshot writer was stopped") }
                    try writer.save(snapshot)
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                return SnapshotTiming(size: snapshot.size, bytes: snapshot.bytes.count, seconds: seconds, background: true)
            }
            encoded.withLock { $0 = nil }
            finished.withLock { $0.append(result) }
            idle.signal()
        }
    }

    /// Ends both threads after the snapshot in flight, if any, and returns once
    /// they have ended and the writer (its connection) is closed.
    func stop() {
        waitUntilIdle()
        stopping.store(true, ordering: .releasing)
        wake.signal()
        ended.wait()
        ended.wait()
        writer.withLock { $0 = nil }
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
