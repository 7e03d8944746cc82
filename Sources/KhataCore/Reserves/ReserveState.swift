/// The reserve side of a ledger's state: the monetary policy, the latest
/// attestation of each custodian and price of each oracle, the recent supply of
/// the policy's currency, and the latest liabilities commitment.
///
/// Part of `LedgerState` (and of its snapshot and digest); changed only by the
/// state machine.
public struct ReserveState: Hashable, Sendable {
    public internal(set) var policy: MonetaryPolicy?
    /// The entry that set the current policy.
    public internal(set) var policyIndex: LeafIndex?
    /// The latest attestation of each (custodian, asset).
    public internal(set) var attestations: [AttestorKey: Logged<AttestReserve>] = [:]
    /// The latest price from each (oracle, asset).
    public internal(set) var prices: [AttestorKey: Logged<AttestPrice>] = [:]
    /// The supply of the policy's currency after each entry that changed it,
    /// ascending by size, starting at or before the latest commitment's `asOf`.
    public internal(set) var supplyHistory: [SupplyPoint] = []
    /// The latest liabilities commitment logged.
    public internal(set) var liabilities: LiabilitiesRecord?

    public init() {}

    /// The supply of the policy's currency after `size` entries, if the history
    /// still reaches back that far.
    public func supply(atSize size: UInt64) -> UInt64? {
        var low = 0
        var high = supplyHistory.count
        while low < high {
            let middle = (low + high) / 2
            if supplyHistory[middle].size <= size { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : supplyHistory[low - 1].supply
    }

    /// Records the supply after `size` entries if it changed.
    mutating func record(supply: UInt64, atSize size: UInt64) {
        guard supplyHistory.last?.supply != supply else { return }
        if supplyHistory.count == Limits.maxSupplyHistory { supplyHistory.removeFirst(supplyHistory.count / 2) }
        supplyHistory.append(SupplyPoint(size: size, supply: supply))
    }

    /// Drops supply points older than the one in effect at `size`.
    mutating func forgetSupply(before size: UInt64) {
        guard let keep = supplyHistory.lastIndex(where: { $0.size <= size }), keep > 0 else { return }
        supplyHistory.removeFirst(keep)
    }
}

/// An attestor and the asset it attests: the key of attestations and prices.
/// The same account-and-asset pair, ordered the same way, as a balance's key.
public typealias AttestorKey = BalanceKey

/// A value together with the log entry that carried it.
public struct Logged<Value: Hashable & Sendable>: Hashable, Sendable {
    public let value: Value
    public let index: LeafIndex
    public init(_ value: Value, index: LeafIndex) {
        self.value = value
        self.index = index
    }
}

/// The supply of the policy's currency after `size` entries.
public struct SupplyPoint: Hashable, Sendable {
    public let size: UInt64
    public let supply: UInt64
}

/// A logged liabilities commitment and the reserves it was compared with.
public struct LiabilitiesRecord: Hashable, Sendable {
    public let commitment: CommitLiabilities
    /// The commitment's own entry.
    public let index: LeafIndex
    /// The reserves as evaluated at the commitment's entry, against its total.
    public let evaluation: ReserveEvaluation
}
