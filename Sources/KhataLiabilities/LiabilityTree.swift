import Crypto
import Dispatch
import KhataBytes
import KhataCore

/// A Merkle-sum tree over every positive holding of a currency at one point of
/// the log: the ledger's liabilities, which a holder can check its own balance
/// is counted in, and whose total anyone can compare with the supply and the
/// reserves (docs/RESERVES.md).
///
/// - Every leaf is salted per holder and per commitment (`LiabilityHashing`).
/// - The tree is padded with zero-sum leaves to a power of two, at least
///   `Limits.minLiabilityLeaves`, so its size reveals only an order of magnitude.
/// - Leaves are placed by a permutation keyed by the secret salt key, so a
///   position says nothing about an account or when it first held the currency.
/// - Every balance and every node sum is at most `Limits.maxLiabilityTotal`.
///
/// Building costs about 4 SHA-256 compressions per leaf plus 2 per node, spread
/// over all cores, and keeps every level in memory (40 bytes a node) so that a
/// proof is O(log n) lookups.
public struct LiabilityTree: Sendable {
    public let asset: AssetCode
    public let asOf: UInt64
    public let leafCount: UInt64
    public let holderCount: Int
    private let saltKey: [UInt8]
    /// Level 0 is the leaves; each level's hashes are stored flat, 32 bytes each.
    private let hashes: [[UInt8]]
    private let sums: [[UInt64]]
    private let positions: [AccountID: UInt32]

    public enum BuildError: Error, Equatable, CustomStringConvertible {
        case tooManyHolders(Int)
        case totalTooLarge

        public var description: String {
            switch self {
            case .tooManyHolders(let count): "\(count) holders exceed the largest liabilities tree (\(Limits.maxLiabilityLeaves) leaves)"
            case .totalTooLarge: "the holdings sum to more than \(Limits.maxLiabilityTotal), the largest total a tree can carry"
            }
        }
    }

    /// Builds the tree over `holdings` as they stood after `asOf` entries.
    public static func build(holdings: HoldingView, asOf: UInt64, saltKey: [UInt8]) throws(BuildError) -> LiabilityTree {
        var accounts: [AccountID] = []
        var balances: [UInt64] = []
        accounts.reserveCapacity(holdings.count)
        balances.reserveCapacity(holdings.count)
        var total: UInt64 = 0
        var overflow = false
        holdings.forEachPositive { holding in
            accounts.append(holding.account)
            balances.append(holding.balance)
            let (sum, over) = total.addingReportingOverflow(holding.balance)
            total = sum
            overflow = overflow || over || holding.balance > Limits.maxLiabilityTotal
        }
        guard !overflow, total <= Limits.maxLiabilityTotal else { throw .totalTooLarge }
        guard UInt64(accounts.count) <= Limits.maxLiabilityLeaves else { throw .tooManyHolders(accounts.count) }
        return LiabilityTree(asset: holdings.asset, asOf: asOf, saltKey: saltKey, accounts: accounts, balances: balances)
    }

    private init(asset: AssetCode, asOf: UInt64, saltKey: [UInt8], accounts: [AccountID], balances: [UInt64]) {
        var leafCount = Limits.minLiabilityLeaves
        while leafCount < UInt64(accounts.count) { leafCount <<= 1 }
        self.asset = asset
        self.asOf = asOf
        self.leafCount = leafCount
        self.holderCount = accounts.count
        self.saltKey = saltKey
        let keyed = LiabilityHashing.Keyed(saltKey: saltKey)
        let order = LiabilityTree.permutation(count: Int(leafCount), keyed: keyed, asOf: asOf)
        var positions: [AccountID: UInt32] = [:]
        positions.reserveCapacity(accounts.count)
        for (i, account) in accounts.enumerated() { positions[account] = order[i] }
        self.positions = positions
        let leaves = LiabilityTree.leaves(accounts: accounts, balances: balances, order: order, keyed: keyed, asOf: asOf)
        var hashes = [leaves.hashes]
        var sums = [leaves.sums]
        while hashes[hashes.count - 1].count > 32 {
            let next = LiabilityTree.parents(hashes: hashes[hashes.count - 1], sums: sums[sums.count - 1])
            hashes.append(next.hashes)
            sums.append(next.sums)
        }
        self.hashes = hashes
        self.sums = sums
    }

    /// The root hash.
    public var root: Digest32 { Digest32(bytes: hashes[hashes.count - 1])! }
    /// The sum of every leaf.
    public var total: UInt64 { sums[sums.count - 1][0] }

