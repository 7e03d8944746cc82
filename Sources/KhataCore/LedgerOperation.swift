/// One step of a transaction. A transaction's operations commit together or not at all.
///
/// The tag of each case is its byte in the canonical encoding (docs/ENCODING.md);
/// tags are stable and never reused.
public enum LedgerOperation: Hashable, Sendable {
    case createAccount(CreateAccount)
    case registerAsset(RegisterAsset)
    case transfer(Transfer)
    case pendingTransfer(PendingTransfer)
    case postPending(PostPending)
    case voidPending(VoidPending)
    case changeControllers(ChangeControllers)
    case closeAccount(CloseAccount)
    case attestReserve(AttestReserve)
    case attestPrice(AttestPrice)
    case setMonetaryPolicy(SetMonetaryPolicy)
    case commitLiabilities(CommitLiabilities)
    case registerInstrument(RegisterInstrument)
    case setInstrumentRules(SetInstrumentRules)
    case attestIdentity(AttestIdentity)
    case lockHolding(LockHolding)
    case forcedTransfer(ForcedTransfer)
    case declareAction(DeclareAction)
    case settleAction(SettleAction)
    case commitRegister(CommitRegister)
    case castVote(CastVote)
    case linkPending(LinkPending)
    case registerZone(RegisterZone)
    case proposeLaw(ProposeLaw)
    case voteLaw(VoteLaw)
    case cancelProposal(CancelProposal)
    case moveZone(MoveZone)
    case payLevy(PayLevy)
    case registerProvider(RegisterProvider)
    case bindAddress(BindAddress)
    case unbindAddress(UnbindAddress)
    case requestPayment(RequestPayment)
    case answerRequest(AnswerRequest)
    case createMandate(CreateMandate)
    case revokeMandate(RevokeMandate)
    case collectMandate(CollectMandate)
    case remit(Remit)
    case completeRemittance(CompleteRemittance)
    case refundRemittance(RefundRemittance)

    public enum Tag: UInt8, Sendable, CaseIterable {
        case createAccount = 1
        case registerAsset = 2
        case transfer = 3
        case pendingTransfer = 4
        case postPending = 5
        case voidPending = 6
        case changeControllers = 7
        case closeAccount = 8
        case attestReserve = 9
        case attestPrice = 10
        case setMonetaryPolicy = 11
        case commitLiabilities = 12
        case registerInstrument = 13
        case setInstrumentRules = 14
        case attestIdentity = 15
        case lockHolding = 16
        case forcedTransfer = 17
        case declareAction = 18
        case settleAction = 19
        case commitRegister = 20
        case castVote = 21
        case linkPending = 22
        case registerZone = 23
        case proposeLaw = 24
        case voteLaw = 25
        case cancelProposal = 26
        case moveZone = 27
        case payLevy = 28
        case registerProvider = 29
        case bindAddress = 30
        case unbindAddress = 31
        case requestPayment = 32
        case answerRequest = 33
        case createMandate = 34
        case revokeMandate = 35
        case collectMandate = 36
        case remit = 37
        case completeRemittance = 38
        case refundRemittance = 39

        /// The name used in JSON (`"type"`) and in messages.
        public var name: String {
            switch self {
            case .createAccount: "create_account"
            case .registerAsset: "register_asset"
            case .transfer: "transfer"
            case .pendingTransfer: "pending_transfer"
            case .postPending: "post_pending"
            case .voidPending: "void_pending"
            case .changeControllers: "change_controllers"
            case .closeAccount: "close_account"
            case .attestReserve: "attest_reserve"
            case .attestPrice: "attest_price"
            case .setMonetaryPolicy: "set_monetary_policy"
            case .commitLiabilities: "commit_liabilities"
            case .registerInstrument: "register_instrument"
            case .setInstrumentRules: "set_instrument_rules"
            case .attestIdentity: "attest_identity"
            case .lockHolding: "lock_holding"
            case .forcedTransfer: "forced_transfer"
            case .declareAction: "declare_action"
            case .settleAction: "settle_action"
            case .commitRegister: "commit_register"
            case .castVote: "cast_vote"
            case .linkPending: "link_pending"
            case .registerZone: "register_zone"
            case .proposeLaw: "propose_law"
            case .voteLaw: "vote_law"
            case .cancelProposal: "cancel_proposal"
            case .moveZone: "move_zone"
            case .payLevy: "pay_levy"
            case .registerProvider: "register_provider"
            case .bindAddress: "bind_address"
            case .unbindAddress: "unbind_address"
            case .requestPayment: "request_payment"
            case .answerRequest: "answer_request"
            case .createMandate: "create_mandate"
            case .revokeMandate: "revoke_mandate"
            case .collectMandate: "collect_mandate"
            case .remit: "remit"
            case .completeRemittance: "complete_remittance"
            case .refundRemittance: "refund_remittance"
            }
        }
    }

