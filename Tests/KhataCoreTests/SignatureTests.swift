import KhataBytes
import KhataCore
import KhataTestSupport
import Testing

@Suite("Signatures")
struct SignatureTests {
    let payment = Fixture.transaction(1, [Fixture.transfer(5, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey])

    @Test func validSignatureVerifies() throws {
        try payment.verifySignatures(origin: Fixture.origin)
    }

    /// A transaction signed for another ledger is worthless here.
    @Test func anotherOriginIsRefused() throws {
        let elsewhere = try Transaction(id: transactionID(1), operations: payment.operations).signed(
            by: [Fixture.aliceKey], origin: "khata.test/other")
        #expect { try elsewhere.verifySignatures(origin: Fixture.origin) } throws: { ($0 as? MalformedInput)?.code == .badSignature }
    }

    /// A signature that claims one key but was made by another is refused before sequencing.
    @Test func signatureUnderWrongKeyIsRefused() throws {
        let forged = payment.signatures[0].signature
        let claimed = try Transaction(
            id: payment.id, operations: payment.operations, signatures: [TransactionSignature(key: Fixture.bobKey.publicKey, signature: forged)])
        #expect { try claimed.verifySignatures(origin: Fixture.origin) } throws: { ($0 as? MalformedInput)?.code == .badSignature }
    }

    /// A valid signature by a key that does not control the account is a sequenced rejection.
    @Test func keyThatIsNotAController() {
        var state = Fixture.genesisState()
        let byBob = Fixture.transaction(1, [Fixture.transfer(5, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.bobKey])
        #expect(apply(&state, byBob) == .rejected(.insufficientSignatures, operation: 0))
    }

    /// One signature of a 2-of-3 account is not enough, and an unsigned transaction is refused outright.
    @Test func fewerSignersThanThreshold() throws {
        var state = Fixture.genesisState()
        apply(&state, Fixture.transaction(1, [Fixture.transfer(50, from: Fixture.alice, to: Fixture.carol)], signedBy: [Fixture.aliceKey]))
        let once = Fixture.transaction(2, [Fixture.transfer(10, from: Fixture.carol, to: Fixture.bob)], signedBy: [Fixture.carolKeys[1]])
        #expect(apply(&state, once) == .rejected(.insufficientSignatures, operation: 0))
        let unsigned = try Transaction(id: transactionID(3), operations: payment.operations)
        #expect { try unsigned.verifySignatures(origin: Fixture.origin) } throws: { ($0 as? MalformedInput)?.code == .badSignature }
    }

    /// Changing any single byte of a signed transaction makes it malformed or its
    /// signature invalid: no mutation is ever accepted.
    @Test func everyChangedByteIsCaught() {
        let bytes = payment.encoded
        for position in bytes.indices {
            var changed = bytes
            changed[position] ^= 0x01
            let accepted: Bool
            if let decoded = try? Transaction(decoding: changed) {
                accepted = (try? decoded.verifySignatures(origin: Fixture.origin)) != nil
            } else {
                accepted = false
            }
            #expect(!accepted, "flipping byte \(position) was accepted")
        }
    }
}
