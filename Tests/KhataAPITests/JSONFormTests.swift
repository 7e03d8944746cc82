import Foundation
import KhataBytes
import KhataCore
import KhataEd25519
import KhataTestSupport
import Testing

@testable import KhataAPI

/// What the JSON form accepts beyond what the encoder writes (docs/ENCODING.md,
/// "JSON form"): upper-case hex yes; unknown fields, leading zeros, signs and
/// large JSON numbers no. The direct reader and the Codable one agree on each.
@Suite struct JSONFormTests {
    private static let payment = try! Transaction(
        id: TransactionID(high: 0xABCD, low: 0xEF01),
        operations: [.transfer(Transfer(asset: inr, debit: Fixture.alice, credit: Fixture.bob, amount: Amount(250)))]
    ).signed(by: [Fixture.aliceKey], origin: Fixture.origin)

    private static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    private static let paymentJSON = json(payment)

    /// Decodes as the node and the command line do (`TransactionJSON`), and with
    /// the direct reader alone; nil from the first means refused.
    private static func decode(_ text: String) -> (codable: Transaction?, fast: Transaction?, error: String?) {
        do {
            let transaction = try TransactionJSON.decode(Array(text.utf8)).transactions.first
            return (transaction, Transaction.decodeTransfersJSON(Array(text.utf8))?.transactions.first, nil)
        } catch {
            #expect(Transaction.decodeTransfersJSON(Array(text.utf8)) == nil, "the direct reader accepted what the other refused: \(text)")
            return (nil, nil, error.description)
        }
    }

    @Test func upperCaseHexIsReadAsTheSameBytes() throws {
        var text = Self.paymentJSON
        for hex in [
            Self.payment.id.hex, Fixture.alice.hex, Fixture.bob.hex, Self.payment.signatures[0].key.hex,
            Hex.encode(Self.payment.signatures[0].signature),
        ] {
            text = text.replacingOccurrences(of: hex, with: hex.uppercased())
        }
        #expect(text != Self.paymentJSON)
        let read = Self.decode(text)
        #expect(read.codable == Self.payment && read.fast == Self.payment)
        #expect(read.codable?.encoded == Self.payment.encoded)
        #expect(PendingID(text: Self.payment.id.hex.uppercased() + "/0") == PendingID(transaction: Self.payment.id, operation: 0))
    }

