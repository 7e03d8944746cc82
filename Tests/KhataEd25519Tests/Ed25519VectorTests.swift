import Crypto
import Foundation
import KhataTestSupport
import Testing

@testable import KhataEd25519

/// Our verifier against outside vectors and against BoringSSL, on every path a
/// signature can take: a fresh key (BoringSSL while the key earns its table), a
/// key with a table (our own arithmetic), and the batch path (one inversion for
/// many). A disagreement on any input fails the build: a node and an auditor
/// using another library must never disagree about the log.
@Suite struct Ed25519VectorTests {
    struct Case {
        let name: String
        let key: [UInt8]
        let message: [UInt8]
        let signature: [UInt8]
        let valid: Bool
    }

    static func vectorFile(_ name: String, sha256: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Vectors"))
        let data = try Data(contentsOf: url)
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        #expect(digest == sha256, "\(name).json is not the file Vectors/ORIGIN.md names")
        return data
    }

    /// Project Wycheproof's Ed25519 verification vectors: 151 tests, each valid or invalid.
    static func wycheproof() throws -> [Case] {
        struct File: Decodable {
            struct Group: Decodable {
                struct Key: Decodable { let pk: String }
                struct Test: Decodable {
                    let tcId: Int
                    let msg: String
                    let sig: String
                    let result: String
                }
                let publicKey: Key
                let tests: [Test]
            }
            let numberOfTests: Int
            let testGroups: [Group]
        }
        let file = try JSONDecoder().decode(
            File.self, from: try vectorFile("wycheproof_ed25519_test", sha256: "752d2ea7d7c6cf4736381b6cbacb61f8182b126ab7cd9b058f00c50084975536"))
        let cases = file.testGroups.flatMap { group in
            group.tests.map { test in
                Case(
                    name: "wycheproof \(test.tcId)", key: Ed25519VerifierTests.bytes(group.publicKey.pk),
                    message: Ed25519VerifierTests.bytes(test.msg),
                    signature: Ed25519VerifierTests.bytes(test.sig), valid: test.result == "valid")
            }
        }
        #expect(cases.count == file.numberOfTests && cases.count == 151)
        return cases
    }

    /// ed25519-speccheck's twelve edge cases, with BoringSSL's verdicts from that
    /// repository's results table (Vectors/ORIGIN.md).
    static func speccheck() throws -> [Case] {
        struct Entry: Decodable {
            let message: String
            let pub_key: String
            let signature: String
        }
        let entries = try JSONDecoder().decode(
            [Entry].self, from: try vectorFile("speccheck_cases", sha256: "08e47a36d9aead288664930505584f353fff113ab854f2800db1e4f5b3540450"))
        let verdicts = [true, true, true, true, false, false, false, false, false, false, false, true]
        #expect(entries.count == verdicts.count)
        return zip(entries, verdicts).enumerated().map { number, pair in
            Case(
                name: "speccheck \(number)", key: Ed25519VerifierTests.bytes(pair.0.pub_key), message: Ed25519VerifierTests.bytes(pair.0.message),
                signature: Ed25519VerifierTests.bytes(pair.0.signature), valid: pair.1)
        }
    }

