import KhataAPI
import KhataCore
import KhataStorage

extension LevyReplay {
    /// The most entries one replay reads (the last 30 days, or the latest this
    /// many of them).
    public static let maxEntries = 100_000

    /// Reads the entries of the 30 days before the state's last entry (at most
    /// `maxEntries` of them, the latest) from `journal` and adds up what
    /// `current` and `proposed`, as `zone`'s law, levy on them. Nil for a
    /// ledger with nothing but its genesis.
    public static func read(from journal: any JournalStore, zone: ZoneID, current: Law, proposed: Law, state: LedgerState) throws -> LevyReplay? {
        let end = min(state.size, journal.entryCount)
        guard end > 1 else { return nil }
        let since = state.time.milliseconds > 30 * 86_400_000 ? state.time.milliseconds - 30 * 86_400_000 : 0
        func time(_ index: UInt64) throws -> UInt64 { try Entry(decoding: journal.entry(at: LeafIndex(index)).bytes).time.milliseconds }
        // The first entry at or after `since`: entries' times never decrease.
        var low: UInt64 = 1
        var high = end
        while low < high {
            let middle = low + (high - low) / 2
            if try time(middle) < since { low = middle + 1 } else { high = middle }
        }
        let start = max(low, end > UInt64(maxEntries) ? end - UInt64(maxEntries) : 1)
        var totals = (payments: 0, current: UInt128(0), proposed: UInt128(0))
        var next = start
        while next < end {
            let stored = try journal.entries(from: LeafIndex(next), limit: Int(min(1_000, end - next)))
            guard !stored.isEmpty else { break }
            let part = replay(try stored.map { try Entry(decoding: $0.bytes) }, zone: zone, current: current, proposed: proposed, state: state)
            totals.payments += part.payments
            totals.current += UInt128(part.current)
            totals.proposed += UInt128(part.proposed)
            next += UInt64(stored.count)
        }
        return LevyReplay(
            days: 30, from: LeafIndex(start), to: LeafIndex(end), truncated: start > low, payments: totals.payments,
            current: UInt64(clamping: totals.current), proposed: UInt64(clamping: totals.proposed))
    }
}