    @Test func unknownFieldsAreRefusedAtEveryLevel() throws {
        let cases: [(String, String, String)] = [
            (#"{"id":"#, #"{"memo_for_me":"x","id":"#, "memo_for_me"),  // the transaction
            (#""type":"transfer""#, #""type":"transfer","timeout_seconds":60"#, "timeout_seconds"),  // a plain transfer is not a pending one
            (#""type":"transfer""#, #""type":"transfer","memmo":"rent""#, "memmo"),  // a misspelt optional field
            (#"{"key":"#, #"{"kee":"x","key":"#, "kee"),  // a signature
        ]
        for (find, replace, field) in cases {
            let text = Self.paymentJSON.replacingOccurrences(of: find, with: replace)
            #expect(text != Self.paymentJSON, "\(find)")
            let read = Self.decode(text)
            #expect(read.codable == nil, "\(text)")
            #expect(read.error?.contains("unknown field \"\(field)\"") == true, "\(read.error ?? "accepted")")
        }
        // A key set, and a monetary policy's objects.
        let open = try Transaction(
            id: TransactionID(high: 1, low: 2),
            operations: [.createAccount(CreateAccount(account: AccountID(high: 9, low: 9), controllers: KeySet(single: Fixture.bobKey.publicKey)))])
        let openText = Self.json(open)
        #expect(Self.decode(openText).codable == open)
        #expect(
            Self.decode(openText.replacingOccurrences(of: #""threshold""#, with: #""treshold":2,"threshold""#)).error?.contains("\"treshold\"")
                == true)
        let policy = try Transaction(
            id: TransactionID(high: 1, low: 3), operations: [.setMonetaryPolicy(SetMonetaryPolicy(policy: ReserveFixture.policy()))])
        let policyText = Self.json(policy)
        #expect(Self.decode(policyText).codable == policy)
        for (find, replace) in [
            (#""version""#, #""versoin":2,"version""#), (#""haircut_basis_points""#, #""haircut":1,"haircut_basis_points""#),
            (#""assets""#, #""asset":"BTC","assets""#),
        ] {
            let text = policyText.replacingOccurrences(of: find, with: replace)
            #expect(text != policyText, "\(find)")
            #expect(Self.decode(text).codable == nil, "\(replace)")
        }
    }

    @Test func amountsAreCanonicalDigitsOrSmallIntegers() throws {
        func amount(_ json: String) -> UInt64? {
            let text = Self.paymentJSON.replacingOccurrences(of: #""amount":"250""#, with: #""amount":"# + json)
            #expect(text.contains(#""amount":"# + json))
            guard let transaction = Self.decode(text).codable, case .transfer(let transfer) = transaction.operations[0] else { return nil }
            return transfer.amount.units
        }
        #expect(amount(#""250""#) == 250)
        #expect(amount(#""0""#) == 0)
        #expect(amount(#""18446744073709551615""#) == UInt64.max)
        for refused in [#""007""#, #""00""#, #""0250.00""#, #""2.50""#, #""+7""#, #""-1""#, #"" 7""#, #""1e3""#, #""""#, #""18446744073709551616""#] {
            #expect(amount(refused) == nil, "\(refused)")
        }
        // JSON numbers: written as integers, up to 2^53; beyond, a string is needed.
        #expect(amount("250") == 250)
        #expect(amount("9007199254740992") == 1 << 53)
        for refused in ["9007199254740993", "250.5", "-1", "250.0", "2.5e2", "250.0000000000000001", "9007199254740992.5", "1E3", "0.1e1"] {
            #expect(amount(refused) == nil, "\(refused)")
        }
    }

    @Test func numbersInsideStringsAreNotNumbers() throws {
        // A memo may say "1.5e3": only numbers outside strings must be integers.
        let payment = try Transaction(
            id: TransactionID(high: 3, low: 4),
            operations: [.transfer(Transfer(asset: inr, debit: Fixture.alice, credit: Fixture.bob, amount: Amount(15), memo: "1.5e3 \"x\" 2.0"))])
        #expect(Self.decode(Self.json(payment)).codable == payment)
        #expect(TransactionJSON.firstNonIntegerNumber(Array(#"{"a":"1.5","b":[1,-2,3.0]}"#.utf8)) == "3.0")
        #expect(TransactionJSON.firstNonIntegerNumber(Array(#"{"a":"\"1.5","b":7}"#.utf8)) == nil)
    }

    @Test func aRepeatedKeyKeepsItsFirstValue() {
        // Not something to send (JSON leaves it open); pinned so that a change of reader shows.
        let text = Self.paymentJSON.replacingOccurrences(of: #""amount":"250""#, with: #""amount":"250","amount":"999""#)
        let read = Self.decode(text)
        guard case .transfer(let transfer) = read.codable?.operations.first else {
            Issue.record("refused: \(read.error ?? "")")
            return
        }
        #expect(transfer.amount.units == 250)
    }

    @Test func pendingIdsTakeCanonicalOperationIndexes() {
        let id = Self.payment.id.hex
        #expect(PendingID(text: id + "/7") == PendingID(transaction: Self.payment.id, operation: 7))
        #expect(PendingID(text: id + "/0") != nil)
        for refused in ["/+7", "/07", "/-1", "/ 7", "/65536", "/", "/7/1"] {
            #expect(PendingID(text: id + refused) == nil, "\(refused)")
        }
    }

    @Test func digitsParseAsDocumented() {
        #expect(Amount.parseDigits(Array("0".utf8)) == 0)
        #expect(Amount.parseDigits(Array("1234567890".utf8)) == 1_234_567_890)
        #expect(Amount.parseDigits(Array("18446744073709551615".utf8)) == UInt64.max)
        #expect(Amount.parseDigits(Array("18446744073709551616".utf8)) == nil)
        #expect(Amount.parseDigits(Array("99999999999999999999999".utf8)) == nil)
        #expect(Amount.parseDigits(Array("01".utf8)) == nil)
        #expect(Amount.parseDigits([UInt8]()) == nil)
    }
}
