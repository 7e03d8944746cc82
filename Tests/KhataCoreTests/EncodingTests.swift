import Foundation
import KhataBytes
import KhataCore
import KhataTestSupport
import Testing

/// One transaction with every kind of operation, so that round trips cover every tag.
func everyOperation() -> Transaction {
    let pendingID = PendingID(transaction: transactionID(9), operation: 3)
    let twoOfThree = try! KeySet(threshold: 2, keys: Fixture.carolKeys.map(\.publicKey))
    return Fixture.transaction(
        42,
        [
            .createAccount(CreateAccount(account: accountID(70), controllers: twoOfThree, zone: 3, kycTier: 2)),
            .registerAsset(
                RegisterAsset(asset: AssetCode("GOI-2033")!, kind: .bond, scale: 0, issuer: Fixture.centralBank, issuanceAccount: accountID(71))),
            .transfer(Transfer(asset: inr, debit: Fixture.alice, credit: Fixture.bob, amount: Amount(UInt64.max), memo: "चाय ☕")),
            .pendingTransfer(
                PendingTransfer(transfer: Transfer(asset: btc, debit: Fixture.bob, credit: Fixture.alice, amount: Amount(1)), timeoutSeconds: 86_400)),
            .postPending(PostPending(pending: pendingID, amount: Amount(5))),
            .voidPending(VoidPending(pending: pendingID)),
            .changeControllers(ChangeControllers(account: Fixture.alice, controllers: KeySet(single: Fixture.bobKey.publicKey))),
            .closeAccount(CloseAccount(account: Fixture.bob)),
            .attestReserve(
                AttestReserve(
                    custodian: ReserveFixture.btcVault, asset: btc, amount: Amount(1), asOf: Timestamp(milliseconds: 5), report: Digest32.sha256([9]))
            ),
            .attestReserve(AttestReserve(custodian: ReserveFixture.goldVault, asset: xau, amount: Amount(2), asOf: Timestamp(milliseconds: 6))),
            .attestPrice(AttestPrice(oracle: ReserveFixture.oracles[0], asset: btc, price: Amount(3), asOf: Timestamp(milliseconds: 7))),
            .setMonetaryPolicy(SetMonetaryPolicy(policy: ReserveFixture.policy())),
            exampleCommitment(),
        ] + (stockchainExamples() + zoneExamples() + paymentExamples()).map(\.operation),
        signedBy: [Fixture.aliceKey, Fixture.bobKey] + Fixture.carolKeys)
}

/// The second worked example of docs/ENCODING.md: the ledger commits its liabilities.
func exampleCommitment() -> LedgerOperation {
    .commitLiabilities(
        CommitLiabilities(asset: inr, asOf: 41, total: Amount(1_000_500), leafCount: 1_024, root: Digest32(bytes: Array(repeating: 0xAB, count: 32))!)
    )
}

func exampleCommitmentEntry() -> Entry {
    let transaction = Fixture.transaction(77, [exampleCommitment()], signedBy: [Fixture.ledgerKey])
    return Entry(index: LeafIndex(42), time: Timestamp(milliseconds: 1_767_225_660_000), payload: .transaction(transaction), outcome: .committed)
}

/// The worked example of docs/ENCODING.md: Alice pays Bob ₹2.50 for tea.
func exampleTransaction() -> Transaction {
    Fixture.transaction(
        1, [.transfer(Transfer(asset: inr, debit: Fixture.alice, credit: Fixture.bob, amount: Amount(250), memo: "tea"))],
        signedBy: [Fixture.aliceKey])
}

func exampleEntry(_ outcome: Outcome) -> Entry {
    Entry(index: LeafIndex(7), time: Timestamp(milliseconds: 1_767_225_600_000), payload: .transaction(exampleTransaction()), outcome: outcome)
}

let goldenDirectory = Bundle.module.resourceURL!.appendingPathComponent("Golden")

func golden(_ name: String) throws -> [UInt8] {
    let text = try String(contentsOf: goldenDirectory.appendingPathComponent("\(name).hex"), encoding: .utf8)
    return try #require(Hex.decode(text.filter { !$0.isWhitespace }))
}

/// The annotated hex blocks of docs/ENCODING.md (```hex NAME), comments stripped.
func documentedExamples() throws -> [String: [UInt8]] {
    let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/ENCODING.md")
    let text = try String(contentsOf: docs, encoding: .utf8)
    var examples: [String: [UInt8]] = [:]
    var current: (name: String, hex: String)?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("```hex ") {
            current = (String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces), "")
        } else if line.hasPrefix("```"), let block = current {
            examples[block.name] = Hex.decode(block.hex)
            current = nil
        } else if current != nil {
            let code = line.split(separator: "#", maxSplits: 1).first ?? ""
            current!.hex += code.filter { !$0.isWhitespace }
        }
    }
    return examples
}

