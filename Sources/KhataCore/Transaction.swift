import Crypto
import KhataBytes
import KhataEd25519

/// A signature on a transaction: the signer's key and its Ed25519 signature over
/// the transaction's signing bytes.
public struct TransactionSignature: Hashable, Sendable, Codable {
    public let key: PublicKey
    public let signature: [UInt8]

    public init(key: PublicKey, signature: [UInt8]) {
        self.key = key
        self.signature = signature
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case key, signature }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self, in: "a signature")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.decode(PublicKey.self, forKey: .key)
        let text = try container.decode(String.self, forKey: .signature)
        guard let bytes = Hex.decode(text), bytes.count == 64 else {
            throw DecodingError.dataCorruptedError(
                forKey: .signature, in: container, debugDescription: "a signature is 64 bytes as 128 hex digits")
        }
        signature = bytes
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(Hex.encode(signature), forKey: .signature)
    }
}

/// A client's request to change the ledger: a client-chosen id, operations that
/// commit all together or not at all, and signatures.
///
/// A `Transaction` value is always structurally valid: the initialisers check
/// every bound that needs no ledger state (counts, lengths, canonical order), so
/// whatever exists can be encoded within `Limits.maxTransactionBytes`.
public struct Transaction: Hashable, Sendable {
    /// The encoding version this build writes (docs/ENCODING.md).
    public static let version: UInt8 = 1
    /// The bytes every signed message starts with, before the ledger's origin.
    public static let domainSeparator: [UInt8] = Array("khata/transaction/v1\n".utf8)

    public let id: TransactionID
    public let operations: [LedgerOperation]
    /// Sorted by key, one per key.
    public let signatures: [TransactionSignature]

    /// The canonical encoding of the unsigned part (version, id, operations).
    public let body: [UInt8]

    public init(id: TransactionID, operations: [LedgerOperation], signatures: [TransactionSignature] = []) throws(MalformedInput) {
        guard (1...Limits.maxOperations).contains(operations.count) else {
            throw MalformedInput(.limitExceeded, "a transaction has 1 to \(Limits.maxOperations) operations, got \(operations.count)")
        }
        for operation in operations { try operation.validate() }
        var writer = ByteWriter(capacity: 64 + operations.count * 64)
        writer.write(Transaction.version)
        writer.write(id: id)
        writer.write(UInt16(operations.count))
        for operation in operations { writer.write(operation: operation) }
        try self.init(id: id, operations: operations, body: writer.bytes, signatures: signatures)
    }

    private init(id: TransactionID, operations: [LedgerOperation], body: [UInt8], signatures: [TransactionSignature]) throws(MalformedInput) {
        let sorted = signatures.sorted { $0.key < $1.key }
        guard sorted.count <= Limits.maxSignatures else {
            throw MalformedInput(.limitExceeded, "a transaction has at most \(Limits.maxSignatures) signatures, got \(sorted.count)")
        }
        for i in sorted.indices {
            guard sorted[i].signature.count == 64 else { throw MalformedInput(.invalidValue, "a signature is 64 bytes") }
            if i > 0 && sorted[i].key == sorted[i - 1].key {
                throw MalformedInput(.invalidValue, "key \(sorted[i].key) signed twice")
            }
        }
        let encodedSize = body.count + 1 + sorted.count * 96
        guard encodedSize <= Limits.maxTransactionBytes else {
            throw MalformedInput(.limitExceeded, "the transaction encodes to \(encodedSize) bytes; at most \(Limits.maxTransactionBytes) are allowed")
        }
        self.id = id
        self.operations = operations
        self.body = body
        self.signatures = sorted
    }