    /// The operation that commits this tree to the log.
    public var commitment: CommitLiabilities {
        CommitLiabilities(asset: asset, asOf: asOf, total: Amount(total), leafCount: leafCount, root: root)
    }

    /// `account`'s proof of inclusion, or nil if it held nothing at `asOf`.
    /// Costs a dictionary lookup, one HMAC and log₂(leaves) copies.
    public func proof(for account: AccountID) -> LiabilityProof? {
        guard let position = positions[account] else { return nil }
        var siblings: [LiabilityProof.Sibling] = []
        var index = Int(position)
        for level in 0..<(hashes.count - 1) {
            let sibling = index ^ 1
            siblings.append(
                LiabilityProof.Sibling(
                    hash: Digest32(bytes: hashes[level][sibling * 32..<sibling * 32 + 32])!, sum: Amount(sums[level][sibling])))
            index >>= 1
        }
        let salt = LiabilityHashing.Keyed(saltKey: saltKey).salt(asOf: asOf, account: account)
        return LiabilityProof(
            asset: asset, asOf: asOf, leafCount: leafCount, position: UInt64(position), account: account,
            balance: Amount(sums[0][Int(position)]), salt: Digest32(bytes: salt)!, siblings: siblings)
    }

    // MARK: - Building

    /// A permutation of 0..<count from a generator seeded by the salt key, so that
    /// leaf positions are unpredictable without it (Fisher–Yates).
    private static func permutation(count: Int, keyed: LiabilityHashing.Keyed, asOf: UInt64) -> [UInt32] {
        let seed = keyed.padding(asOf: asOf, position: UInt64.max)
        var generator = SplitMix(seed: seed.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
        var order = (0..<UInt32(count)).map { $0 }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }

    /// The leaf level: holders at positions `order[0..<n]`, padding at the rest.
    private static func leaves(
        accounts: [AccountID], balances: [UInt64], order: [UInt32], keyed: LiabilityHashing.Keyed, asOf: UInt64
    ) -> (hashes: [UInt8], sums: [UInt64]) {
        level(count: order.count) { i in
            let position = Int(order[i])
            guard i < accounts.count else { return (position, keyed.padding(asOf: asOf, position: UInt64(position)), 0) }
            let salt = keyed.salt(asOf: asOf, account: accounts[i])
            return (position, LiabilityHashing.leafHash(salt: salt, account: accounts[i], balance: balances[i]), balances[i])
        }
    }

    private static func parents(hashes: [UInt8], sums: [UInt64]) -> (hashes: [UInt8], sums: [UInt64]) {
        level(count: sums.count / 2) { i in
            let left = Array(hashes[(2 * i) * 32..<(2 * i) * 32 + 32])
            let right = Array(hashes[(2 * i + 1) * 32..<(2 * i + 1) * 32 + 32])
            let (leftSum, rightSum) = (sums[2 * i], sums[2 * i + 1])
            // Both are at most 2^63 − 1 (checked when building), so this cannot wrap.
            return (i, LiabilityHashing.nodeHash(left: left, leftSum: leftSum, right: right, rightSum: rightSum), leftSum + rightSum)
        }
    }

    /// Computes one level of `count` nodes on every core: `node(i)` gives the
    /// position to write, its hash and its sum. Every position is written once.
    private static func level(
        count: Int, _ node: @Sendable (Int) -> (position: Int, hash: [UInt8], sum: UInt64)
    ) -> (hashes: [UInt8], sums: [UInt64]) {
        var hashes = [UInt8](repeating: 0, count: count * 32)
        var sums = [UInt64](repeating: 0, count: count)
        hashes.withUnsafeMutableBufferPointer { hashBuffer in
            sums.withUnsafeMutableBufferPointer { sumBuffer in
                let out = SharedOutput(hashes: hashBuffer, sums: sumBuffer)
                let chunk = 16_384
                DispatchQueue.concurrentPerform(iterations: (count + chunk - 1) / chunk) { n in
                    for i in n * chunk..<min(count, (n + 1) * chunk) {
                        let (position, hash, sum) = node(i)
                        out.write(position, hash, sum)
                    }
                }
            }
        }
        return (hashes, sums)
    }
}

/// Disjoint writes into preallocated buffers from several threads.
private struct SharedOutput: @unchecked Sendable {
    let hashes: UnsafeMutableBufferPointer<UInt8>
    let sums: UnsafeMutableBufferPointer<UInt64>

    func write(_ index: Int, _ hash: [UInt8], _ sum: UInt64) {
        for k in 0..<32 { hashes[index * 32 + k] = hash[k] }
        sums[index] = sum
    }
}
