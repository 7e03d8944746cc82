import KhataBytes
import KhataCore

/// A holder's proof that its balance is counted in a liabilities commitment:
/// its leaf (account, balance, salt), its position, and the hash and sum of
/// every sibling on the way to the root.
///
/// Verify it against the commitment taken from the log (`CommitLiabilities` of
/// a logged entry), never against numbers that came with the proof.
public struct LiabilityProof: Hashable, Sendable, Codable {
    public struct Sibling: Hashable, Sendable, Codable {
        public let hash: Digest32
        public let sum: Amount
        public init(hash: Digest32, sum: Amount) {
            self.hash = hash
            self.sum = sum
        }
    }

    public let asset: AssetCode
    public let asOf: UInt64
    public let leafCount: UInt64
    public let position: UInt64
    public let account: AccountID
    public let balance: Amount
    public let salt: Digest32
    /// From the leaf's sibling up to the root's children.
    public let siblings: [Sibling]

    public init(
        asset: AssetCode, asOf: UInt64, leafCount: UInt64, position: UInt64, account: AccountID, balance: Amount, salt: Digest32,
        siblings: [Sibling]
    ) {
        self.asset = asset
        self.asOf = asOf
        self.leafCount = leafCount
        self.position = position
        self.account = account
        self.balance = balance
        self.salt = salt
        self.siblings = siblings
    }

    private enum CodingKeys: String, CodingKey {
        case asset
        case asOf = "as_of"
        case leafCount = "leaf_count"
        case position, account, balance, salt, siblings
    }

    /// Checks the proof against `commitment`: the same asset, as-of and tree size;
    /// a path as long as the tree is deep; every balance and sum in range (so no
    /// negative or wrapping value can hide liabilities); the recomputed root hash
    /// and total equal to the committed ones. Costs log₂(leaves) + 1 SHA-256.
    public func verify(against commitment: CommitLiabilities) throws(LiabilityProofError) {
        guard asset == commitment.asset, asOf == commitment.asOf, leafCount == commitment.leafCount else {
            throw LiabilityProofError(
                .wrongCommitment,
                "the proof is for \(asset) at size \(asOf) in a tree of \(leafCount) leaves; the commitment is for \(commitment.asset) at size \(commitment.asOf) with \(commitment.leafCount)"
            )
        }
        guard leafCount.nonzeroBitCount == 1, siblings.count == leafCount.trailingZeroBitCount, position < leafCount else {
            throw LiabilityProofError(
                .malformed, "a tree of \(leafCount) leaves needs \(leafCount.trailingZeroBitCount) siblings and a position below it")
        }
        guard balance.units <= Limits.maxLiabilityTotal else {
            throw LiabilityProofError(.outOfRange, "the balance \(balance.units) is out of range (at most \(Limits.maxLiabilityTotal))")
        }
        var hash = LiabilityHashing.leafHash(salt: salt.bytes, account: account, balance: balance.units)
        var sum = balance.units
        var index = position
        for (level, sibling) in siblings.enumerated() {
            guard sibling.sum.units <= Limits.maxLiabilityTotal else {
                throw LiabilityProofError(.outOfRange, "the sibling sum at level \(level) (\(sibling.sum.units)) is out of range")
            }
            let isRight = index & 1 == 1
            hash =
                isRight
                ? LiabilityHashing.nodeHash(left: sibling.hash.bytes, leftSum: sibling.sum.units, right: hash, rightSum: sum)
                : LiabilityHashing.nodeHash(left: hash, leftSum: sum, right: sibling.hash.bytes, rightSum: sibling.sum.units)
            sum += sibling.sum.units  // both ≤ 2^63 − 1: cannot wrap
            guard sum <= Limits.maxLiabilityTotal else {
                throw LiabilityProofError(.outOfRange, "the sum at level \(level + 1) (\(sum)) is out of range")
            }
            index >>= 1
        }
        guard hash == commitment.root.bytes else {
            throw LiabilityProofError(.rootMismatch, "the path does not lead to the committed root \(commitment.root.hex)")
        }
        guard sum == commitment.total.units else {
            throw LiabilityProofError(.totalMismatch, "the path sums to \(sum), not the committed total \(commitment.total.units)")
        }
    }
}

/// Why a liabilities proof failed, with a stable code.
public struct LiabilityProofError: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let wrongCommitment = Code(rawValue: "wrong_commitment")
        public static let malformed = Code(rawValue: "malformed")
        public static let outOfRange = Code(rawValue: "out_of_range")
        public static let rootMismatch = Code(rawValue: "root_mismatch")
        public static let totalMismatch = Code(rawValue: "total_mismatch")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
