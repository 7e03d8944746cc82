import KhataBytes

/// Why the state machine refused a transaction. A closed list with stable numbers:
/// a number is never reused or renumbered, new codes are appended.
///
/// A rejection is a business outcome, not an error: the transaction is sequenced
/// and logged with its code, changes no balance, and its id stays failed forever.
/// docs/REJECTIONS.md lists every code with when it happens.
public enum RejectionCode: UInt16, Sendable, CaseIterable, Codable {
    /// A debit would take a non-negative account below zero (posted minus pending).
    case exceedsAvailableBalance = 1
    /// An account named by the operation does not exist.
    case accountNotFound = 2
    /// The asset named by the operation is not registered.
    case assetNotFound = 3
    /// An issuance account was asked to carry an asset other than its own.
    case assetMismatch = 4
    /// The signers do not meet the threshold of the keys that must authorise the operation.
    case insufficientSignatures = 5
    /// No pending transfer has this id.
    case pendingNotFound = 6
    /// The pending transfer was already posted.
    case pendingAlreadyPosted = 7
    /// The pending transfer was already voided.
    case pendingAlreadyVoided = 8
    /// The pending transfer expired: its `expires_at` is at or before this entry's time.
    case pendingExpired = 9
    /// A transfer or post of zero.
    case amountZero = 10
    /// A balance counter would pass 2^64 − 1.
    case amountOverflow = 11
    /// An account named by the operation is closed.
    case accountClosed = 12
    /// This transaction id was already used for a transaction with other content.
    case idReusedWithDifferentContent = 13
    /// The account would hold more than `Limits.maxAssetsPerAccount` assets.
    case limitExceeded = 14
    /// An account with this id already exists.
    case accountExists = 15
    /// An asset with this code is already registered.
    case assetExists = 16
    /// Debit and credit are the same account.
    case sameAccount = 17
    /// An account with a balance or a pending amount cannot be closed.
    case accountNotEmpty = 18
    /// A post larger than the pending amount.
    case exceedsPendingAmount = 19
    /// The operation is not allowed on an issuance account (changing its controllers, closing it).
    case issuanceAccountRestricted = 20
    /// The account is not registered by the monetary policy as a custodian (or an
    /// oracle) of the asset it attests, or there is no policy.
    case attestorNotRegistered = 21
    /// A monetary policy change not signed by the current policy's governance
    /// threshold (for the first policy, the ledger's issuer keys).
    case governanceThresholdNotMet = 22
    /// The mint would leave the currency covered below the policy's requirement.
    case coverageInsufficient = 23
    /// The mint relies on an attestation or a price older than the policy allows,
    /// or a reserve asset has fewer fresh prices than the policy needs.
    case reserveDataStale = 24
    /// The monetary policy does not fit the ledger: its version does not follow
    /// the current one, it changes the currency, or it names assets of the wrong
    /// kind or accounts that cannot attest.
    case policyInvalid = 25
    /// An attestation or price dated after its entry, or not later than the one it replaces.
    case asOfInvalid = 26
    /// A liabilities commitment whose total is not the supply at its `as_of`, whose
    /// `as_of` is not after the previous commitment's and before its own entry, or
    /// whose asset is not the policy's currency.
    case liabilitiesMismatch = 27
    /// An instrument operation names an asset that is not an instrument, or an
    /// instrument's terms or rules do not fit the ledger (a currency that is
    /// not a registered currency, an identity provider that is not an account).
    case instrumentInvalid = 28
    /// An issuance would take an instrument's outstanding amount (issued and
    /// pending issue) past the amount its terms authorise.
    case exceedsAuthorisedAmount = 29
    /// The debit would touch the part of a holding that is locked (a freeze or
    /// a lock-up until a date).
    case holdingLocked = 30
    /// The receiving account has no unexpired identity attestation of the
    /// instrument's minimum tier from one of its identity providers.
    case identityNotVerified = 31
    /// The receiving account would hold more of the instrument than its rules allow one holder.
    case maxHoldingExceeded = 32
    /// The instrument would have more holders than its rules allow.
    case maxHoldersExceeded = 33
    /// A settlement or register commitment names no open action, or accounts
    /// that are not the next holders of its register in ascending order; or a
    /// declaration whose terms do not fit the instrument (a coupon on an equity).
    case actionInvalid = 34
    /// The instrument is being split or redeemed: its transfers, pending
    /// transfers and posts wait until every holder is settled. A split or
    /// redemption is also refused while the instrument has pending transfers.
    case instrumentSettling = 35
    /// The instrument was redeemed: nothing of it is outstanding or can be issued.
    case instrumentRedeemed = 36
    /// A register commitment whose total is not the instrument's outstanding
    /// amount at the record date, or for an action already committed.
    case registerMismatch = 37
    /// A vote on a ballot that has closed (its `closes_at` is at or before the entry's time).
    case ballotClosed = 38
    /// A link of pending transfers that names one twice, one not pending, one
    /// already linked, or transfers that do not expire together.
    case pendingLinkInvalid = 39
    /// A transaction posts part of a linked group of pending transfers without
    /// posting all of it: linked legs post together or not at all.
    case linkedPendingUnresolved = 40
    /// A zone that is not registered (or already is), or a move to the zone the account is in.
    case zoneInvalid = 41
    /// A law whose currency, allowed assets, identity providers or treasury the ledger does not have.
    case lawInvalid = 42
    /// The receiver's zone's law does not allow it to hold the asset.
    case lawAssetNotAllowed = 43
    /// The payment is above the payer's per-payment cap for its tier.
    case lawPaymentCap = 44
    /// The payment is above the limit of the corridor between the two zones.
    case lawCorridorCap = 45
    /// The payment would take the payer past its daily outflow cap.
    case lawDailyCap = 46
    /// The payment would take the payer past its monthly outflow cap.
    case lawMonthlyCap = 47
    /// The payment would take the receiver past its balance cap.
    case lawBalanceCap = 48
    /// A payment (or a move) owes a levy the transaction does not pay.
    case levyUnpaid = 49
    /// A `pay_levy` that pays no levy owed, or not exactly the amount owed.
    case levyMismatch = 50
    /// No such proposal, or the key is not one of its zone's governors.
    case proposalInvalid = 51
    /// The proposal is past the step the operation needs (voting over, or already decided).
    case proposalClosed = 52
    /// The account does not hold the tier its destination zone requires to enter.
    case zoneEntryRefused = 53
    /// No such provider, one not registered for the role the operation needs, or a registration whose name is taken or whose account is not an open ordinary account.
    case providerInvalid = 54
    /// The address is bound to another account: it must be unbound first.
    case addressTaken = 55
    /// No account is bound to the address.
    case addressNotFound = 56
    /// No such payment request, or it is no longer open (paid, declined or expired).
    case requestInvalid = 57
    /// No such mandate.
    case mandateInvalid = 58
    /// The mandate is revoked, has ended or has not started.
    case mandateInactive = 59
    /// The debit is above the mandate's maximum per debit, or in another asset.
    case mandateAmountCap = 60
    /// The mandate was already debited in the current period.
    case mandateTooFrequent = 61
    /// The quote expired at or before the entry's time.
    case quoteExpired = 62
    /// The amount is outside the quote's range, or more than is left of its capacity.
    case quoteOutOfRange = 63
    /// The quote's provider is not an exchange, its key is not one of the provider's keys, or its number already stands for other terms.
    case quoteInvalid = 64
    /// No such remittance, or it is not in the state the operation needs (a completion needs a pending one, a refund a completed one and at most what the sender paid).
    case remittanceInvalid = 65

