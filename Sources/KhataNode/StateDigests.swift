import Foundation
import KhataBytes
import KhataCore

/// The digest of the durable state, for `GET /v1/state`. Encoding the whole
/// state costs time in proportion to its size (about a second for a million
/// accounts), so a digest is computed once per size, by one caller at a time
/// (others asking for the same size wait for it and share it), on the read
/// store's threads, never on an event loop, and from a copy-on-write copy of
/// the state taken under the durable lock (O(1)): the sequencer never waits.
public final class StateDigests: @unchecked Sendable {
    private let computing = NSLock()
    private let lock = NSLock()
    private var latest: (size: UInt64, digest: Digest32)?

    public init() {}

    /// SHA-256 of `state`'s snapshot. Blocks while another digest is computed.
    public func digest(of state: LedgerState) -> Digest32 {
        if let known = cached(size: state.size) { return known }
        computing.lock()
        defer { computing.unlock() }
        if let known = cached(size: state.size) { return known }
        let digest = state.digest
        lock.withLock { latest = (state.size, digest) }
        return digest
    }

    private func cached(size: UInt64) -> Digest32? {
        lock.withLock { latest.flatMap { $0.size == size ? $0.digest : nil } }
    }
}
