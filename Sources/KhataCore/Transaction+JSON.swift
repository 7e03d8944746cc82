// The JSON form of transactions, for people and the HTTP API. It carries the same
// information as the canonical encoding; signatures are always over the
// canonical bytes, never over JSON. Amounts are strings of digits.

extension LedgerOperation: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, account, controllers, zone
        case kycTier = "kyc_tier"
        case asset, kind, scale, issuer
        case issuanceAccount = "issuance_account"
        case debit, credit, amount, memo
        case timeoutSeconds = "timeout_seconds"
        case pending
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        guard let tag = Tag.allCases.first(where: { $0.name == type }) else {
            let names = Tag.allCases.map(\.name).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: c, debugDescription: "unknown operation type \"\(type.prefix(40))\"; expected one of \(names)")
        }
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
        }
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
    private enum CodingKeys: String, CodingKey { case id, operations, signatures }

    public init(from decoder: any Decoder) throws {
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