    /// The snake_case name used in JSON and API problem codes.
    public var name: String {
        switch self {
        case .exceedsAvailableBalance: "exceeds_available_balance"
        case .accountNotFound: "account_not_found"
        case .assetNotFound: "asset_not_found"
        case .assetMismatch: "asset_mismatch"
        case .insufficientSignatures: "insufficient_signatures"
        case .pendingNotFound: "pending_not_found"
        case .pendingAlreadyPosted: "pending_already_posted"
        case .pendingAlreadyVoided: "pending_already_voided"
        case .pendingExpired: "pending_expired"
        case .amountZero: "amount_zero"
        case .amountOverflow: "amount_overflow"
        case .accountClosed: "account_closed"
        case .idReusedWithDifferentContent: "id_reused_with_different_content"
        case .limitExceeded: "limit_exceeded"
        case .accountExists: "account_exists"
        case .assetExists: "asset_exists"
        case .sameAccount: "same_account"
        case .accountNotEmpty: "account_not_empty"
        case .exceedsPendingAmount: "exceeds_pending_amount"
        case .issuanceAccountRestricted: "issuance_account_restricted"
        case .attestorNotRegistered: "attestor_not_registered"
        case .governanceThresholdNotMet: "governance_threshold_not_met"
        case .coverageInsufficient: "coverage_insufficient"
        case .reserveDataStale: "reserve_data_stale"
        case .policyInvalid: "policy_invalid"
        case .asOfInvalid: "as_of_invalid"
        case .liabilitiesMismatch: "liabilities_mismatch"
        case .instrumentInvalid: "instrument_invalid"
        case .exceedsAuthorisedAmount: "exceeds_authorised_amount"
        case .holdingLocked: "holding_locked"
        case .identityNotVerified: "identity_not_verified"
        case .maxHoldingExceeded: "max_holding_exceeded"
        case .maxHoldersExceeded: "max_holders_exceeded"
        case .actionInvalid: "action_invalid"
        case .instrumentSettling: "instrument_settling"
        case .instrumentRedeemed: "instrument_redeemed"
        case .registerMismatch: "register_mismatch"
        case .ballotClosed: "ballot_closed"
        case .pendingLinkInvalid: "pending_link_invalid"
        case .linkedPendingUnresolved: "linked_pending_unresolved"
        case .zoneInvalid: "zone_invalid"
        case .lawInvalid: "law_invalid"
        case .lawAssetNotAllowed: "law_asset_not_allowed"
        case .lawPaymentCap: "law_payment_cap"
        case .lawCorridorCap: "law_corridor_cap"
        case .lawDailyCap: "law_daily_cap"
        case .lawMonthlyCap: "law_monthly_cap"
        case .lawBalanceCap: "law_balance_cap"
        case .levyUnpaid: "levy_unpaid"
        case .levyMismatch: "levy_mismatch"
        case .proposalInvalid: "proposal_invalid"
        case .proposalClosed: "proposal_closed"
        case .zoneEntryRefused: "zone_entry_refused"
        case .providerInvalid: "provider_invalid"
        case .addressTaken: "address_taken"
        case .addressNotFound: "address_not_found"
        case .requestInvalid: "request_invalid"
        case .mandateInvalid: "mandate_invalid"
        case .mandateInactive: "mandate_inactive"
        case .mandateAmountCap: "mandate_amount_cap"
        case .mandateTooFrequent: "mandate_too_frequent"
        case .quoteExpired: "quote_expired"
        case .quoteOutOfRange: "quote_out_of_range"
        case .quoteInvalid: "quote_invalid"
        case .remittanceInvalid: "remittance_invalid"
        }
    }

