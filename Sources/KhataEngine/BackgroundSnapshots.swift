import Dispatch
import KhataCore
import KhataStorage
import Synchronization

/// Takes state snapshots off the sequencer's thread.
///
/// The sequencer hands over a copy of its `LedgerState` (copy-on-write: O(1)
/// now, each collection copied when the sequencer next changes it) and goes
/// on; one background queue encodes and hashes the copy and saves it through a
/// `SnapshotWriter` (for SQLite a second connection that writes in parts, so
/// commits interleave). At most one snapshot is in flight; results are
/// collected by the sequencer on its own thread.
final class BackgroundSnapshots: Sendable {
    private let queue = DispatchQueue(label: "khata.snapshots")
    private let writer: any SnapshotWriter
    private let finished = Mutex<[Result<SnapshotTiming, StorageError>]>([])
    private let inFlight = Atomic<Bool>(false)

    init(writer: any SnapshotWriter) { self.writer = writer }

    /// Starts saving `state`; false (and nothing started) if one is in flight.
    func start(_ state: LedgerState) -> Bool {
        guard inFlight.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return false }
        queue.async { [self] in
            let started = DispatchTime.now().uptimeNanoseconds
            let bytes = state.encodedSnapshot()
            let result = Result { () throws(StorageError) -> SnapshotTiming in
                try self.writer.save(StoredSnapshot(size: state.size, digest: Digest32.sha256(bytes), bytes: bytes))
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                return SnapshotTiming(size: state.size, bytes: bytes.count, seconds: seconds, background: true)
            }
            self.finished.withLock { $0.append(result) }
            self.inFlight.store(false, ordering: .releasing)
        }
        return true
    }

    /// The snapshots finished (or failed) since the last call.
    func collect() -> [Result<SnapshotTiming, StorageError>] {
        finished.withLock { results in
            defer { results.removeAll() }
            return results
        }
    }

    /// Returns once no snapshot is in flight.
    func waitUntilIdle() { queue.sync {} }
}
