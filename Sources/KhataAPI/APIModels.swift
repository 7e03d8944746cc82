import Foundation
import KhataBytes
import KhataCore
import KhataLog

/// An account as the API and `khata account show --json` present it: balances in
/// major units (strings) and the exact minor-unit counters.
public struct AccountView: Codable, Sendable {
    public struct Holding: Codable, Sendable {
        public let asset: AssetCode
        public let balance: String
        public let available: String
        public let pendingDebits: String
        public let pendingCredits: String
        /// Minor units, exact.
        public let units: Units

        enum CodingKeys: String, CodingKey {
            case asset, balance, available, units
            case pendingDebits = "pending_debits"
            case pendingCredits = "pending_credits"
        }
    }

    public struct Units: Codable, Sendable {
        public let debitsPosted: String
        public let creditsPosted: String
        public let debitsPending: String
        public let creditsPending: String
        enum CodingKeys: String, CodingKey {
            case debitsPosted = "debits_posted"
            case creditsPosted = "credits_posted"
            case debitsPending = "debits_pending"
            case creditsPending = "credits_pending"
        }
    }

    public let id: AccountID
    public let name: String?
    public let controllers: KeySet?
    public let issuedAsset: AssetCode?
    public let closed: Bool
    public let zone: UInt16
    public let kycTier: UInt8
    public let createdAt: LeafIndex
    public let balances: [Holding]

    enum CodingKeys: String, CodingKey {
        case id, name, controllers, closed, zone, balances
        case issuedAsset = "issued_asset"
        case kycTier = "kyc_tier"
        case createdAt = "created_at"
    }

    public init(_ account: Account, state: LedgerState, name: String?) {
        id = account.id
        self.name = name
        controllers = account.controllers
        issuedAsset = account.issuedAsset
        closed = account.isClosed
        zone = account.zone
        kycTier = account.kycTier
        createdAt = account.createdAt
        balances = account.assets.map { code in
            let balance = state.balance(of: account.id, in: code)
            let scale = state.assets[code]?.scale ?? 0
            return Holding(
                asset: code, balance: AmountText.format(balance.posted, scale: scale),
                available: AmountText.format(balance.available, scale: scale),
                pendingDebits: AmountText.format(Int128(balance.debitsPending), scale: scale),
                pendingCredits: AmountText.format(Int128(balance.creditsPending), scale: scale),
                units: Units(
                    debitsPosted: String(balance.debitsPosted), creditsPosted: String(balance.creditsPosted),
                    debitsPending: String(balance.debitsPending), creditsPending: String(balance.creditsPending)))
        }
    }
}

/// A logged entry as the API presents it: decoded, with its bytes and leaf hash.
public struct EntryView: Codable, Sendable {
    public let index: LeafIndex
    public let time: Timestamp
    public let kind: String
    public let outcome: Outcome
    public let transaction: Transaction?
    public let genesisOrigin: String?
    public let leafHash: Digest32
    /// The canonical entry bytes, hex: what the leaf hash and proofs cover.
    public let bytes: String

    enum CodingKeys: String, CodingKey {
        case index, time, kind, outcome, transaction, bytes
        case genesisOrigin = "genesis_origin"
        case leafHash = "leaf_hash"
    }

    public init(_ entry: Entry, bytes: [UInt8], leafHash: Digest32) {
        index = entry.index
        time = entry.time
        outcome = entry.outcome
        self.leafHash = leafHash
        self.bytes = Hex.encode(bytes)
        switch entry.payload {
        case .genesis(let genesis):
            kind = "genesis"
            transaction = nil
            genesisOrigin = genesis.origin
        case .transaction(let transaction):
            kind = "transaction"
            self.transaction = transaction
            genesisOrigin = nil
        }
    }
}

/// An inclusion proof against a signed checkpoint.
public struct InclusionProofView: Codable, Sendable {
    public let index: UInt64
    public let size: UInt64
    public let leafHash: Digest32
    /// The audit path, leaf's sibling first, standard base64 (as in tlog-proof).
    public let proof: [String]
    /// The signed checkpoint note (cosignatures included) the proof is against.
    public let checkpoint: String

    enum CodingKeys: String, CodingKey {
        case index, size, proof, checkpoint
        case leafHash = "leaf_hash"
    }

    public init(index: UInt64, size: UInt64, leafHash: Digest32, proof: [String], checkpoint: String) {
        self.index = index
        self.size = size
        self.leafHash = leafHash
        self.proof = proof
        self.checkpoint = checkpoint
    }
}