@Suite("Canonical encoding")
struct EncodingTests {
    /// Decoding then encoding gives back the same bytes and the same value, for every operation.
    @Test func everyOperationRoundTrips() throws {
        let transaction = everyOperation()
        let bytes = transaction.encoded
        let decoded = try Transaction(decoding: bytes)
        #expect(decoded == transaction)
        #expect(decoded.encoded == bytes)
        let entry = Entry(
            index: LeafIndex(3), time: Timestamp(milliseconds: 99), payload: .transaction(transaction),
            outcome: .rejected(.amountOverflow, operation: 2))
        #expect(try Entry(decoding: entry.encoded) == entry)
        let genesisEntry = Entry(index: LeafIndex(0), time: Timestamp(milliseconds: 1), payload: .genesis(Fixture.genesis), outcome: .committed)
        #expect(try Entry(decoding: genesisEntry.encoded) == genesisEntry)
    }

    /// The JSON form carries the same transaction, amounts as strings.
    @Test func jsonRoundTrips() throws {
        let transaction = everyOperation()
        let json = try JSONEncoder().encode(transaction)
        #expect(try JSONDecoder().decode(Transaction.self, from: json) == transaction)
        #expect(String(decoding: json, as: UTF8.self).contains("\"amount\":\"18446744073709551615\""))
    }

    /// The golden files pin the encoding: a change to it fails here and must be a new version.
    @Test func goldenVectorsMatch() throws {
        #expect(try golden("transfer-transaction") == exampleTransaction().encoded)
        #expect(try golden("signing-bytes") == exampleTransaction().signingBytes(origin: Fixture.origin))
        #expect(try golden("committed-entry") == exampleEntry(.committed).encoded)
        #expect(try golden("rejected-entry") == exampleEntry(.rejected(.exceedsAvailableBalance, operation: 0)).encoded)
        #expect(try golden("committed-entry-leaf-hash") == Entry.leafHash(exampleEntry(.committed).encoded).bytes)
        #expect(try golden("liabilities-commitment-entry") == exampleCommitmentEntry().encoded)
    }

    /// docs/ENCODING.md's worked examples are byte for byte the golden vectors.
    @Test func documentationMatchesGoldenVectors() throws {
        let examples = try documentedExamples()
        for name in ["transfer-transaction", "signing-bytes", "committed-entry", "rejected-entry", "liabilities-commitment-entry"] {
            let documented = try #require(examples[name], "docs/ENCODING.md has no ```hex \(name) block")
            #expect(documented == (try golden(name)), "docs/ENCODING.md block \(name)")
        }
    }

    /// Every truncation of a valid transaction is refused as malformed.
    @Test func truncationsAreRefused() {
        let bytes = everyOperation().encoded
        for length in 0..<bytes.count {
            #expect(throws: MalformedInput.self, "prefix of \(length) bytes") { try Transaction(decoding: Array(bytes.prefix(length))) }
        }
        let entry = exampleEntry(.committed).encoded
        for length in 0..<entry.count {
            #expect(throws: MalformedInput.self) { try Entry(decoding: Array(entry.prefix(length))) }
        }
    }

