import Crypto
import Foundation
import Testing

@testable import KhataEd25519

/// The table verifier must give BoringSSL's answer for every input: these
/// tests hold the two side by side on valid signatures, on every kind of
/// corruption, and on the keys where cofactorless verification is subtle
/// (small-order and mixed-order keys).
@Suite struct Ed25519VerifierTests {
    /// A verifier that builds a table on a key's first signature.
    static func eagerVerifier() -> Ed25519Verifier {
        Ed25519Verifier(limits: .init(tableCapacity: 64, validSignaturesBeforeTable: 0, sightingCapacity: 64))
    }

    static func boringSSL(_ signature: [UInt8], _ message: [UInt8], _ key: [UInt8]) -> Bool {
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key) else { return false }
        return publicKey.isValidSignature(signature, for: message)
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    static func words(_ w: Words256) -> [UInt8] {
        [w.0, w.1, w.2, w.3].flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } }
    }

    @Test func fieldConstantsAreWhatRFC8032Says() {
        let minusOne = FieldElement.zero - .one
        #expect(EdwardsPoint.sqrtMinusOne.squared() == minusOne)
        #expect(EdwardsPoint.d * FieldElement(121_666) == -FieldElement(121_665))
        #expect(
            Self.words(EdwardsPoint.base.encoding)
                == Self.bytes("5866666666666666666666666666666666666666666666666666666666666666"))
    }

    @Test func fieldArithmeticRoundTrips() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var raw = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            raw[31] &= 0x7f
            guard let a = raw.withUnsafeBytes({ FieldElement(canonicalBytes: $0) }) else { continue }
            #expect(Self.words(a.canonicalBytes) == raw)
            #expect(a * a.inverted() == .one)
            #expect(a.squared() == a * a)
            #expect((a - a).isZero && (a + (-a)).isZero)
        }
        // Montgomery's trick inverts many at once, as one by one.
        let many = (1...40).map { FieldElement(UInt64($0) * 7_919) * EdwardsPoint.d }
        #expect(FieldElement.inverted(many) == many.map { $0.inverted() })
        #expect(FieldElement.inverted([]).isEmpty)
        // p, p + 1 and 2²⁵⁵ − 1 are not canonical; p − 1 is.
        let p = Self.bytes("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        for tooBig in [p, Self.bytes("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), [UInt8](repeating: 0xff, count: 32)] {
            #expect(tooBig.withUnsafeBytes { FieldElement(canonicalBytes: $0) } == nil)
        }
        let pMinusOne = Self.bytes("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        #expect(pMinusOne.withUnsafeBytes { FieldElement(canonicalBytes: $0) } == FieldElement.zero - .one)
    }

    /// Multiplication takes the lazy operations' limbs up to 2⁵⁴ without
    /// overflow: at the extremes it agrees with multiplying carried inputs, and
    /// the lazy operations at their input bounds agree with the carried ones.
    @Test func lazyLimbsAtTheirBounds() {
        let top: UInt64 = (1 << 54) - 1
        let loose: UInt64 = (1 << 51) + (1 << 14) - 1  // the largest limb a multiplication returns
        let extremes = [
            FieldElement(l0: top, l1: top, l2: top, l3: top, l4: top),
            FieldElement(l0: 0, l1: top, l2: 0, l3: top, l4: top),
            FieldElement(l0: top, l1: 0, l2: 0, l3: 0, l4: top),
        ]
        for a in extremes {
            #expect(a * a == a.carried() * a.carried())
            #expect(a.squared() == a.carried().squared())
            #expect(a * .one == a.carried())
        }
        let b = FieldElement(l0: loose, l1: loose, l2: loose, l3: loose, l4: loose)
        let zero = FieldElement.zero
        #expect(FieldElement.lazySum(b, b) * b == (b + b) * b)
        #expect(FieldElement.lazyDifference(FieldElement.lazySum(b, b), b) * b == (b + b - b) * b)
        #expect(FieldElement.lazyDifference(zero, b) * b == (zero - b) * b)
        #expect(FieldElement.lazyDifferenceOfLazy(FieldElement.lazySum(b, b), FieldElement.lazySum(b, b)).isZero)
        #expect(FieldElement.lazyDifferenceOfLazy(zero, FieldElement.lazySum(b, b)) * b == (zero - b - b) * b)
    }

    /// Vectors computed with Python's integers: v mod L for 64-byte v.
    @Test func wideScalarsReduceModuloTheOrder() {
        let vectors: [(String, String)] = [
            (
                "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
                "0000000000000000000000000000000000000000000000000000000000000000"
            ),
            (
                "edd3f55c1a631258d69cf7a2def9de14000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000",
                "0000000000000000000000000000000000000000000000000000000000000000"
            ),
            (
                "f2d3f55c1a631258d69cf7a2def9de14000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000",
                "0500000000000000000000000000000000000000000000000000000000000000"
            ),
            (
                "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "000f9c44e31106a447938568a71b0ed065bef517d273ecce3d9a307c1b419903"
            ),
            (
                "00000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000",
                "1d95988d7431ecd670cf7d73f45befc6feffffffffffffffffffffffffffff0f"
            ),
            (
                "00000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000",
                "0000000000000000000000000000000000000000000000000000000000000010"
            ),
            (
                "688912ab85f6ede21da3982276920368bef517d273ecce3d9a307c1b4199b3a17dba9e4b634c02cb9af35ed43bdf9b0200000000000000000000000000000001",
                "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
            ),
            (
                "38b4e652e44da7f2370d9e260e27136550a4a3a6d07f5c0c332f8b1224083fd22b902f8911e81818f8c99d5d5d9831957504d90e945de2e8f54ee781cc75f636",
                "69e635e2b59edaf289828e009b47ac5dd30f507e94a31614a8be389e1655b504"
            ),
            (
                "d85099095aa300165a67036f9b540d6b8f0be21124179c3dd9f73817ce6e118d264aad6cb6dd210faf94acd3cf92c190237cb11f5d108cf25930263938b370a1",
                "841ac4e571c9aab54df078817d95682262aed88f044783d0d94ebef20ceea708"
            ),
            (
                "b5769fa0f1483f95a90d9df2f130d60fcf04bd93f50ae69514da8c659ce2b10cccdaebf990d19838b0d7ec0b3e97818ecb96c4dbadbe172296d5234a42b24c6b",
                "fbfa1ec8eb3a28a0e6867e40d52d53090b65e07e85158eb020b4e9cfd6832400"
            ),
            (
                "a4e6ed24ec636a8ac0a1271e5866279238aaf84e58056d8f2fa8edd094ba97ae8b15442ee2db611a91bfe39469733a9247d58fa3c55018300372555fd235f118",
                "b305efce81f3acddc5aaf695eb594e91c52d6aa59bde4665067f38bdd565e105"
            ),
            (
                "29fb388c22e44cb637f01210c3707a90b405420fb169779edfb5b9342405157f54b12eae62d11e887eb0766d1877f8c6eff26b5010af3177d161e79587a766ec",
                "cae4b378653d86e4ae365c9c37478e948d5d0c84e11d2cfb77418ca6b6914601"
            ),
            (
                "30e4037458a9905cad87bd4c77e2983f27745ccb9a31052e944cf1b220eaa2c7fb1b7d3e3f73f414af6e0d935520dd4c2147738606f2bf7ec70209e0cd05ee57",
                "60850f0de6fd29b69ce916259544db136bd78ed0c9b8fb1c87cfc43a66fb5003"
            ),
        ]
        for (wide, reduced) in vectors {
            #expect(Self.words(Self.bytes(wide).withUnsafeBytes { Scalar.reduced(wide: $0) }) == Self.bytes(reduced))
        }
    }

    /// [a]B through the base table equals the public key BoringSSL derives from the same seed.
    @Test func baseTableMultipliesLikeBoringSSL() {
        for _ in 0..<32 {
            let key = Curve25519.Signing.PrivateKey()
            var a = Array(SHA512.hash(data: key.rawRepresentation).prefix(32))
            a[0] &= 248
            a[31] &= 127
            a[31] |= 64
            let product = Ed25519EdgeCaseTests.timesBase(a.withUnsafeBytes(littleEndianWords))
            #expect(Self.words(product.encoding) == Array(key.publicKey.rawRepresentation))
        }
    }

    /// RFC 8032 §7.1, TEST 1 and TEST 2, through the table path.
    @Test func rfc8032Vectors() {
        let vectors: [(key: String, message: String, signature: String)] = [
            (
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            ),
            (
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
            ),
        ]
        let verifier = Self.eagerVerifier()
        for vector in vectors {
            let key = Self.bytes(vector.key), message = Self.bytes(vector.message), signature = Self.bytes(vector.signature)
            #expect(verifier.isValidSignature(signature, for: message, publicKey: key))
            #expect(!verifier.isValidSignature(signature, for: message + [0], publicKey: key))
        }
        #expect(verifier.statistics.tableVerifications == 4)
    }

    /// A batch gives the answers one-by-one checks give, whatever it mixes:
    /// table and BoringSSL paths, valid and corrupted, wrong lengths.
    @Test func batchesAnswerAsSingleChecksDo() {
        let keys = (0..<5).map { _ in Curve25519.Signing.PrivateKey() }
        var checks: [Ed25519Verifier.Check] = []
        for i in 0..<300 {
            let key = keys[i % keys.count]
            let message = Array("batch \(i)".utf8)
            var signature = Array(try! key.signature(for: message))
            var publicKey = Array(key.publicKey.rawRepresentation)
            switch i % 5 {
            case 1: signature[i % 64] ^= 0x04
            case 2 where i % 3 == 0: signature.removeLast()
            case 3 where i % 7 == 0: publicKey = Array(keys[(i + 1) % keys.count].publicKey.rawRepresentation)
            default: break
            }
            checks.append(.init(signature: signature, message: message, publicKey: publicKey))
        }
        // Keys 0-2 have tables; 3 and 4 go to BoringSSL (they never reach the threshold here).
        let single = Ed25519Verifier(
            limits: .init(tableCapacity: 3, validSignaturesBeforeTable: 0, validSignaturesBeforeTableWhenFull: 200, sightingCapacity: 64))
        let batched = Ed25519Verifier(
            limits: .init(tableCapacity: 3, validSignaturesBeforeTable: 0, validSignaturesBeforeTableWhenFull: 200, sightingCapacity: 64))
        let one = checks.map { single.isValidSignature($0.signature, for: $0.message, publicKey: $0.publicKey) }
        let all = batched.areValid(checks)
        #expect(all == one)
        #expect(all.contains(true) && all.contains(false))
        #expect(batched.statistics.tableVerifications > 0 && batched.statistics.fallbackVerifications > 0)
        #expect(batched.areValid([]) == [])
        #expect(batched.areValid(Array(checks.prefix(1))) == [one[0]])
    }

    @Test func agreesWithBoringSSLOnValidAndCorruptedSignatures() {
        let verifier = Self.eagerVerifier()
        var disagreements = 0, accepted = 0, checked = 0
        for round in 0..<40 {
            let key = Curve25519.Signing.PrivateKey()
            let publicKey = Array(key.publicKey.rawRepresentation)
            let message = Array("transfer \(round) of 1 INR".utf8) + [UInt8](repeating: UInt8(round), count: round * 7)
            let signature = Array(try! key.signature(for: message))
            var cases: [([UInt8], [UInt8])] = [(signature, message), (signature, message + [0]), (signature, [])]
            for bit in [0, 7, 100, 255, 256, 300, 500, 504, 511] {
                var flipped = signature
                flipped[bit / 8] ^= 1 << (bit % 8)
                cases.append((flipped, message))
            }
            // S + L: the same point, a non-canonical scalar; both must refuse it.
            var sPlusL = signature
            let order = Self.words(Scalar.order)
            var carry = 0
            for i in 0..<32 {
                let sum = Int(sPlusL[32 + i]) + Int(order[i]) + carry
                sPlusL[32 + i] = UInt8(sum & 0xff)
                carry = sum >> 8
            }
            if carry == 0 { cases.append((sPlusL, message)) }
            for (candidate, text) in cases {
                let ours = verifier.isValidSignature(candidate, for: text, publicKey: publicKey)
                if ours != Self.boringSSL(candidate, text, publicKey) { disagreements += 1 }
                if ours { accepted += 1 }
                checked += 1
            }
        }
        #expect(disagreements == 0)
        #expect(accepted == 40)  // exactly the untouched signatures
        #expect(verifier.statistics.tableVerifications == checked)
    }
}
