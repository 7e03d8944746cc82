import KhataBytes
import KhataEd25519

// The canonical encoding of the payment operations (docs/ENCODING.md, "Operations").

extension ByteWriter {
    mutating func write(registerProvider op: RegisterProvider) {
        writeShortBytes(Array(op.name.utf8))
        writeShortBytes(Array(op.displayName.utf8))
        write(id: op.account)
        write(op.roles.rawValue)
    }

    mutating func write(bindAddress op: BindAddress) {
        write(address: op.address)
        write(id: op.account)
        writeShortBytes(Array(op.displayName.utf8))
    }

    mutating func write(requestPayment op: RequestPayment) {
        write(id: op.payee)
        write(id: op.payer)
        write(asset: op.asset)
        write(op.amount.units)
        writeShortBytes(Array(op.memo.utf8))
        write(op.expiresInSeconds)
    }

    mutating func write(createMandate op: CreateMandate) {
        write(id: op.payer)
        write(id: op.payee)
        write(asset: op.asset)
        write(op.maxPerDebit.units)
        write(op.periodSeconds)
        write(op.start.milliseconds)
        write(op.end.milliseconds)
        writeShortBytes(Array(op.memo.utf8))
    }

    mutating func write(quoteTerms quote: Quote) {
        writeShortBytes(Array(quote.provider.utf8))
        write(quote.id)
        write(asset: quote.from)
        write(asset: quote.to)
        write(quote.rate)
        write(quote.fee.units)
        write(quote.minAmount.units)
        write(quote.maxAmount.units)
        write(quote.capacity.units)
        write(quote.expiresAt.milliseconds)
        write(bytes: quote.key.bytes)
    }

    mutating func write(remit op: Remit) {
        write(quoteTerms: op.quote)
        write(bytes: op.quote.signature)
        write(id: op.sender)
        write(id: op.recipient)
        write(op.amount.units)
        write(op.timeoutSeconds)
        writeShortBytes(Array(op.memo.utf8))
    }
}

extension ByteReader {
    mutating func readRegisterProvider() throws(MalformedInput) -> RegisterProvider {
        let name = try readProviderName()
        let displayName = try readDisplayName()
        let account = try readID(AccountID.self, "provider account")
        return try RegisterProvider(name: name, displayName: displayName, account: account, roles: ProviderRoles(rawValue: try readUInt8("roles")))
    }

    mutating func readBindAddress() throws(MalformedInput) -> BindAddress {
        let address = try readAddress()
        let account = try readID(AccountID.self, "account")
        return try BindAddress(address: address, account: account, displayName: try readDisplayName())
    }

    mutating func readRequestPayment() throws(MalformedInput) -> RequestPayment {
        let payee = try readID(AccountID.self, "payee")
        let payer = try readID(AccountID.self, "payer")
        let asset = try readAssetCode()
        let amount = Amount(try readUInt64("amount"))
        let memo = try readMemo()
        return try RequestPayment(payee: payee, payer: payer, asset: asset, amount: amount, memo: memo, expiresInSeconds: try readUInt32("expiry"))
    }

    mutating func readAnswerRequest() throws(MalformedInput) -> AnswerRequest {
        let request = try readPendingID()
        let raw = try readUInt8("answer")
        guard raw <= 1 else { throw MalformedInput(.invalidValue, "an answer is 1 (pay) or 0 (decline), got \(raw)") }
        return AnswerRequest(request: request, accept: raw == 1)
    }

    mutating func readCreateMandate() throws(MalformedInput) -> CreateMandate {
        let payer = try readID(AccountID.self, "payer")
        let payee = try readID(AccountID.self, "payee")
        let asset = try readAssetCode()
        let max = Amount(try readUInt64("maximum per debit"))
        let period = try readUInt32("period")
        let start = Timestamp(milliseconds: try readUInt64("start"))
        let end = Timestamp(milliseconds: try readUInt64("end"))
        return try CreateMandate(
            payer: payer, payee: payee, asset: asset, maxPerDebit: max, periodSeconds: period, start: start, end: end, memo: try readMemo())
    }

    mutating func readCollectMandate() throws(MalformedInput) -> CollectMandate {
        let mandate = try readPendingID()
        let amount = Amount(try readUInt64("amount"))
        return try CollectMandate(mandate: mandate, amount: amount, memo: try readMemo())
    }

    mutating func readQuote() throws(MalformedInput) -> Quote {
        let provider = try readProviderName()
        let id = try readUInt64("quote id")
        let from = try readAssetCode()
        let to = try readAssetCode()
        let rate = try readUInt64("rate")
        let fee = Amount(try readUInt64("fee"))
        let min = Amount(try readUInt64("minimum"))
        let max = Amount(try readUInt64("maximum"))
        let capacity = Amount(try readUInt64("capacity"))
        let expires = Timestamp(milliseconds: try readUInt64("expires at"))
        let key = try readPublicKey()
        let signature = Array(try readBytes(64, "quote signature"))
        return try Quote(
            provider: provider, id: id, from: from, to: to, rate: rate, fee: fee, minAmount: min, maxAmount: max, capacity: capacity,
            expiresAt: expires, key: key, signature: signature)
    }

    mutating func readRemit() throws(MalformedInput) -> Remit {
        let quote = try readQuote()
        let sender = try readID(AccountID.self, "sender")
        let recipient = try readID(AccountID.self, "recipient")
        let amount = Amount(try readUInt64("amount"))
        let timeout = try readUInt32("timeout")
        return try Remit(quote: quote, sender: sender, recipient: recipient, amount: amount, timeoutSeconds: timeout, memo: try readMemo())
    }

    mutating func readRefundRemittance() throws(MalformedInput) -> RefundRemittance {
        let remittance = try readPendingID()
        return try RefundRemittance(remittance: remittance, amount: Amount(try readUInt64("amount")))
    }
}