    /// The rule behind the code, in one sentence for people (docs/REJECTIONS.md has the details).
    public var rule: String {
        switch self {
        case .exceedsAvailableBalance: "the debit account's available balance (posted minus pending) is below the amount"
        case .accountNotFound: "an account the operation names does not exist"
        case .assetNotFound: "the asset is not registered"
        case .assetMismatch: "an issuance account can carry only its own asset"
        case .insufficientSignatures: "the signers do not meet the threshold of the keys that must authorise the operation"
        case .pendingNotFound: "no pending transfer has this id"
        case .pendingAlreadyPosted: "the pending transfer was already posted"
        case .pendingAlreadyVoided: "the pending transfer was already voided"
        case .pendingExpired: "the pending transfer expired"
        case .amountZero: "the amount is zero"
        case .amountOverflow: "an amount or counter would not fit 64 bits"
        case .accountClosed: "an account the operation names is closed"
        case .idReusedWithDifferentContent: "another transaction already holds this id"
        case .limitExceeded: "the account would hold more than 64 different assets"
        case .accountExists: "an account with this id already exists"
        case .assetExists: "an asset with this code is already registered"
        case .sameAccount: "debit and credit are the same account"
        case .accountNotEmpty: "an account with a balance or a pending amount cannot be closed"
        case .exceedsPendingAmount: "a post cannot exceed the pending amount"
        case .issuanceAccountRestricted: "the operation is not allowed on an issuance account"
        case .attestorNotRegistered: "the monetary policy does not register this account for this asset"
        case .governanceThresholdNotMet: "the policy's governance threshold did not sign"
        case .coverageInsufficient: "the mint would leave the currency covered below the policy's requirement"
        case .reserveDataStale: "the mint relies on reserve attestations or prices the policy deems too old"
        case .policyInvalid: "the monetary policy does not fit the ledger"
        case .asOfInvalid: "a date is after its entry's time, or not later than the one it replaces"
        case .liabilitiesMismatch: "the liabilities commitment does not match the supply at its size"
        case .instrumentInvalid: "the asset is not an instrument, or the instrument's currency or identity providers do not fit"
        case .exceedsAuthorisedAmount: "the issue would take the instrument past its authorised amount"
        case .holdingLocked: "the debit would touch a locked part of the holding"
        case .identityNotVerified: "the receiver has no unexpired identity attestation of the instrument's minimum tier from one of its providers"
        case .maxHoldingExceeded: "the receiver would hold more than the instrument allows one holder"
        case .maxHoldersExceeded: "the instrument would have more holders than its rules allow"
        case .actionInvalid: "the action does not exist or is closed, or the accounts are not its next record-date holders"
        case .instrumentSettling: "the instrument is being split or redeemed; its transfers wait until every holder is settled"
        case .instrumentRedeemed: "the instrument was redeemed"
        case .registerMismatch: "the register's total is not the outstanding amount at the record date, or it is already committed"
        case .ballotClosed: "the ballot has closed"
        case .pendingLinkInvalid: "linked pending transfers must be distinct, pending, not yet linked, and expire together"
        case .linkedPendingUnresolved: "linked pending transfers post together: a transaction that posts one posts them all"
        case .zoneInvalid: "the zone is not registered (or already is), or the account is already in it"
        case .lawInvalid: "the law names a currency, asset, identity provider or treasury the ledger does not have"
        case .lawAssetNotAllowed: "the receiver's zone's law does not allow it to hold this asset"
        case .lawPaymentCap: "the payment is above the payer's per-payment cap for its tier"
        case .lawCorridorCap: "the payment is above the limit of the corridor between the two zones"
        case .lawDailyCap: "the payment would take the payer past its daily outflow cap (the zone's day)"
        case .lawMonthlyCap: "the payment would take the payer past its monthly outflow cap (the zone's month)"
        case .lawBalanceCap: "the payment would take the receiver past its balance cap for its tier"
        case .levyUnpaid: "the payment owes a levy that no pay_levy of the same transaction pays"
        case .levyMismatch: "the pay_levy pays no levy owed, or not exactly the amount owed"
        case .proposalInvalid: "no such proposal, or the key is not a governor of its zone"
        case .proposalClosed: "the proposal is no longer open for this step"
        case .zoneEntryRefused: "the account does not hold the tier its destination zone requires to enter"
        case .providerInvalid: "no such provider, or it is not registered for this role (or the name is taken)"
        case .addressTaken: "the address is bound to another account; unbind it first"
        case .addressNotFound: "no account is bound to the address"
        case .requestInvalid: "no such payment request, or it is no longer open"
        case .mandateInvalid: "no such mandate"
        case .mandateInactive: "the mandate is revoked, has ended or has not started"
        case .mandateAmountCap: "the debit is above the mandate's maximum per debit"
        case .mandateTooFrequent: "the mandate was already debited in this period"
        case .quoteExpired: "the quote has expired"
        case .quoteOutOfRange: "the amount is outside the quote's range or past what is left of its capacity"
        case .quoteInvalid: "the quote's provider or key is not an exchange's, or its number stands for other terms"
        case .remittanceInvalid: "no such remittance, or it is not in the state this operation needs"
        }
    }

