import KhataBytes

/// An account's holding of one asset, in TigerBeetle's four counters.
///
/// Counters only grow (pending counters also shrink when a pending transfer
/// resolves). The balance is `creditsPosted − debitsPosted`; what an account may
/// still spend is that minus `debitsPending`.
public struct Balance: Hashable, Sendable, Codable {
    public internal(set) var debitsPosted: UInt64 = 0
    public internal(set) var creditsPosted: UInt64 = 0
    public internal(set) var debitsPending: UInt64 = 0
    public internal(set) var creditsPending: UInt64 = 0

    public init() {}

    public init(debitsPosted: UInt64, creditsPosted: UInt64, debitsPending: UInt64, creditsPending: UInt64) {
        self.debitsPosted = debitsPosted
        self.creditsPosted = creditsPosted
        self.debitsPending = debitsPending
        self.creditsPending = creditsPending
    }

    /// Posted credits minus posted debits; negative only for issuance accounts.
    public var posted: Int128 { Int128(creditsPosted) - Int128(debitsPosted) }
    /// What can still be debited: posted balance minus pending debits.
    public var available: Int128 { posted - Int128(debitsPending) }
    /// Whether nothing is held and nothing is pending.
    public var isEmpty: Bool { posted == 0 && debitsPending == 0 && creditsPending == 0 }
}

/// An account and an asset, ordered by account then asset: the key of a balance
/// (and, as `AttestorKey`, of a reserve attestation or price).
public struct BalanceKey: Hashable, Comparable, Sendable {
    public let account: AccountID
    public let asset: AssetCode
    public init(account: AccountID, asset: AssetCode) {
        self.account = account
        self.asset = asset
    }
    public static func < (a: Self, b: Self) -> Bool { (a.account, a.asset) < (b.account, b.asset) }
}

/// An account. Its balances live in `LedgerState.balances`, one per asset it has held.
public struct Account: Hashable, Sendable {
    public let id: AccountID
    /// Who may debit the account and change it; nil for an issuance account, whose
    /// debits (mints) are authorised by the controllers of its asset's issuer account.
    public internal(set) var controllers: KeySet?
    /// The asset whose supply this account carries, if it is an issuance account.
    public let issuedAsset: AssetCode?
    public internal(set) var isClosed: Bool
    /// The account's home zone (`MoveZone` changes it).
    public internal(set) var zone: ZoneID
    public let kycTier: UInt8
    /// The entry that created the account.
    public let createdAt: LeafIndex
    /// Assets the account has held, ascending; at most `Limits.maxAssetsPerAccount`.
    public internal(set) var assets: [AssetCode]

    /// Only issuance accounts may go negative: they carry the negative side of a supply.
    public var mayGoNegative: Bool { issuedAsset != nil }

    /// A corporate action's escrow account: no controllers and no issued asset.
    /// Only its action moves money in and out of it.
    public var isEscrow: Bool { controllers == nil && issuedAsset == nil }

    /// Flags as encoded: bit 0 may go negative, bit 1 closed.
    public var flags: UInt8 { (mayGoNegative ? 1 : 0) | (isClosed ? 2 : 0) }
}

/// A registered asset.
public struct Asset: Hashable, Sendable {
    public let code: AssetCode
    public let kind: AssetKind
    public let scale: UInt8
    public let issuer: AccountID
    public let issuanceAccount: AccountID
    public let registeredAt: LeafIndex
}

/// The state of a pending transfer.
public enum PendingState: UInt8, Hashable, Sendable, Codable {
    case pending = 0
    case posted = 1
    case voided = 2
    case expired = 3
}

/// A pending transfer and what became of it. Kept after it resolves, so that a
/// second post or void gets a precise rejection.
public struct PendingRecord: Hashable, Sendable {
    public let id: PendingID
    public let transfer: Transfer
    public let expiresAt: Timestamp
    public internal(set) var state: PendingState
    /// The amount posted (zero unless posted).
    public internal(set) var postedAmount: Amount
}

/// What the ledger remembers of every sequenced transaction id: enough to answer
/// a retry with the original receipt, or to refuse a reuse.
public struct TransactionRecord: Hashable, Sendable {
    public let contentDigest: Digest32
    public let index: LeafIndex
    public let outcome: Outcome
}
