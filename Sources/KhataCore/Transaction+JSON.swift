// The JSON form of transactions, for people and the HTTP API. It carries the same
// information as the canonical encoding; signatures are always over the
// canonical bytes, never over JSON. Amounts are strings of digits.
//
// Nothing a client sends is silently ignored: an object with a field its type
// does not have (a misspelt optional field, or `timeout_seconds` on a plain
// transfer) is refused, naming the field, rather than read as something else.

/// Any JSON object key, to list what an object holds.
struct AnyJSONKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Refuses an object holding a key outside `allowed`.
    func refuseUnknownKeys(_ allowed: Set<String>, in what: String) throws {
        let keys = try container(keyedBy: AnyJSONKey.self).allKeys
        guard let unknown = keys.first(where: { !allowed.contains($0.stringValue) }) else { return }
        throw DecodingError.dataCorrupted(
            .init(
                codingPath: codingPath + [unknown],
                debugDescription:
                    "unknown field \"\(unknown.stringValue.prefix(40))\" in \(what); it has only \(allowed.sorted().joined(separator: ", "))"))
    }

    /// Refuses an object holding a key that is not one of `Keys`.
    func refuseUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type, in what: String) throws {
        try refuseUnknownKeys(Set(keys.allCases.map(\.stringValue)), in: what)
    }
}