    public init?(name: String) {
        guard let code = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = code
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let code = RejectionCode(name: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown rejection code \(name)"))
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// What became of a sequenced transaction.
public enum Outcome: Hashable, Sendable {
    case committed
    /// Refused with `code`; `operation` is the index of the failing operation, or
    /// nil when the transaction as a whole was refused (a reused id); `law` the
    /// hash of the law whose rule refused it, when a law's rule did.
    case rejected(RejectionCode, operation: UInt16?, law: Digest32? = nil)

    /// `u8 0`, `u8 1 ‖ u16 code ‖ u16 operation (0xFFFF: the whole transaction)`,
    /// or `u8 2 ‖ u16 code ‖ u16 operation ‖ 32 bytes law hash`.
    public static let maxEncodedBytes = 37

    public var isCommitted: Bool { self == .committed }
}

extension ByteWriter {
    public mutating func write(outcome: Outcome) {
        switch outcome {
        case .committed:
            write(UInt8(0))
        case .rejected(let code, let operation, let law):
            write(UInt8(law == nil ? 1 : 2))
            write(code.rawValue)
            write(operation ?? 0xFFFF)
            if let law { write(bytes: law.bytes) }
        }
    }
}

extension ByteReader {
    public mutating func readOutcome() throws(MalformedInput) -> Outcome {
        switch try readUInt8("outcome") {
        case 0:
            return .committed
        case let kind where kind == 1 || kind == 2:
            let raw = try readUInt16("rejection code")
            guard let code = RejectionCode(rawValue: raw) else {
                throw MalformedInput(.unknownTag, "unknown rejection code \(raw)")
            }
            let operation = try readUInt16("failing operation")
            let law = kind == 2 ? Digest32(bytes: try readBytes(32, "law hash"))! : nil
            return .rejected(code, operation: operation == 0xFFFF ? nil : operation, law: law)
        case let other:
            throw MalformedInput(.unknownTag, "unknown outcome \(other)")
        }
    }
}

extension Outcome: Codable {
    private enum CodingKeys: String, CodingKey { case status, code, operation, law }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .status) {
        case "committed":
            self = .committed
        case "rejected":
            self = .rejected(
                try container.decode(RejectionCode.self, forKey: .code),
                operation: try container.decodeIfPresent(UInt16.self, forKey: .operation),
                law: try container.decodeIfPresent(Digest32.self, forKey: .law))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .status, in: container, debugDescription: "status is committed or rejected, not \(other)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .committed:
            try container.encode("committed", forKey: .status)
        case .rejected(let code, let operation, let law):
            try container.encode("rejected", forKey: .status)
            try container.encode(code, forKey: .code)
            try container.encodeIfPresent(operation, forKey: .operation)
            try container.encodeIfPresent(law, forKey: .law)
        }
    }
}