    /// The message each signer signs: the domain separator, the origin of the ledger
    /// it is meant for, then the body. A transaction signed for one ledger is
    /// therefore worthless on any other.
    public static func signingBytes(origin: String, body: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: domainSeparator.count + 1 + origin.utf8.count + body.count)
        writer.write(bytes: domainSeparator)
        writer.writeShortBytes(Array(origin.utf8))
        writer.write(bytes: body)
        return writer.bytes
    }

    public func signingBytes(origin: String) -> [UInt8] { Transaction.signingBytes(origin: origin, body: body) }

    /// This transaction with signatures added by `keys` for the ledger named `origin`.
    public func signed(by keys: [SigningKey], origin: String) throws(MalformedInput) -> Transaction {
        let message = signingBytes(origin: origin)
        let added = keys.map { TransactionSignature(key: $0.publicKey, signature: $0.sign(message)) }
        let kept = signatures.filter { old in !added.contains { $0.key == old.key } }
        return try Transaction(id: id, operations: operations, body: body, signatures: kept + added)
    }

    /// The keys that signed, in ascending order (validity is checked separately).
    public var signers: [PublicKey] { signatures.map(\.key) }

    /// SHA-256 of the body: what idempotency compares. Signatures are not content:
    /// resubmitting the same body with other signatures returns the first receipt.
    public var contentDigest: Digest32 { Digest32.sha256(body) }

    /// Checks every signature against the signing bytes for `origin`. Stateless;
    /// costs one Ed25519 verification per signature.
    public func verifySignatures(origin: String) throws(MalformedInput) {
        if let failure = Self.verifySignatures(of: [self], origin: origin)[0] { throw failure }
    }

    /// `verifySignatures(origin:)` for each transaction: nil where every
    /// signature holds, else what is wrong (an unsigned transaction, or its first
    /// signature that does not match). Checked as one batch, so signatures by
    /// keys with a precomputed table share one field inversion
    /// (`Ed25519Verifier.areValid`).
    public static func verifySignatures(of transactions: [Transaction], origin: String) -> [MalformedInput?] {
        var checks: [Ed25519Verifier.Check] = []
        // Per transaction, the checks its answer depends on: its signatures', then its quotes'.
        var positions: [[Int]] = []
        // A quote many remittances of the batch accept is checked once (measured: with one
        // live quote, two checks per remittance held the rate to 0.36 of a transfer's).
        var quoteChecks: [[UInt8]: Int] = [:]
        for transaction in transactions where !transaction.signatures.isEmpty {
            let message = transaction.signingBytes(origin: origin)
            var mine: [Int] = []
            for signature in transaction.signatures {
                mine.append(checks.count)
                checks.append(.init(signature: signature.signature, message: message, publicKey: signature.key.bytes))
            }
            // A quote a remittance accepts carries its provider's signature over its terms.
            for quote in transaction.quotes {
                let signed = quote.signingBytes(origin: origin)
                let identity = quote.signature + quote.key.bytes + signed
                if let known = quoteChecks[identity] {
                    mine.append(known)
                } else {
                    quoteChecks[identity] = checks.count
                    mine.append(checks.count)
                    checks.append(.init(signature: quote.signature, message: signed, publicKey: quote.key.bytes))
                }
            }
            positions.append(mine)
        }
        let valid = Ed25519Verifier.shared.areValid(checks)
        var next = positions[...]
        return transactions.map { transaction in
            guard !transaction.signatures.isEmpty else { return MalformedInput(.badSignature, "the transaction is not signed") }
            let mine = next.removeFirst()
            guard let bad = mine.firstIndex(where: { !valid[$0] }) else { return nil }
            guard bad < transaction.signatures.count else {
                let quote = transaction.quotes[bad - transaction.signatures.count]
                return MalformedInput(
                    .badSignature,
                    "the signature of quote \(quote.id) of provider \(quote.provider) by \(quote.key) does not match its terms on ledger \"\(origin)\""
                )
            }
            return MalformedInput(
                .badSignature,
                "the signature by \(transaction.signatures[bad].key) does not match this transaction on ledger \"\(origin)\"")
        }
    }

    /// The quotes this transaction's remittances accept, in order.
    public var quotes: [Quote] {
        operations.compactMap { if case .remit(let op) = $0 { op.quote } else { nil } }
    }

    /// The full canonical encoding: body, then `u8 count ‖ count × (key ‖ signature)`.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: body.count + 1 + signatures.count * 96)
        writer.write(bytes: body)
        writer.write(UInt8(signatures.count))
        for signature in signatures {
            writer.write(bytes: signature.key.bytes)
            writer.write(bytes: signature.signature)
        }
        return writer.bytes
    }

    /// Decodes a full canonical encoding, refusing anything non-canonical,
    /// truncated, oversized, of an unknown version or with trailing bytes.
    public init(decoding bytes: [UInt8]) throws(MalformedInput) {
        var reader = ByteReader(bytes)
        try self.init(reading: &reader)
        try reader.expectEnd("the transaction")
    }

    /// Decodes one transaction from `reader`, leaving it after the signatures.
    public init(reading reader: inout ByteReader) throws(MalformedInput) {
        let start = reader.offset
        let version = try reader.readUInt8("transaction version")
        guard version == Transaction.version else {
            throw MalformedInput(.unknownVersion, "transaction version \(version) is not supported (this build reads \(Transaction.version))")
        }
        let id = try reader.readID(TransactionID.self, "transaction id")
        let count = Int(try reader.readUInt16("operation count"))
        guard (1...Limits.maxOperations).contains(count) else {
            throw MalformedInput(.limitExceeded, "a transaction has 1 to \(Limits.maxOperations) operations, got \(count)")
        }
        var operations: [LedgerOperation] = []
        operations.reserveCapacity(count)
        for _ in 0..<count {
            let operation = try reader.readOperation()
            try operation.validate()
            operations.append(operation)
        }
        let bodyEnd = reader.offset
        let signatureCount = Int(try reader.readUInt8("signature count"))
        guard signatureCount <= Limits.maxSignatures else {
            throw MalformedInput(.limitExceeded, "a transaction has at most \(Limits.maxSignatures) signatures, got \(signatureCount)")
        }
        var signatures: [TransactionSignature] = []
        for _ in 0..<signatureCount {
            let key = try reader.readPublicKey()
            signatures.append(TransactionSignature(key: key, signature: Array(try reader.readBytes(64, "signature"))))
        }
        guard reader.offset - start <= Limits.maxTransactionBytes else {
            throw MalformedInput(.limitExceeded, "a transaction is at most \(Limits.maxTransactionBytes) bytes")
        }
        let body = Array(reader.slice(from: start, to: bodyEnd))
        try self.init(id: id, operations: operations, body: body, signatures: signatures)
        guard signatures.map(\.key) == self.signatures.map(\.key) else {
            throw MalformedInput(.nonCanonical, "signatures must be sorted by key")
        }
    }
}

