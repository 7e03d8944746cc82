import KhataBytes

// The canonical binary form of operations (docs/ENCODING.md, "Operations").

extension ByteWriter {
    public mutating func write(operation: LedgerOperation) {
        write(operation.tag.rawValue)
        switch operation {
        case .createAccount(let op):
            write(id: op.account)
            write(op.zone)
            write(op.kycTier)
            write(keySet: op.controllers)
        case .registerAsset(let op):
            write(asset: op.asset)
            write(op.kind.rawValue)
            write(op.scale)
            write(id: op.issuer)
            write(id: op.issuanceAccount)
        case .transfer(let op):
            write(transfer: op)
        case .pendingTransfer(let op):
            write(transfer: op.transfer)
            write(op.timeoutSeconds)
        case .postPending(let op):
            write(pending: op.pending)
            write(op.amount.units)
        case .voidPending(let op):
            write(pending: op.pending)
        case .changeControllers(let op):
            write(id: op.account)
            write(keySet: op.controllers)
        case .closeAccount(let op):
            write(id: op.account)
        case .attestReserve(let op):
            write(attestReserve: op)
        case .attestPrice(let op):
            write(attestPrice: op)
        case .setMonetaryPolicy(let op):
            write(policy: op.policy)
        case .commitLiabilities(let op):
            write(commitLiabilities: op)
        case .registerInstrument(let op):
            write(registerInstrument: op)
        case .setInstrumentRules(let op):
            write(asset: op.asset)
            write(rules: op.rules)
        case .attestIdentity(let op):
            write(attestIdentity: op)
        case .lockHolding(let op):
            write(lockHolding: op)
        case .forcedTransfer(let op):
            write(transfer: op.transfer)
        case .declareAction(let op):
            write(declareAction: op)
        case .settleAction(let op):
            write(settleAction: op)
        case .commitRegister(let op):
            write(commitRegister: op)
        case .castVote(let op):
            write(castVote: op)
        case .linkPending(let op):
            write(UInt8(op.pendings.count))
            for pending in op.pendings { write(pending: pending) }
        case .registerZone(let op):
            write(registerZone: op)
        case .proposeLaw(let op):
            write(proposeLaw: op)
        case .voteLaw(let op):
            write(op.proposal)
            write(bytes: op.governor.bytes)
            write(op.choice.rawValue)
        case .cancelProposal(let op):
            write(op.proposal)
        case .moveZone(let op):
            write(id: op.account)
            write(op.zone)
        case .payLevy(let op):
            write(op.operation)
            write(op.zone)
            write(op.amount.units)
        case .registerProvider(let op):
            write(registerProvider: op)
        case .bindAddress(let op):
            write(bindAddress: op)
        case .unbindAddress(let op):
            write(address: op.address)
        case .requestPayment(let op):
            write(requestPayment: op)
        case .answerRequest(let op):
            write(pending: op.request)
            write(UInt8(op.accept ? 1 : 0))
        case .createMandate(let op):
            write(createMandate: op)
        case .revokeMandate(let op):
            write(pending: op.mandate)
        case .collectMandate(let op):
            write(pending: op.mandate)
            write(op.amount.units)
            writeShortBytes(Array(op.memo.utf8))
        case .remit(let op):
            write(remit: op)
        case .completeRemittance(let op):
            write(pending: op.remittance)
        case .refundRemittance(let op):
            write(pending: op.remittance)
            write(op.amount.units)
        }
    }

    mutating func write(transfer: Transfer) {
        write(asset: transfer.asset)
        write(id: transfer.debit)
        write(id: transfer.credit)
        write(transfer.amount.units)
        writeShortBytes(Array(transfer.memo.utf8))
    }

    mutating func write(pending: PendingID) {
        write(id: pending.transaction)
        write(pending.operation)
    }
}

