import Foundation
import KhataAPI
import KhataBytes
import KhataCore
import KhataEd25519
import KhataTestSupport
import Testing

/// The node reads transfers and writes receipts in JSON without Foundation's
/// coders; these hold the direct forms to exactly what the Codable forms do.
@Suite struct FastJSONTests {
    private static let payers: [(AccountID, SigningKey)] = [
        (Fixture.alice, Fixture.aliceKey), (Fixture.bob, Fixture.bobKey), (Fixture.carol, Fixture.carolKeys[0]),
    ]

    private static func randomTransfers(_ random: inout SeededGenerator) -> Transaction {
        let (payer, key) = payers[Int.random(in: 0..<payers.count, using: &random)]
        let memoCharacters = Array("abc XYZ 019 ./:-_@#")
        let operations = (0..<Int.random(in: 1...4, using: &random)).map { _ in
            LedgerOperation.transfer(
                Transfer(
                    asset: [inr, AssetCode("BTC")!, AssetCode("GOI-2033")!][Int.random(in: 0..<3, using: &random)],
                    debit: payer, credit: AccountID(high: 0, low: .random(in: 1...1_000, using: &random)),
                    amount: Amount(UInt64.random(in: 0...UInt64.max, using: &random) >> UInt64.random(in: 0...63, using: &random)),
                    memo: Bool.random(using: &random)
                        ? "" : String((0..<Int.random(in: 1...40, using: &random)).map { _ in memoCharacters.randomElement(using: &random)! })))
        }
        let transaction = try! Transaction(id: TransactionID(high: .random(in: 0...UInt64.max, using: &random), low: 7), operations: operations)
        return Bool.random(using: &random) ? try! transaction.signed(by: [key], origin: Fixture.origin) : transaction
    }

    private static func encoders() -> [JSONEncoder] {
        let formattings: [JSONEncoder.OutputFormatting] = [
            [], [.sortedKeys], [.prettyPrinted], [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes],
        ]
        return formattings.map { formatting in
            let encoder = JSONEncoder()
            encoder.outputFormatting = formatting
            return encoder
        }
    }

    @Test func readsWhatTheEncoderWritesAsTheDecoderDoes() throws {
        var random = SeededGenerator(seed: 41)
        var read = 0
        for (round, encoder) in Self.encoders().enumerated() {
            for _ in 0..<150 {
                let transaction = Self.randomTransfers(&random)
                let text = Array(try encoder.encode(transaction))
                #expect(try JSONDecoder().decode(Transaction.self, from: Data(text)) == transaction)
                // An escape ("\/" in a memo, from encoders that escape slashes) is left to JSONDecoder.
                guard let fast = Transaction.decodeTransfersJSON(text) else {
                    #expect(text.contains(UInt8(ascii: "\\")), "round \(round): \(String(decoding: text, as: UTF8.self))")
                    continue
                }
                #expect(fast.transactions == [transaction] && !fast.isArray)
                read += 1
            }
            let batch = (0..<5).map { _ in Self.randomTransfers(&random) }.filter { !(try! JSONEncoder().encode($0)).contains(UInt8(ascii: "\\")) }
            let fast = try #require(Transaction.decodeTransfersJSON(Array(try encoder.encode(batch))))
            #expect(fast.transactions == batch && fast.isArray)
        }
        #expect(read > 250, "the direct reader read only \(read) of 600")
    }

    /// Whatever the direct reader accepts, JSONDecoder accepts too, with the same
    /// result; and on a good share of the altered texts it steps aside.
    @Test func neverAcceptsWhatTheDecoderRefusesOrReadsItDifferently() throws {
        var random = SeededGenerator(seed: 42)
        var accepted = 0
        var declined = 0
        for _ in 0..<3_000 {
            var text = Array(try JSONEncoder().encode(Self.randomTransfers(&random)))
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let position = Int.random(in: 0..<text.count, using: &random)
                let byte = Array(#"{}[]",:0a9F\ "x-.e"#.utf8).randomElement(using: &random)!
                switch Int.random(in: 0..<3, using: &random) {
                case 0: text[position] = byte
                case 1: text.insert(byte, at: position)
                default: text.remove(at: position)
                }
            }
            let slow = try? JSONDecoder().decode(Transaction.self, from: Data(text))
            if let fast = Transaction.decodeTransfersJSON(text) {
                accepted += 1
                #expect(!fast.isArray && fast.transactions == [slow], "\(String(decoding: text, as: UTF8.self))")
            } else {
                declined += 1
            }
        }
        #expect(accepted > 20 && declined > 1_000, "accepted \(accepted), declined \(declined)")
    }