    @Test func trailingBytesAreRefused() {
        #expect(throws: MalformedInput(.trailingBytes, "1 unexpected bytes after the transaction")) {
            try Transaction(decoding: exampleTransaction().encoded + [0])
        }
    }

    @Test func unknownVersionsAndTagsAreRefused() {
        var bytes = exampleTransaction().encoded
        bytes[0] = 2
        #expect(throws: MalformedInput(.unknownVersion, "transaction version 2 is not supported (this build reads 1)")) {
            try Transaction(decoding: bytes)
        }
        bytes = exampleTransaction().encoded
        bytes[19] = 99  // version (1) + id (16) + count (2) → the first operation's tag
        #expect(throws: MalformedInput(.unknownTag, "unknown operation tag 99 at byte 19")) { try Transaction(decoding: bytes) }
        var entry = exampleEntry(.committed).encoded
        entry[0] = 9
        #expect { try Entry(decoding: entry) } throws: { ($0 as? MalformedInput)?.code == .unknownVersion }
        entry = exampleEntry(.committed).encoded
        entry[17] = 7  // the entry kind
        #expect { try Entry(decoding: entry) } throws: { ($0 as? MalformedInput)?.code == .unknownTag }
    }

    /// Limits are enforced by the decoder, not only by constructors.
    @Test func oversizedInputsAreRefused() throws {
        // A memo length of 65 in the encoded bytes.
        var bytes = exampleTransaction().encoded
        // version 1 + id 16 + count 2 + tag 1 + asset 4 + debit 16 + credit 16 + amount 8 = 64.
        let memoLength = 64
        #expect(bytes[memoLength] == 3)
        #expect(bytes[memoLength + 1] == UInt8(ascii: "t"))
        bytes[memoLength] = 65
        #expect { try Transaction(decoding: bytes) } throws: { ($0 as? MalformedInput)?.code == .limitExceeded }
        // Zero operations, and more than the limit.
        for count: UInt16 in [0, UInt16(Limits.maxOperations + 1)] {
            var header = ByteWriter()
            header.write(UInt8(1))
            header.write(id: transactionID(1))
            header.write(count)
            #expect { try Transaction(decoding: header.bytes) } throws: { ($0 as? MalformedInput)?.code == .limitExceeded }
        }
        // A memo over the limit cannot even be built.
        #expect(throws: MalformedInput.self) {
            try Transaction(
                id: transactionID(1),
                operations: [
                    .transfer(
                        Transfer(asset: inr, debit: Fixture.alice, credit: Fixture.bob, amount: Amount(1), memo: String(repeating: "x", count: 65)))
                ])
        }
        // An entry larger than 65,535 bytes.
        #expect { try Entry(decoding: Array(repeating: 1, count: Limits.maxEntryBytes + 1)) } throws: {
            ($0 as? MalformedInput)?.code == .limitExceeded
        }
        // A transaction too large to fit an entry cannot be built.
        let many = (0..<Limits.maxOperations).map { _ in
            LedgerOperation.transfer(
                Transfer(asset: inr, debit: Fixture.alice, credit: Fixture.bob, amount: Amount(1), memo: String(repeating: "m", count: 64)))
        }
        #expect { try Transaction(id: transactionID(1), operations: many) } throws: { ($0 as? MalformedInput)?.code == .limitExceeded }
    }

    /// Key sets and signatures must be in canonical (sorted) order, so that one
    /// transaction has exactly one encoding.
    @Test func nonCanonicalOrderIsRefused() throws {
        let transaction = everyOperation()
        var bytes = transaction.encoded
        let signatureStart = transaction.body.count + 1
        let first = Array(bytes[signatureStart..<(signatureStart + 96)])
        let second = Array(bytes[(signatureStart + 96)..<(signatureStart + 192)])
        bytes.replaceSubrange(signatureStart..<(signatureStart + 192), with: second + first)
        #expect(throws: MalformedInput(.nonCanonical, "signatures must be sorted by key")) { try Transaction(decoding: bytes) }
    }

    /// Amounts in JSON: digits only, within 64 bits, never a fraction.
    @Test(arguments: ["\"18446744073709551616\"", "1.5", "\"-1\"", "\"1e3\"", "\"\"", "-3"])
    func badJSONAmountsAreRefused(amount: String) {
        let json =
            #"{"id":"0000000000000000000000000000000a","operations":[{"type":"transfer","asset":"INR","debit":"00000000000000000000000000000002","credit":"00000000000000000000000000000003","amount":\#(amount)}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Transaction.self, from: Data(json.utf8)) }
    }

    @Test func jsonIntegerAmountIsAccepted() throws {
        let json =
            #"{"id":"0000000000000000000000000000000a","operations":[{"type":"transfer","asset":"INR","debit":"00000000000000000000000000000002","credit":"00000000000000000000000000000003","amount":250}]}"#
        let transaction = try JSONDecoder().decode(Transaction.self, from: Data(json.utf8))
        guard case .transfer(let transfer) = transaction.operations[0] else { Issue.record("not a transfer"); return }
        #expect(transfer.amount == Amount(250))
    }

    /// Writes the golden vectors; run once with KHATA_WRITE_GOLDEN=1 when the
    /// encoding version changes on purpose.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KHATA_WRITE_GOLDEN"] == "1"))
    func writeGoldenVectors() throws {
        let target = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
        let vectors: [String: [UInt8]] = [
            "transfer-transaction": exampleTransaction().encoded,
            "signing-bytes": exampleTransaction().signingBytes(origin: Fixture.origin),
            "committed-entry": exampleEntry(.committed).encoded,
            "rejected-entry": exampleEntry(.rejected(.exceedsAvailableBalance, operation: 0)).encoded,
            "committed-entry-leaf-hash": Entry.leafHash(exampleEntry(.committed).encoded).bytes,
            "liabilities-commitment-entry": exampleCommitmentEntry().encoded,
        ]
        for (name, bytes) in vectors {
            try (Hex.encode(bytes) + "\n").write(to: target.appendingPathComponent("\(name).hex"), atomically: true, encoding: .utf8)
        }
    }
}
