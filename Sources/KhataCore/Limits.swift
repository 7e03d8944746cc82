/// Every bound Khata enforces, in one place.
///
/// Each limit is checked where input enters (decoding, the command line, later
/// the HTTP server). `LimitsTests` checks that the limits fit together, for
/// example that the largest transaction still fits in the largest entry.
public enum Limits {
    /// The largest encoded log entry: the C2SP tlog-tiles entry bundle limit.
    public static let maxEntryBytes = 65_535
    /// Bytes an entry adds around its payload: version, index, time, kind,
    /// payload length, and the longest outcome.
    public static let entryOverheadBytes = 1 + 8 + 8 + 1 + 2 + Outcome.maxEncodedBytes
    /// The largest encoded transaction (body and signatures), so that its entry fits.
    public static let maxTransactionBytes = maxEntryBytes - entryOverheadBytes
    /// Operations in one transaction.
    public static let maxOperations = 1_024
    /// Signatures on one transaction.
    public static let maxSignatures = 16
    /// Keys in one controller set (the n of m-of-n).
    public static let maxControllers = 16
    /// Bytes of a transfer memo.
    public static let maxMemoBytes = 64
    /// Bytes of a ledger origin (the checkpoint's first line).
    public static let maxOriginBytes = 128
    /// Characters of an asset code.
    public static let maxAssetCodeBytes = 12
    /// Minor-unit digits of an asset (10^18 still fits in 64 bits).
    public static let maxAssetScale: UInt8 = 18
    /// Different assets one account may hold at once.
    public static let maxAssetsPerAccount = 64
    /// The longest timeout of a pending transfer: 366 days, in seconds.
    public static let maxPendingTimeoutSeconds: UInt32 = 366 * 24 * 3600
    /// Transactions in one submitted batch (and so in one group commit).
    public static let maxBatchTransactions = 8_192
    /// Entries a caller may read in one call (log listing, history pages).
    public static let maxPageEntries = 1_000
    /// Entry bytes one page of entries carries at most (a page holds at least one
    /// entry, and stops before the entry that would take it past this; its
    /// `next` continues it). In JSON each byte is two hex digits and the decoded
    /// form is about as large again, so a page stays under about 5 MiB.
    public static let maxPageBytes = 1 << 20
    /// The largest integer a query parameter may carry (indices, sizes, cursors):
    /// 2^63 − 1, what SQLite and every signed 64-bit reader can hold.
    public static let maxQueryInteger = UInt64(Int64.max)
    /// The latest sequencer time accepted, so that time plus any timeout never overflows.
    public static let maxTimestampMilliseconds: UInt64 = 1 << 62
    /// The highest coverage a policy may require, in basis points (100 times the circulation).
    public static let maxCoverageBasisPoints: UInt32 = 1_000_000
    /// Reserve assets one monetary policy counts.
    public static let maxReserveAssets = 8
    /// Custodians (and, separately, oracles) one monetary policy registers.
    public static let maxAttestors = 32
    /// The smallest liabilities tree: padding hides how many holders a smaller ledger has.
    public static let minLiabilityLeaves: UInt64 = 1 << 10
    /// The largest liabilities tree (about a billion holders).
    public static let maxLiabilityLeaves: UInt64 = 1 << 30
    /// The largest balance, node sum or total in a liabilities tree: 2^63 − 1, so
    /// that the sum of two in-range values never wraps a 64-bit integer.
    public static let maxLiabilityTotal = UInt64(Int64.max)
    /// Supply changes of the policy's currency kept for liabilities commitments
    /// not yet made (older ones are dropped when a commitment is logged).
    public static let maxSupplyHistory = 1 << 20
    /// Bytes of an instrument's display name.
    public static let maxInstrumentNameBytes = 64
    /// Bytes of a share class's name.
    public static let maxShareClassBytes = 16
    /// Identity providers one instrument's rules name.
    public static let maxIdentityProviders = 8
    /// The highest yearly coupon rate, in basis points (100 %).
    public static let maxCouponBasisPoints: UInt32 = 10_000
    /// Holders one settlement entry pays or adjusts: bounds the time one entry
    /// holds the sequencer (docs/STOCKCHAIN.md, "Settlement").
    public static let maxSettlementAccounts = 1_000
    /// Actions (ballots included) open at once on one instrument: every change of
    /// a holding saves its record-date value in each, so each costs every transfer.
    public static let maxOpenActionsPerInstrument = 16
    /// Bytes of a law's URL.
    public static let maxLawURLBytes = 200
    /// Bytes of a zone's name.
    public static let maxZoneNameBytes = 32
    /// Tiers one law sets limits for.
    public static let maxLawTiers = 8
    /// Assets one law lists as allowed.
    public static let maxLawAssets = 32
    /// Corridors one law sets.
    public static let maxLawCorridors = 16
    /// The longest voting period or time lock: 366 days, in seconds.
    public static let maxGovernanceSeconds: UInt32 = 366 * 24 * 3600
    /// Proposals open at once (voting or in their time lock) in one zone.
    public static let maxOpenProposals = 8
    /// Pending transfers one link binds (at least 2).
    public static let maxLinkedPendings = 8
    /// Bytes of a ballot's question.
    public static let maxBallotQuestionBytes = 200
    /// Options of one ballot (at least 2).
    public static let maxBallotOptions = 16
    /// Bytes of one ballot option.
    public static let maxBallotOptionBytes = 64
    /// Bytes of an address's handle (the part before `@`).
    public static let maxHandleBytes = 64
    /// Bytes of a provider's name (the part of an address after `@`).
    public static let maxProviderNameBytes = 32
    /// Bytes of a provider's or an address holder's display name.
    public static let maxDisplayNameBytes = 64
    /// The longest a payment request stays open: 30 days, in seconds.
    public static let maxRequestSeconds: UInt32 = 30 * 24 * 3600
    /// The shortest period of a mandate (at most one debit per period): a minute.
    public static let minMandatePeriodSeconds: UInt32 = 60
    /// The longest period of a mandate: 366 days, in seconds.
    public static let maxMandatePeriodSeconds: UInt32 = 366 * 24 * 3600
    /// The longest a remittance may wait for completion before the sender is made whole: 7 days.
    public static let maxRemittanceSeconds: UInt32 = 7 * 24 * 3600
}