extension LedgerOperation {
    /// Stateless checks that the binary decoder also makes, so that a value built
    /// in code is held to the same bounds as one decoded from bytes.
    func validate() throws(MalformedInput) {
        switch self {
        case .transfer(let op):
            try op.validate()
        case .pendingTransfer(let op):
            try op.transfer.validate()
            guard (1...Limits.maxPendingTimeoutSeconds).contains(op.timeoutSeconds) else {
                throw MalformedInput(.limitExceeded, "a pending timeout is 1 to \(Limits.maxPendingTimeoutSeconds) seconds, got \(op.timeoutSeconds)")
            }
        case .registerAsset(let op):
            guard op.scale <= Limits.maxAssetScale else {
                throw MalformedInput(.limitExceeded, "asset scale \(op.scale) exceeds \(Limits.maxAssetScale)")
            }
        case .attestReserve(let op):
            guard op.asOf.milliseconds <= Limits.maxTimestampMilliseconds else {
                throw MalformedInput(.limitExceeded, "an as-of time is at most \(Limits.maxTimestampMilliseconds)")
            }
        case .attestPrice(let op):
            guard op.asOf.milliseconds <= Limits.maxTimestampMilliseconds else {
                throw MalformedInput(.limitExceeded, "an as-of time is at most \(Limits.maxTimestampMilliseconds)")
            }
        case .setMonetaryPolicy(let op):
            try op.policy.validate()
        case .commitLiabilities(let op):
            try op.validate()
        case .registerInstrument(let op):
            try op.validate()
        case .setInstrumentRules(let op):
            try op.rules.validate()
        case .attestIdentity(let op):
            try op.validate()
        case .lockHolding(let op):
            try op.validate()
        case .forcedTransfer(let op):
            try op.transfer.validate()
            guard !op.transfer.memo.isEmpty else { throw MalformedInput(.invalidValue, "a forced transfer states its reason in its memo") }
        case .declareAction(let op):
            try op.validate()
        case .settleAction(let op):
            try op.validate()
        case .commitRegister(let op):
            try op.validate()
        case .linkPending(let op):
            try op.validate()
        case .registerZone(let op):
            try op.validate()
        case .proposeLaw(let op):
            try op.law.validate()
        case .payLevy(let op):
            guard !op.amount.isZero else { throw MalformedInput(.invalidValue, "a levy paid is more than zero") }
        case .registerProvider(let op):
            try op.validate()
        case .requestPayment(let op):
            try op.validate()
        case .createMandate(let op):
            try op.validate()
        case .remit(let op):
            try op.validate()
        case .createAccount, .postPending, .voidPending, .changeControllers, .closeAccount, .castVote, .voteLaw, .cancelProposal, .moveZone,
            .bindAddress, .unbindAddress, .answerRequest, .revokeMandate, .collectMandate, .completeRemittance, .refundRemittance:
            break
        }
    }
}

extension LinkPending {
    func validate() throws(MalformedInput) {
        guard (2...Limits.maxLinkedPendings).contains(pendings.count) else {
            throw MalformedInput(.limitExceeded, "a link binds 2 to \(Limits.maxLinkedPendings) pending transfers, got \(pendings.count)")
        }
        for i in pendings.indices.dropFirst() where pendings[i - 1] >= pendings[i] {
            throw MalformedInput(.invalidValue, "a link's pending transfers are ascending and distinct")
        }
    }
}

extension Transfer {
    func validate() throws(MalformedInput) {
        guard memo.utf8.count <= Limits.maxMemoBytes else {
            throw MalformedInput(.limitExceeded, "a memo is at most \(Limits.maxMemoBytes) bytes of UTF-8, got \(memo.utf8.count)")
        }
    }
}