    /// Every case through every path: the verdict the vectors give, and BoringSSL's.
    static func checkEveryPath(_ cases: [Case], expectVerdicts: Bool) {
        let fresh = Ed25519Verifier(limits: .standard)
        let eager = Ed25519VerifierTests.eagerVerifier()
        let batch = Ed25519VerifierTests.eagerVerifier()
        let batched = batch.areValid(cases.map { .init(signature: $0.signature, message: $0.message, publicKey: $0.key) })
        for (position, check) in cases.enumerated() {
            let boring = Ed25519VerifierTests.boringSSL(check.signature, check.message, check.key)
            if expectVerdicts { #expect(boring == check.valid, "BoringSSL itself on \(check.name)") }
            #expect(fresh.isValidSignature(check.signature, for: check.message, publicKey: check.key) == boring, "fresh key, \(check.name)")
            // Twice: the first sight may build the table, the second certainly uses it.
            for _ in 0..<2 {
                #expect(eager.isValidSignature(check.signature, for: check.message, publicKey: check.key) == boring, "table, \(check.name)")
            }
            #expect(batched[position] == boring, "batch, \(check.name)")
        }
        // A second batch, once every decodable key has its table.
        let again = batch.areValid(cases.map { .init(signature: $0.signature, message: $0.message, publicKey: $0.key) })
        #expect(again == batched)
    }

    @Test func wycheproofOnEveryPath() throws {
        let cases = try Self.wycheproof()
        #expect(cases.contains { $0.valid } && cases.contains { !$0.valid })
        Self.checkEveryPath(cases, expectVerdicts: true)
        // The table path really answered most of them.
        let verifier = Ed25519VerifierTests.eagerVerifier()
        for check in cases { _ = verifier.isValidSignature(check.signature, for: check.message, publicKey: check.key) }
        #expect(verifier.statistics.tableVerifications > 100, "\(verifier.statistics)")
    }

    @Test func speccheckOnEveryPath() throws {
        Self.checkEveryPath(try Self.speccheck(), expectVerdicts: true)
    }

    /// Encodings where verifiers part ways: the small-order points, and y at or
    /// above p, as keys and as R.
    static let awkwardEncodings = [
        "0100000000000000000000000000000000000000000000000000000000000000", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000080",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "0100000000000000000000000000000000000000000000000000000000000080", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ].map(Ed25519VerifierTests.bytes)

    /// A bounded randomized differential test (seeded, so a failure reproduces):
    /// random keys and messages, valid signatures and their corruptions — a bit
    /// flipped in R, S, the message or the key; S + L; R or the key replaced by
    /// a small-order or non-canonical encoding — each answered by every path as
    /// BoringSSL answers it.
    @Test func randomDifferentialAgainstBoringSSL() {
        var random = SeededGenerator(seed: 0x4B48_4154_4125_5519)
        let order = Ed25519VerifierTests.bytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        var cases: [Case] = []
        for signer in 0..<60 {
            let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: (0..<32).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            let publicKey = Array(key.publicKey.rawRepresentation)
            for round in 0..<25 {
                let message = (0..<Int(random.next() % 80)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                let signature = Array(try! key.signature(for: message))
                var mutated = (signature, message, publicKey)
                let bit = Int(random.next() % 256)
                switch (signer + round) % 8 {
                case 0, 1: break
                case 2: mutated.0[bit / 8] ^= 1 << (bit % 8)
                case 3: mutated.0[32 + bit / 8] ^= 1 << (bit % 8)
                case 4: if !mutated.1.isEmpty { mutated.1[Int(random.next() % UInt64(mutated.1.count))] ^= 1 } else { mutated.1 = [0] }
                case 5: mutated.2[bit / 8] ^= 1 << (bit % 8)
                case 6:  // S + L: the same point, a non-canonical scalar
                    var carry = 0
                    for i in 0..<32 {
                        let sum = Int(mutated.0[32 + i]) + Int(order[i]) + carry
                        mutated.0[32 + i] = UInt8(sum & 0xFF)
                        carry = sum >> 8
                    }
                default:
                    let awkward = Self.awkwardEncodings[Int(random.next() % UInt64(Self.awkwardEncodings.count))]
                    if random.next() % 2 == 0 { mutated.0.replaceSubrange(0..<32, with: awkward) } else { mutated.2 = awkward }
                }
                cases.append(Case(name: "random \(signer)/\(round)", key: mutated.2, message: mutated.1, signature: mutated.0, valid: false))
            }
        }
        Self.checkEveryPath(cases, expectVerdicts: false)
        #expect(
            cases.filter { Ed25519VerifierTests.boringSSL($0.signature, $0.message, $0.key) }.count >= 300, "too few valid cases to mean anything")
    }
}