    public var tag: Tag {
        switch self {
        case .createAccount: .createAccount
        case .registerAsset: .registerAsset
        case .transfer: .transfer
        case .pendingTransfer: .pendingTransfer
        case .postPending: .postPending
        case .voidPending: .voidPending
        case .changeControllers: .changeControllers
        case .closeAccount: .closeAccount
        case .attestReserve: .attestReserve
        case .attestPrice: .attestPrice
        case .setMonetaryPolicy: .setMonetaryPolicy
        case .commitLiabilities: .commitLiabilities
        case .registerInstrument: .registerInstrument
        case .setInstrumentRules: .setInstrumentRules
        case .attestIdentity: .attestIdentity
        case .lockHolding: .lockHolding
        case .forcedTransfer: .forcedTransfer
        case .declareAction: .declareAction
        case .settleAction: .settleAction
        case .commitRegister: .commitRegister
        case .castVote: .castVote
        case .linkPending: .linkPending
        case .registerZone: .registerZone
        case .proposeLaw: .proposeLaw
        case .voteLaw: .voteLaw
        case .cancelProposal: .cancelProposal
        case .moveZone: .moveZone
        case .payLevy: .payLevy
        case .registerProvider: .registerProvider
        case .bindAddress: .bindAddress
        case .unbindAddress: .unbindAddress
        case .requestPayment: .requestPayment
        case .answerRequest: .answerRequest
        case .createMandate: .createMandate
        case .revokeMandate: .revokeMandate
        case .collectMandate: .collectMandate
        case .remit: .remit
        case .completeRemittance: .completeRemittance
        case .refundRemittance: .refundRemittance
        }
    }
}

/// Opens an account controlled by `controllers`. Authorised by the new
/// controllers themselves (their threshold must sign), which proves that the
/// creator holds the keys it names.
public struct CreateAccount: Hashable, Sendable, Codable {
    public var account: AccountID
    public var controllers: KeySet
    /// The account's home zone: 0 (the mainland) or a registered zone (docs/LAWS.md).
    public var zone: ZoneID
    /// A tier the creator declares for its own records. Laws do not count it:
    /// a law's tiers come from attestations by the identity providers it names.
    public var kycTier: UInt8

    public init(account: AccountID, controllers: KeySet, zone: UInt16 = 0, kycTier: UInt8 = 0) {
        self.account = account
        self.controllers = controllers
        self.zone = zone
        self.kycTier = kycTier
    }
}

/// The kind of an asset. Raw values are encoded bytes.
public enum AssetKind: UInt8, Hashable, Sendable, Codable, CaseIterable {
    case currency = 1
    case reserve = 2
    case equity = 3
    case bond = 4
    /// Units of a collective investment fund.
    case fund = 5

    public var name: String {
        switch self {
        case .currency: "currency"
        case .reserve: "reserve"
        case .equity: "equity"
        case .bond: "bond"
        case .fund: "fund"
        }
    }

    /// Whether an instrument (a security with an issuer, terms and transfer
    /// rules; docs/STOCKCHAIN.md) may be of this kind.
    public var isSecurity: Bool { self == .equity || self == .bond || self == .fund }

    public init?(name: String) {
        guard let kind = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = kind
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let kind = AssetKind(name: name) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath, debugDescription: "asset kind is currency, reserve, equity, bond or fund"))
        }
        self = kind
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// Registers an asset and opens its issuance account, which may go negative and
/// carries the negative side of the supply. Authorised by the ledger's issuer
/// keys (set at genesis). Minting is a transfer from the issuance account and is
/// authorised by the controllers of the `issuer` account.
public struct RegisterAsset: Hashable, Sendable, Codable {
    public var asset: AssetCode
    public var kind: AssetKind
    /// Minor-unit digits: 2 for INR (paise), 8 for BTC (satoshis), 3 for XAU (grams of 1,000 milligrams).
    public var scale: UInt8
    /// The account whose controllers authorise minting (debits of the issuance account).
    public var issuer: AccountID
    /// The id of the new issuance account.
    public var issuanceAccount: AccountID