extension LedgerOperation: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, account, controllers, zone
        case kycTier = "kyc_tier"
        case asset, kind, scale, issuer
        case issuanceAccount = "issuance_account"
        case debit, credit, amount, memo
        case timeoutSeconds = "timeout_seconds"
        case pending, pendings
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        guard let tag = Tag.allCases.first(where: { $0.name == type }) else {
            let names = Tag.allCases.map(\.name).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: c, debugDescription: "unknown operation type \"\(type.prefix(40))\"; expected one of \(names)")
        }
        try decoder.refuseUnknownKeys(Self.jsonFields(tag), in: "a \(tag.name) operation")
        switch tag {
        case .createAccount:
            self = .createAccount(
                CreateAccount(
                    account: try c.decode(AccountID.self, forKey: .account),
                    controllers: try c.decode(KeySet.self, forKey: .controllers),
                    zone: try c.decodeIfPresent(UInt16.self, forKey: .zone) ?? 0,
                    kycTier: try c.decodeIfPresent(UInt8.self, forKey: .kycTier) ?? 0))
        case .registerAsset:
            self = .registerAsset(
                RegisterAsset(
                    asset: try c.decode(AssetCode.self, forKey: .asset), kind: try c.decode(AssetKind.self, forKey: .kind),
                    scale: try c.decode(UInt8.self, forKey: .scale), issuer: try c.decode(AccountID.self, forKey: .issuer),
                    issuanceAccount: try c.decode(AccountID.self, forKey: .issuanceAccount)))
        case .transfer:
            self = .transfer(try Self.decodeTransfer(c))
        case .pendingTransfer:
            self = .pendingTransfer(
                PendingTransfer(
                    transfer: try Self.decodeTransfer(c), timeoutSeconds: try c.decode(UInt32.self, forKey: .timeoutSeconds)))
        case .postPending:
            self = .postPending(
                PostPending(pending: try c.decode(PendingID.self, forKey: .pending), amount: try c.decode(Amount.self, forKey: .amount)))
        case .voidPending:
            self = .voidPending(VoidPending(pending: try c.decode(PendingID.self, forKey: .pending)))
        case .changeControllers:
            self = .changeControllers(
                ChangeControllers(
                    account: try c.decode(AccountID.self, forKey: .account), controllers: try c.decode(KeySet.self, forKey: .controllers)))
        case .closeAccount:
            self = .closeAccount(CloseAccount(account: try c.decode(AccountID.self, forKey: .account)))
        // The reserve operations keep their fields beside "type" in the same object.
        case .attestReserve:
            self = .attestReserve(try AttestReserve(from: decoder))
        case .attestPrice:
            self = .attestPrice(try AttestPrice(from: decoder))
        case .setMonetaryPolicy:
            self = .setMonetaryPolicy(try SetMonetaryPolicy(from: decoder))
        case .commitLiabilities:
            self = .commitLiabilities(try CommitLiabilities(from: decoder))
        case .registerInstrument:
            self = .registerInstrument(try RegisterInstrument(from: decoder))
        case .setInstrumentRules:
            self = .setInstrumentRules(try SetInstrumentRules(from: decoder))
        case .attestIdentity:
            self = .attestIdentity(try AttestIdentity(from: decoder))
        case .lockHolding:
            self = .lockHolding(try LockHolding(from: decoder))
        case .forcedTransfer:
            self = .forcedTransfer(ForcedTransfer(transfer: try Self.decodeTransfer(c)))
        case .declareAction:
            self = .declareAction(try DeclareAction(from: decoder))
        case .settleAction:
            self = .settleAction(try SettleAction(from: decoder))
        case .commitRegister:
            self = .commitRegister(try CommitRegister(from: decoder))
        case .castVote:
            self = .castVote(try CastVote(from: decoder))
        case .linkPending:
            self = .linkPending(LinkPending(pendings: try c.decode([PendingID].self, forKey: .pendings)))
        // The zone operations keep their fields beside "type" as well.
        case .registerZone:
            self = .registerZone(try RegisterZone(from: decoder))
        case .proposeLaw:
            self = .proposeLaw(try ProposeLaw(from: decoder))
        case .voteLaw:
            self = .voteLaw(try VoteLaw(from: decoder))
        case .cancelProposal:
            self = .cancelProposal(try CancelProposal(from: decoder))
        case .moveZone:
            self = .moveZone(try MoveZone(from: decoder))
        case .payLevy:
            self = .payLevy(try PayLevy(from: decoder))
        // The payment operations keep their fields beside "type" as well.
        case .registerProvider:
            self = .registerProvider(try RegisterProvider(from: decoder))
        case .bindAddress:
            self = .bindAddress(try BindAddress(from: decoder))
        case .unbindAddress:
            self = .unbindAddress(try UnbindAddress(from: decoder))
        case .requestPayment:
            self = .requestPayment(try RequestPayment(from: decoder))
        case .answerRequest:
            self = .answerRequest(try AnswerRequest(from: decoder))
        case .createMandate:
            self = .createMandate(try CreateMandate(from: decoder))
        case .revokeMandate:
            self = .revokeMandate(try RevokeMandate(from: decoder))
        case .collectMandate:
            self = .collectMandate(try CollectMandate(from: decoder))
        case .remit:
            self = .remit(try Remit(from: decoder))
        case .completeRemittance:
            self = .completeRemittance(try CompleteRemittance(from: decoder))
        case .refundRemittance:
            self = .refundRemittance(try RefundRemittance(from: decoder))
        }
    }

    /// The fields of each operation's JSON object, "type" included.
    static func jsonFields(_ tag: Tag) -> Set<String> {
        let transfer: Set = ["asset", "debit", "credit", "amount", "memo"]
        let fields: Set<String> =
            switch tag {
            case .createAccount: ["account", "controllers", "zone", "kyc_tier"]
            case .registerAsset: ["asset", "kind", "scale", "issuer", "issuance_account"]
            case .transfer: transfer
            case .pendingTransfer: transfer.union(["timeout_seconds"])
            case .postPending: ["pending", "amount"]
            case .voidPending: ["pending"]
            case .changeControllers: ["account", "controllers"]
            case .closeAccount: ["account"]
            case .attestReserve: ["custodian", "asset", "amount", "as_of", "report"]
            case .attestPrice: ["oracle", "asset", "price", "as_of"]
            case .setMonetaryPolicy: ["policy"]
            case .commitLiabilities: ["asset", "as_of", "total", "leaf_count", "root"]
            case .registerInstrument: Set(RegisterInstrument.CodingKeys.allCases.map(\.stringValue))
            case .setInstrumentRules: ["asset", "rules"]
            case .attestIdentity: ["provider", "account", "tier", "expires_at"]
            case .lockHolding: ["asset", "account", "amount", "until", "reason"]
            case .forcedTransfer: transfer
            case .declareAction: ["asset", "terms", "escrow_account"]
            case .settleAction: ["action", "accounts"]
            case .commitRegister: ["action", "total", "leaf_count", "root"]
            case .castVote: ["action", "account", "option"]
            case .linkPending: ["pendings"]
            case .registerZone: Set(RegisterZone.CodingKeys.allCases.map(\.stringValue))
            case .proposeLaw: Set(ProposeLaw.CodingKeys.allCases.map(\.stringValue))
            case .voteLaw: Set(VoteLaw.CodingKeys.allCases.map(\.stringValue))
            case .cancelProposal: Set(CancelProposal.CodingKeys.allCases.map(\.stringValue))
            case .moveZone: Set(MoveZone.CodingKeys.allCases.map(\.stringValue))
            case .payLevy: Set(PayLevy.CodingKeys.allCases.map(\.stringValue))
            case .registerProvider: Set(RegisterProvider.CodingKeys.allCases.map(\.stringValue))
            case .bindAddress: Set(BindAddress.CodingKeys.allCases.map(\.stringValue))
            case .unbindAddress: Set(UnbindAddress.CodingKeys.allCases.map(\.stringValue))
            case .requestPayment: Set(RequestPayment.CodingKeys.allCases.map(\.stringValue))
            case .answerRequest: Set(AnswerRequest.CodingKeys.allCases.map(\.stringValue))
            case .createMandate: Set(CreateMandate.CodingKeys.allCases.map(\.stringValue))
            case .revokeMandate: Set(RevokeMandate.CodingKeys.allCases.map(\.stringValue))
            case .collectMandate: Set(CollectMandate.CodingKeys.allCases.map(\.stringValue))
            case .remit: Set(Remit.CodingKeys.allCases.map(\.stringValue))
            case .completeRemittance: Set(CompleteRemittance.CodingKeys.allCases.map(\.stringValue))
            case .refundRemittance: Set(RefundRemittance.CodingKeys.allCases.map(\.stringValue))
            }
        return fields.union(["type"])
    }

    private static func decodeTransfer(_ c: KeyedDecodingContainer<CodingKeys>) throws -> Transfer {
        Transfer(
            asset: try c.decode(AssetCode.self, forKey: .asset), debit: try c.decode(AccountID.self, forKey: .debit),
            credit: try c.decode(AccountID.self, forKey: .credit), amount: try c.decode(Amount.self, forKey: .amount),
            memo: try c.decodeIfPresent(String.self, forKey: .memo) ?? "")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tag.name, forKey: .type)
        switch self {
        case .createAccount(let op):
            try c.encode(op.account, forKey: .account)
            try c.encode(op.controllers, forKey: .controllers)
            try c.encode(op.zone, forKey: .zone)
            try c.encode(op.kycTier, forKey: .kycTier)
        case .registerAsset(let op):
            try c.encode(op.asset, forKey: .asset)
            try c.encode(op.kind, forKey: .kind)
            try c.encode(op.scale, forKey: .scale)
            try c.encode(op.issuer, forKey: .issuer)
            try c.encode(op.issuanceAccount, forKey: .issuanceAccount)
        case .transfer(let op):
            try Self.encodeTransfer(op, &c)
        case .pendingTransfer(let op):
            try Self.encodeTransfer(op.transfer, &c)
            try c.encode(op.timeoutSeconds, forKey: .timeoutSeconds)
        case .postPending(let op):
            try c.encode(op.pending, forKey: .pending)
            try c.encode(op.amount, forKey: .amount)
        case .voidPending(let op):
            try c.encode(op.pending, forKey: .pending)
        case .changeControllers(let op):
            try c.encode(op.account, forKey: .account)
            try c.encode(op.controllers, forKey: .controllers)
        case .closeAccount(let op):
            try c.encode(op.account, forKey: .account)
        case .attestReserve(let op):
            try op.encode(to: encoder)
        case .attestPrice(let op):
            try op.encode(to: encoder)
        case .setMonetaryPolicy(let op):
            try op.encode(to: encoder)
        case .commitLiabilities(let op):
            try op.encode(to: encoder)
        case .registerInstrument(let op):
            try op.encode(to: encoder)
        case .setInstrumentRules(let op):
            try op.encode(to: encoder)
        case .attestIdentity(let op):
            try op.encode(to: encoder)
        case .lockHolding(let op):
            try op.encode(to: encoder)
        case .forcedTransfer(let op):
            try Self.encodeTransfer(op.transfer, &c)
        case .declareAction(let op):
            try op.encode(to: encoder)
        case .settleAction(let op):
            try op.encode(to: encoder)
        case .commitRegister(let op):
            try op.encode(to: encoder)
        case .castVote(let op):
            try op.encode(to: encoder)
        case .linkPending(let op):
            try c.encode(op.pendings, forKey: .pendings)
        case .registerZone(let op):
            try op.encode(to: encoder)
        case .proposeLaw(let op):
            try op.encode(to: encoder)
        case .voteLaw(let op):
            try op.encode(to: encoder)
        case .cancelProposal(let op):
            try op.encode(to: encoder)
        case .moveZone(let op):
            try op.encode(to: encoder)
        case .payLevy(let op):
            try op.encode(to: encoder)
        case .registerProvider(let op):
            try op.encode(to: encoder)
        case .bindAddress(let op):
            try op.encode(to: encoder)
        case .unbindAddress(let op):
            try op.encode(to: encoder)
        case .requestPayment(let op):
            try op.encode(to: encoder)
        case .answerRequest(let op):
            try op.encode(to: encoder)
        case .createMandate(let op):
            try op.encode(to: encoder)
        case .revokeMandate(let op):
            try op.encode(to: encoder)
        case .collectMandate(let op):
            try op.encode(to: encoder)
        case .remit(let op):
            try op.encode(to: encoder)
        case .completeRemittance(let op):
            try op.encode(to: encoder)
        case .refundRemittance(let op):
            try op.encode(to: encoder)
        }
    }

    private static func encodeTransfer(_ op: Transfer, _ c: inout KeyedEncodingContainer<CodingKeys>) throws {
        try c.encode(op.asset, forKey: .asset)
        try c.encode(op.debit, forKey: .debit)
        try c.encode(op.credit, forKey: .credit)
        try c.encode(op.amount, forKey: .amount)
        if !op.memo.isEmpty { try c.encode(op.memo, forKey: .memo) }
    }
}

extension Transaction: Codable {
    private enum CodingKeys: String, CodingKey, CaseIterable { case id, operations, signatures }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a transaction")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let id = try c.decode(TransactionID.self, forKey: .id)
        let operations = try c.decode([LedgerOperation].self, forKey: .operations)
        let signatures = try c.decodeIfPresent([TransactionSignature].self, forKey: .signatures) ?? []
        do {
            try self.init(id: id, operations: operations, signatures: signatures)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(operations, forKey: .operations)
        try c.encode(signatures, forKey: .signatures)
    }
}