extension ByteReader {
    public mutating func readOperation() throws(MalformedInput) -> LedgerOperation {
        let tagByte = try readUInt8("operation tag")
        guard let tag = LedgerOperation.Tag(rawValue: tagByte) else {
            throw MalformedInput(.unknownTag, "unknown operation tag \(tagByte) at byte \(offset - 1)")
        }
        switch tag {
        case .createAccount:
            let account = try readID(AccountID.self, "account id")
            let zone = try readUInt16("zone")
            let tier = try readUInt8("KYC tier")
            let controllers = try readKeySet()
            return .createAccount(CreateAccount(account: account, controllers: controllers, zone: zone, kycTier: tier))
        case .registerAsset:
            let asset = try readAssetCode()
            let kindByte = try readUInt8("asset kind")
            guard let kind = AssetKind(rawValue: kindByte) else {
                throw MalformedInput(.unknownTag, "unknown asset kind \(kindByte)")
            }
            let scale = try readUInt8("asset scale")
            guard scale <= Limits.maxAssetScale else {
                throw MalformedInput(.limitExceeded, "asset scale \(scale) exceeds \(Limits.maxAssetScale)")
            }
            let issuer = try readID(AccountID.self, "issuer account")
            let issuance = try readID(AccountID.self, "issuance account")
            return .registerAsset(RegisterAsset(asset: asset, kind: kind, scale: scale, issuer: issuer, issuanceAccount: issuance))
        case .transfer:
            return .transfer(try readTransfer())
        case .pendingTransfer:
            let transfer = try readTransfer()
            let timeout = try readUInt32("timeout")
            guard (1...Limits.maxPendingTimeoutSeconds).contains(timeout) else {
                throw MalformedInput(.limitExceeded, "a pending timeout is 1 to \(Limits.maxPendingTimeoutSeconds) seconds, got \(timeout)")
            }
            return .pendingTransfer(PendingTransfer(transfer: transfer, timeoutSeconds: timeout))
        case .postPending:
            let pending = try readPendingID()
            return .postPending(PostPending(pending: pending, amount: Amount(try readUInt64("amount"))))
        case .voidPending:
            return .voidPending(VoidPending(pending: try readPendingID()))
        case .changeControllers:
            let account = try readID(AccountID.self, "account id")
            return .changeControllers(ChangeControllers(account: account, controllers: try readKeySet()))
        case .closeAccount:
            return .closeAccount(CloseAccount(account: try readID(AccountID.self, "account id")))
        case .attestReserve:
            return .attestReserve(try readAttestReserve())
        case .attestPrice:
            return .attestPrice(try readAttestPrice())
        case .setMonetaryPolicy:
            return .setMonetaryPolicy(SetMonetaryPolicy(policy: try readPolicy()))
        case .commitLiabilities:
            return .commitLiabilities(try readCommitLiabilities())
        case .registerInstrument:
            return .registerInstrument(try readRegisterInstrument())
        case .setInstrumentRules:
            let asset = try readAssetCode()
            return .setInstrumentRules(SetInstrumentRules(asset: asset, rules: try readRules()))
        case .attestIdentity:
            return .attestIdentity(try readAttestIdentity())
        case .lockHolding:
            return .lockHolding(try readLockHolding())
        case .forcedTransfer:
            let transfer = try readTransfer()
            guard !transfer.memo.isEmpty else { throw MalformedInput(.invalidValue, "a forced transfer states its reason in its memo") }
            return .forcedTransfer(ForcedTransfer(transfer: transfer))
        case .declareAction:
            return .declareAction(try readDeclareAction())
        case .settleAction:
            return .settleAction(try readSettleAction())
        case .commitRegister:
            return .commitRegister(try readCommitRegister())
        case .castVote:
            return .castVote(try readCastVote())
        case .linkPending:
            let count = try readUInt8("linked pending count")
            var pendings: [PendingID] = []
            for _ in 0..<count { pendings.append(try readPendingID()) }
            let op = LinkPending(pendings: pendings)
            try op.validate()
            return .linkPending(op)
        case .registerZone:
            return .registerZone(try readRegisterZone())
        case .proposeLaw:
            return .proposeLaw(try readProposeLaw())
        case .voteLaw:
            return .voteLaw(try readVoteLaw())
        case .cancelProposal:
            return .cancelProposal(CancelProposal(proposal: try readUInt64("proposal")))
        case .moveZone:
            let account = try readID(AccountID.self, "account id")
            return .moveZone(MoveZone(account: account, zone: try readUInt16("zone")))
        case .payLevy:
            let operation = try readUInt16("levied operation")
            let zone = try readUInt16("zone")
            return .payLevy(PayLevy(operation: operation, zone: zone, amount: Amount(try readUInt64("amount"))))
        case .registerProvider:
            return .registerProvider(try readRegisterProvider())
        case .bindAddress:
            return .bindAddress(try readBindAddress())
        case .unbindAddress:
            return .unbindAddress(UnbindAddress(address: try readAddress()))
        case .requestPayment:
            return .requestPayment(try readRequestPayment())
        case .answerRequest:
            return .answerRequest(try readAnswerRequest())
        case .createMandate:
            return .createMandate(try readCreateMandate())
        case .revokeMandate:
            return .revokeMandate(RevokeMandate(mandate: try readPendingID()))
        case .collectMandate:
            return .collectMandate(try readCollectMandate())
        case .remit:
            return .remit(try readRemit())
        case .completeRemittance:
            return .completeRemittance(CompleteRemittance(remittance: try readPendingID()))
        case .refundRemittance:
            return .refundRemittance(try readRefundRemittance())
        }
    }

    mutating func readTransfer() throws(MalformedInput) -> Transfer {
        let asset = try readAssetCode()
        let debit = try readID(AccountID.self, "debit account")
        let credit = try readID(AccountID.self, "credit account")
        let amount = Amount(try readUInt64("amount"))
        let memoBytes = try readShortBytes(limit: Limits.maxMemoBytes, "memo")
        guard let memo = String(validating: memoBytes, as: UTF8.self) else {
            throw MalformedInput(.invalidValue, "memo is not valid UTF-8")
        }
        return Transfer(asset: asset, debit: debit, credit: credit, amount: amount, memo: memo)
    }

    mutating func readPendingID() throws(MalformedInput) -> PendingID {
        let transaction = try readID(TransactionID.self, "pending transaction id")
        return PendingID(transaction: transaction, operation: try readUInt16("pending operation index"))
    }
}