    /// What it leaves to JSONDecoder: other operations, escapes, non-ASCII,
    /// numbers, null, unknown or repeated keys, trailing text, refused values.
    @Test func stepsAsideForEverythingElse() throws {
        let key = Fixture.aliceKey.publicKey.hex
        let transfer = #"{"type":"transfer","asset":"INR","debit":"\#(Fixture.alice.hex)","credit":"\#(Fixture.bob.hex)","amount":"5""#
        let id = #""id":"000000000000000000000000000000aa""#
        let plain = #"{\#(id),"operations":[\#(transfer)}]}"#
        #expect(Transaction.decodeTransfersJSON(Array(plain.utf8)) != nil)
        #expect(Transaction.decodeTransfersJSON(Array(" \n\(plain)\t ".utf8)) != nil)
        let others = [
            #"{\#(id),"operations":[{"type":"close_account","account":"\#(Fixture.alice.hex)"}]}"#,
            #"{\#(id),"operations":[\#(transfer),"memo":"caf\u00e9"}]}"#,
            #"{\#(id),"operations":[\#(transfer),"memo":"café"}]}"#,
            #"{\#(id),"operations":[\#(transfer),"memo":null}]}"#,
            #"{\#(id),"operations":[\#(transfer.replacingOccurrences(of: #""5""#, with: "5"))}]}"#,
            #"{\#(id),"operations":[\#(transfer),"zone":"1"}]}"#,
            #"{\#(id),\#(id),"operations":[\#(transfer)}]}"#,
            #"{\#(id),"operations":[\#(transfer),"amount":"6"}]}"#,
            #"{\#(id),"operations":[\#(transfer)}],"signatures":[{"key":"\#(key)","signature":"00"}]}"#,
            #"{\#(id),"operations":[]}"#,
            #"{\#(id),"operations":[\#(transfer)}]}x"#,
            #"{\#(id),"operations":[\#(transfer)}]}{}"#,
            #"[]"#,
            #"{}"#,
            plain.replacingOccurrences(of: "INR", with: "inr"),
            plain.replacingOccurrences(of: #""5""#, with: #""18446744073709551616""#),
        ]
        for text in others {
            #expect(Transaction.decodeTransfersJSON(Array(text.utf8)) == nil, "\(text)")
        }
    }

    @Test func receiptsAreWrittenAsTheEncoderWritesThem() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var random = SeededGenerator(seed: 43)
        let outcomes: [Outcome] = [
            .committed, .rejected(.exceedsAvailableBalance, operation: 3), .rejected(.idReusedWithDifferentContent, operation: nil),
        ]
        var receipts: [Receipt] = []
        for outcome in outcomes {
            for isRetry in [false, true] {
                receipts.append(
                    Receipt(
                        transaction: TransactionID(high: .random(in: 0...UInt64.max, using: &random), low: .max),
                        index: LeafIndex(.random(in: 0...UInt64.max, using: &random)),
                        time: Timestamp(milliseconds: .random(in: 0...UInt64.max, using: &random)),
                        outcome: outcome, leafHash: Digest32.sha256([UInt8(receipts.count)]), isRetry: isRetry))
            }
        }
        for receipt in receipts {
            #expect(String(decoding: receipt.json, as: UTF8.self) == String(decoding: try encoder.encode(receipt), as: UTF8.self))
        }
        #expect(Receipt.json(receipts) == Array(try encoder.encode(receipts)))
        #expect(Receipt.json([]) == Array(try encoder.encode([Receipt]())))
    }
}