/// A consistency proof between two tree sizes.
public struct ConsistencyProofView: Codable, Sendable {
    public let old: UInt64
    public let new: UInt64
    public let proof: [String]

    public init(old: UInt64, new: UInt64, proof: [String]) {
        self.old = old
        self.new = new
        self.proof = proof
    }
}

/// `GET /v1/transactions/{id}`: the receipt, the entry, and once a published
/// checkpoint covers it, the inclusion proof.
public struct TransactionView: Codable, Sendable {
    public let receipt: Receipt
    public let entry: EntryView
    public let inclusion: InclusionProofView?

    public init(receipt: Receipt, entry: EntryView, inclusion: InclusionProofView?) {
        self.receipt = receipt
        self.entry = entry
        self.inclusion = inclusion
    }
}

/// An asset, its supply and how many accounts hold it.
public struct AssetView: Codable, Sendable {
    public let code: AssetCode
    public let kind: AssetKind
    public let scale: UInt8
    public let issuer: AccountID
    public let issuanceAccount: AccountID
    /// Supply in minor units, exact.
    public let supplyUnits: String
    /// Supply in major units, for people.
    public let supply: String
    public let holders: Int

    enum CodingKeys: String, CodingKey {
        case code, kind, scale, issuer, supply, holders
        case issuanceAccount = "issuance_account"
        case supplyUnits = "supply_units"
    }

    public init(_ asset: Asset, state: LedgerState) {
        code = asset.code
        kind = asset.kind
        scale = asset.scale
        issuer = asset.issuer
        issuanceAccount = asset.issuanceAccount
        let units = state.supply(of: asset.code)
        supplyUnits = String(units)
        supply = AmountText.format(Amount(units), scale: asset.scale)
        holders = state.holders[asset.code] ?? 0
    }
}

/// `GET /v1/ledger`: what a client pins.
public struct LedgerView: Codable, Sendable {
    public let origin: String
    /// The ledger's verifier key, C2SP `name+keyid+base64`.
    public let vkey: String
    /// The witnesses' verifier keys, same form.
    public let witnesses: [String]
    public let witnessQuorum: Int
    public let size: UInt64
    /// The latest published checkpoint note.
    public let checkpoint: String?
    /// With a monetary policy: `covered`, `undercovered` or `stale` (mints refused
    /// in the last two), as in `GET /v1/reserves`.
    public let reserveStatus: String?
    /// With a monetary policy: coverage now, basis points rounded down.
    public let coverageBasisPoints: UInt64?

    enum CodingKeys: String, CodingKey {
        case origin, vkey, witnesses, size, checkpoint
        case witnessQuorum = "witness_quorum"
        case reserveStatus = "reserve_status"
        case coverageBasisPoints = "coverage_basis_points"
    }

    public init(
        origin: String, vkey: String, witnesses: [String], witnessQuorum: Int, size: UInt64, checkpoint: String?,
        reserves: ReserveEvaluation? = nil
    ) {
        self.origin = origin
        self.vkey = vkey
        self.witnesses = witnesses
        self.witnessQuorum = witnessQuorum
        self.size = size
        self.checkpoint = checkpoint
        reserveStatus = reserves.map(ReservesView.status(of:))
        coverageBasisPoints = reserves?.coverageBasisPoints
    }
}

/// A page of entries, newest first for history, ascending for the log.
public struct EntryPage: Codable, Sendable {
    public let entries: [EntryView]
    /// Pass as `before` (history) or `from` (log) for the next page; absent on the last.
    public let next: UInt64?

    public init(entries: [EntryView], next: UInt64?) {
        self.entries = entries
        self.next = next
    }
}

/// `GET /v1/state`: the durable state's size and digest, to compare with a
/// replay (`khata audit`, an outsider's implementation) without stopping the node.
public struct StateView: Codable, Sendable, Equatable {
    public let origin: String
    /// Entries the state has applied: the digest is of the state after entries 0 ..< size.
    public let size: UInt64
    /// The last entry's time (milliseconds since 1970).
    public let time: Timestamp
    public let accounts: Int
    /// SHA-256 of the canonical state snapshot (docs/ENCODING.md, "State snapshot").
    public let digest: Digest32

    public init(origin: String, size: UInt64, time: Timestamp, accounts: Int, digest: Digest32) {
        self.origin = origin
        self.size = size
        self.time = time
        self.accounts = accounts
        self.digest = digest
    }
}