    public init(asset: AssetCode, kind: AssetKind, scale: UInt8, issuer: AccountID, issuanceAccount: AccountID) {
        self.asset = asset
        self.kind = kind
        self.scale = scale
        self.issuer = issuer
        self.issuanceAccount = issuanceAccount
    }
}

/// Moves `amount` of `asset` from `debit` to `credit` at once. Authorised by the
/// debit account's controllers.
public struct Transfer: Hashable, Sendable, Codable {
    public var asset: AssetCode
    public var debit: AccountID
    public var credit: AccountID
    public var amount: Amount
    /// Free text for the parties (UTF-8, at most `Limits.maxMemoBytes` bytes).
    public var memo: String

    public init(asset: AssetCode, debit: AccountID, credit: AccountID, amount: Amount, memo: String = "") {
        self.asset = asset
        self.debit = debit
        self.credit = credit
        self.amount = amount
        self.memo = memo
    }
}

/// Reserves `amount` from `debit` for `credit` until posted, voided or expired
/// `timeoutSeconds` after the entry's time. Authorised by the debit account's
/// controllers. Its id is the transaction id and this operation's index.
public struct PendingTransfer: Hashable, Sendable, Codable {
    public var transfer: Transfer
    public var timeoutSeconds: UInt32

    public init(transfer: Transfer, timeoutSeconds: UInt32) {
        self.transfer = transfer
        self.timeoutSeconds = timeoutSeconds
    }
}

/// Names a pending transfer: the transaction that created it and the index of the
/// operation in it. Written `<transaction id hex>/<operation index>`.
public struct PendingID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let transaction: TransactionID
    public let operation: UInt16

    public init(transaction: TransactionID, operation: UInt16) {
        self.transaction = transaction
        self.operation = operation
    }

    public init?(text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        // The operation index in canonical decimal: no sign, no leading zero.
        guard parts.count == 2, let id = TransactionID(hex: parts[0]), let index = Amount.parseDigits(Array(parts[1].utf8)),
            let operation = UInt16(exactly: index)
        else { return nil }
        self.init(transaction: id, operation: operation)
    }

    public var description: String { "\(transaction.hex)/\(operation)" }
    public static func < (a: Self, b: Self) -> Bool { (a.transaction, a.operation) < (b.transaction, b.operation) }
}

extension PendingID: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = PendingID(text: text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath, debugDescription: "a pending id is <32 hex digits>/<operation index>"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Completes a pending transfer with `amount` (at most the pending amount); the
/// rest returns to the debit account. Authorised by the debit account's controllers.
public struct PostPending: Hashable, Sendable, Codable {
    public var pending: PendingID
    public var amount: Amount

    public init(pending: PendingID, amount: Amount) {
        self.pending = pending
        self.amount = amount
    }
}

/// Cancels a pending transfer, returning the whole amount to the debit account.
/// Authorised by the credit account's controllers: the payee gives up the hold
/// it was promised (the payer alone cannot take it back before it expires).
public struct VoidPending: Hashable, Sendable, Codable {
    public var pending: PendingID
    public init(pending: PendingID) { self.pending = pending }
}

/// Binds pending transfers so that they post together or not at all: the two
/// legs of a delivery versus payment that a broker matched and settles later.
/// A transaction that posts one must post every one (`linked_pending_unresolved`);
/// voiding one voids them all; they expire together (same `expires_at`).
/// Authorised by the payer of every one of them.
public struct LinkPending: Hashable, Sendable, Codable {
    /// 2 to `Limits.maxLinkedPendings`, strictly ascending.
    public var pendings: [PendingID]
    public init(pendings: [PendingID]) { self.pendings = pendings }
}

/// Replaces an account's controllers. Authorised by its current controllers.
public struct ChangeControllers: Hashable, Sendable, Codable {
    public var account: AccountID
    public var controllers: KeySet

    public init(account: AccountID, controllers: KeySet) {
        self.account = account
        self.controllers = controllers
    }
}

/// Closes an account that holds nothing and has nothing pending; a closed account
/// takes no further debits or credits. Authorised by its controllers.
public struct CloseAccount: Hashable, Sendable, Codable {
    public var account: AccountID
    public init(account: AccountID) { self.account = account }
}
