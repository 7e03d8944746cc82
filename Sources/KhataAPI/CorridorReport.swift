import Dispatch
import Foundation
import KhataBytes
import KhataCore

/// What remittances cost and how long they took, per corridor (`from` → `to`
/// asset), computed from the log alone so that anyone can recompute it
/// (docs/PAYMENTS.md, "The corridor report").
///
/// Fed every entry in order. A remittance counts when it completes: at once,
/// or at the entry that completes it; its cost is its fee and exchange margin
/// against the oracles' latest prices logged before it (`PriceBook`), its time
/// from the entry that submitted it to the one that completed it.
public struct CorridorReport: Sendable {
    public struct Corridor: Hashable, Comparable, Sendable {
        public let from: AssetCode
        public let to: AssetCode
        public static func < (a: Self, b: Self) -> Bool { (a.from, a.to) < (b.from, b.to) }
    }

    struct Tally {
        var completed = 0
        var volume: UInt128 = 0
        var costs: [Double] = []
        var milliseconds: [UInt64] = []
        var refunded = 0
    }

    struct Waiting {
        let corridor: Corridor
        let submittedAt: Timestamp
        let amount: UInt64
        let cost: Double?
    }

    /// Entries fed so far: the next one must be this index.
    public private(set) var size: UInt64 = 0
    private var tallies: [Corridor: Tally] = [:]
    private var waiting: [OperationRef: Waiting] = [:]
    private var prices = PriceBook()
    private var scales: [AssetCode: UInt8] = [:]
    /// Raw oracle prices (minor units of the currency per whole unit) until the asset's scale is known.
    private var rawPrices: [AssetCode: UInt64] = [:]

    public init() {}

    public mutating func add(_ entry: Entry) {
        precondition(entry.index.value == size, "CorridorReport.add: entry \(entry.index) but \(size) fed")
        size += 1
        let operations: [LedgerOperation]
        let transaction: TransactionID
        switch entry.payload {
        case .genesis(let genesis):
            operations = genesis.operations
            // The genesis's operations are named as a transaction of id 0 (as the state machine names them).
            transaction = TransactionID(high: 0, low: 0)
        case .transaction(let body):
            guard entry.outcome.isCommitted else { return }
            operations = body.operations
            transaction = body.id
        }
        for (position, operation) in operations.enumerated() {
            switch operation {
            case .registerAsset(let op):
                scales[op.asset] = op.scale
                reprice(op.asset)
            case .setMonetaryPolicy(let op):
                prices.perMinorUnit[op.policy.currency] = 1
            case .attestPrice(let op):
                rawPrices[op.asset] = op.price.units
                reprice(op.asset)
            case .remit(let op):
                guard let converted = op.quote.converted(op.amount) else { continue }
                let corridor = Corridor(from: op.quote.from, to: op.quote.to)
                let cost = prices.midRate(from: corridor.from, to: corridor.to).map {
                    PriceBook.costPercent(sent: op.amount.units + op.quote.fee.units, received: converted.units, midRate: $0)
                }
                let remittance = Waiting(corridor: corridor, submittedAt: entry.time, amount: op.amount.units, cost: cost)
                if op.timeoutSeconds == 0 {
                    complete(remittance, at: entry.time)
                } else {
                    waiting[OperationRef(transaction: transaction, operation: UInt16(position))] = remittance
                }
            case .completeRemittance(let op):
                if let remittance = waiting.removeValue(forKey: op.remittance) { complete(remittance, at: entry.time) }
            case .refundRemittance(let op):
                if let remittance = waiting.removeValue(forKey: op.remittance) { tallies[remittance.corridor, default: Tally()].refunded += 1 }
            default:
                continue
            }
        }
    }

    /// Decodes encoded entries on every core, then feeds them in order
    /// (measured: decoding is most of the report's time; on two cores this took
    /// a million remittances from 2.2–2.6 s to under 2 s).
    public mutating func add(encoded entries: [[UInt8]]) throws {
        // Windows of a few thousand entries: decoded in parallel, fed, then freed (holding
        // every decoded entry at once was slower than decoding them one by one).
        let window = 8_192
        for start in stride(from: 0, to: entries.count, by: window) {
            for part in try Self.decode(entries[start..<min(start + window, entries.count)]) { for entry in part { add(entry) } }
        }
    }

    /// The entries decoded, in order, as two halves (one per core).
    private static func decode(_ entries: ArraySlice<[UInt8]>) throws(MalformedInput) -> [[Entry]] {
        final class Decoded: @unchecked Sendable {
            let lock = NSLock()
            var parts: [[Entry]] = [[], []]
            var failure: MalformedInput?
        }
        let decoded = Decoded()
        let half = entries.startIndex + entries.count / 2
        DispatchQueue.concurrentPerform(iterations: 2) { n in
            var part: [Entry] = []
            part.reserveCapacity(entries.count / 2 + 1)
            do throws(MalformedInput) {
                for bytes in n == 0 ? entries[entries.startIndex..<half] : entries[half..<entries.endIndex] {
                    part.append(try Entry(decoding: bytes))
                }
            } catch {
                decoded.lock.withLock { decoded.failure = decoded.failure ?? error }
            }
            decoded.lock.withLock { decoded.parts[n] = part }
        }
        if let failure = decoded.failure { throw failure }
        return decoded.parts
    }

    private mutating func reprice(_ asset: AssetCode) {
        guard let raw = rawPrices[asset], let scale = scales[asset] else { return }
        var power = 1.0
        for _ in 0..<scale { power *= 10 }
        prices.perMinorUnit[asset] = Double(raw) / power
    }

    /// Counts a completed remittance, changing its tally in place (a copy taken
    /// out and stored back copied its arrays on every remittance: 345 s for a million).
    private mutating func complete(_ remittance: Waiting, at time: Timestamp) {
        let elapsed = time.milliseconds - remittance.submittedAt.milliseconds
        let cost = remittance.cost
        let amount = UInt128(remittance.amount)
        Self.update(&tallies[remittance.corridor, default: Tally()]) { tally in
            tally.completed += 1
            tally.volume += amount
            if let cost { tally.costs.append(cost) }
            tally.milliseconds.append(elapsed)
        }
    }

    private static func update(_ tally: inout Tally, _ change: (inout Tally) -> Void) { change(&tally) }

    /// The report as the API answers it.
    public func view() -> CorridorReportView {
        CorridorReportView(
            entries: size, waiting: waiting.count,
            corridors: tallies.keys.sorted().map { corridor in
                let tally = tallies[corridor]!
                let costs = tally.costs.sorted()
                let times = tally.milliseconds.sorted()
                return CorridorReportView.Row(
                    from: corridor.from, to: corridor.to, completed: tally.completed, refundedWhileWaiting: tally.refunded,
                    volume: Amount(UInt64(clamping: tally.volume)), priced: costs.count, medianCostPercent: Self.percentile(costs, 0.5),
                    p95CostPercent: Self.percentile(costs, 0.95), medianSecondsToComplete: Self.percentile(times, 0.5).map { Double($0) / 1_000 },
                    p95SecondsToComplete: Self.percentile(times, 0.95).map { Double($0) / 1_000 })
            })
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile<T>(_ sorted: [T], _ p: Double) -> T? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }
}

/// `GET /v1/corridors`.
public struct CorridorReportView: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        public let from: AssetCode
        public let to: AssetCode
        public let completed: Int
        public let refundedWhileWaiting: Int
        /// The amounts sent, in minor units of `from` (fees not included).
        public let volume: Amount
        /// Completed remittances with a mid rate to price them against.
        public let priced: Int
        public let medianCostPercent: Double?
        public let p95CostPercent: Double?
        public let medianSecondsToComplete: Double?
        public let p95SecondsToComplete: Double?

        private enum CodingKeys: String, CodingKey {
            case from, to, completed
            case refundedWhileWaiting = "refunded_while_waiting"
            case volume, priced
            case medianCostPercent = "median_cost_percent"
            case p95CostPercent = "p95_cost_percent"
            case medianSecondsToComplete = "median_seconds_to_complete"
            case p95SecondsToComplete = "p95_seconds_to_complete"
        }
    }

    /// The log entries the report covers (0 … entries − 1).
    public let entries: UInt64
    /// Remittances submitted and neither completed nor refunded by then (waiting, or lapsed).
    public let waiting: Int
    public let corridors: [Row]
}
