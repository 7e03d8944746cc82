import Crypto
import Dispatch
import Synchronization
import Testing

@testable import KhataEd25519

/// Keys with a small-order component, where cofactorless verification (ours,
/// BoringSSL's) and cofactored verification part ways; keys this verifier
/// does not decode itself; and the bounds on what it remembers.
@Suite struct Ed25519EdgeCaseTests {
    typealias Words = Words256

    static let identityEncoding = Ed25519VerifierTests.bytes("0100000000000000000000000000000000000000000000000000000000000000")
    /// A point of order 8 (its encoding is in the RFC 8032 errata's list of small-order points).
    static let orderEight = Ed25519VerifierTests.bytes("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")

    static func point(_ bytes: [UInt8]) -> EdwardsPoint? { bytes.withUnsafeBytes { EdwardsPoint(encoding: $0) } }
    static func encode(_ point: EdwardsPoint) -> [UInt8] { Ed25519VerifierTests.words(point.encoding) }

    static let baseTable = FixedBaseTable(.base)
    static func timesBase(_ scalar: Words) -> EdwardsPoint {
        baseTable.doubleMultiply(FixedBaseTable.digits(scalar), baseTable, FixedBaseTable.digits((0, 0, 0, 0)))
    }

    /// (r + k·a) mod L, through the same reduction the verifier uses.
    static func mulAdd(_ k: Words, _ a: Words, _ r: Words) -> Words {
        let kw = [k.0, k.1, k.2, k.3], aw = [a.0, a.1, a.2, a.3]
        var wide = [UInt64](repeating: 0, count: 9)
        wide[0] = r.0
        wide[1] = r.1
        wide[2] = r.2
        wide[3] = r.3
        for i in 0..<4 {
            for j in 0..<4 {
                let (high, low) = kw[i].multipliedFullWidth(by: aw[j])
                var (sum, carry) = wide[i + j].addingReportingOverflow(low)
                wide[i + j] = sum
                var position = i + j + 1
                var add = high &+ (carry ? 1 : 0)  // high < 2⁶⁴ − 1, so no wrap
                while add != 0 {
                    (sum, carry) = wide[position].addingReportingOverflow(add)
                    wide[position] = sum
                    add = carry ? 1 : 0
                    position += 1
                }
            }
        }
        let bytes = wide.prefix(8).flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } }
        return bytes.withUnsafeBytes { Scalar.reduced(wide: $0) }
    }

    static func randomScalar() -> Words {
        let bytes = (0..<64).map { _ in UInt8.random(in: 0...255) }
        return bytes.withUnsafeBytes { Scalar.reduced(wide: $0) }
    }

    /// A signature by secret scalar `a` made under the public key `publicKey`
    /// (which need not be [a]B): R = [r]B + `torsionInR`, s = r + k·a.
    static func sign(_ message: [UInt8], secret a: Words, publicKey: [UInt8], torsionInR: EdwardsPoint?) -> [UInt8] {
        let r = randomScalar()
        var rPoint = timesBase(r)
        if let torsion = torsionInR { rPoint = rPoint.adding(torsion) }
        let rBytes = encode(rPoint)
        let digest = Array(SHA512.hash(data: rBytes + publicKey + message))
        let k = digest.withUnsafeBytes { Scalar.reduced(wide: $0) }
        return rBytes + Ed25519VerifierTests.words(mulAdd(k, a, r))
    }

    @Test func theSmallOrderPointHasOrderEight() throws {
        let t = try #require(Self.point(Self.orderEight))
        #expect(Self.encode(t.doubled().doubled()) != Self.identityEncoding)
        #expect(Self.encode(t.doubled().doubled().doubled()) == Self.identityEncoding)
    }

    /// A = [a]B + T and R = [r]B (+ T'): cofactorless verification accepts
    /// exactly when the torsion cancels, about one time in eight; both verifiers
    /// must draw the line in the same place.
    @Test func mixedOrderKeysGetBoringSSLsAnswer() throws {
        let t = try #require(Self.point(Self.orderEight))
        let verifier = Ed25519VerifierTests.eagerVerifier()
        var accepted = 0, rejected = 0, disagreements = 0
        for round in 0..<160 {
            let a = Self.randomScalar()
            var publicPoint = Self.timesBase(a)
            var torsionInR: EdwardsPoint? = nil
            switch round % 4 {
            case 0: publicPoint = publicPoint.adding(t)
            case 1: torsionInR = t
            case 2:
                publicPoint = publicPoint.adding(t)
                torsionInR = t.doubled()
            default: publicPoint = t  // a small-order key; a = 0 makes s = r
            }
            let secret: Words = round % 4 == 3 ? (0, 0, 0, 0) : a
            let publicKey = Self.encode(publicPoint)
            let message = Array("mixed order \(round)".utf8)
            let signature = Self.sign(message, secret: secret, publicKey: publicKey, torsionInR: torsionInR)
            let ours = verifier.isValidSignature(signature, for: message, publicKey: publicKey)
            if ours != Ed25519VerifierTests.boringSSL(signature, message, publicKey) { disagreements += 1 }
            if ours { accepted += 1 } else { rejected += 1 }
        }
        #expect(disagreements == 0)
        // Both outcomes occur, so the comparison above meant something.
        #expect(accepted >= 5 && rejected >= 60)
        #expect(verifier.statistics.fallbackVerifications == 0)
    }

    /// Keys the verifier does not decode itself — y not below p, or x = 0 with
    /// the sign bit set — always go to BoringSSL, and never get a table.
    @Test func keysItDoesNotDecodeGoToBoringSSL() {
        let verifier = Ed25519VerifierTests.eagerVerifier()
        let keys = [
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // y = p + 1
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  // y = 2²⁵⁵ − 1, sign set
            "0100000000000000000000000000000000000000000000000000000000000080",  // x = 0, sign set
            "0200000000000000000000000000000000000000000000000000000000000000",  // y = 2: no x fits
        ].map(Ed25519VerifierTests.bytes)
        for key in keys {
            for attempt in 0..<3 {
                // s = 0 and R = the identity's encoding: [0]B − [k]A = R only for special A.
                let signature = Self.identityEncoding + [UInt8](repeating: 0, count: 32)
                let message = [UInt8(attempt)]
                #expect(
                    verifier.isValidSignature(signature, for: message, publicKey: key)
                        == Ed25519VerifierTests.boringSSL(signature, message, key))
            }
        }
        let statistics = verifier.statistics
        #expect(statistics.tablesBuilt == 0 && statistics.tableVerifications == 0)
        #expect(statistics.fallbackVerifications == 12)
    }

    @Test func wrongLengthsAreInvalid() {
        let key = Curve25519.Signing.PrivateKey()
        let message: [UInt8] = [1, 2, 3]
        let signature = Array(try! key.signature(for: message))
        let publicKey = Array(key.publicKey.rawRepresentation)
        let verifier = Ed25519VerifierTests.eagerVerifier()
        #expect(verifier.isValidSignature(signature, for: message, publicKey: publicKey))
        #expect(!verifier.isValidSignature(Array(signature.dropLast()), for: message, publicKey: publicKey))
        #expect(!verifier.isValidSignature(signature + [0], for: message, publicKey: publicKey))
        #expect(!verifier.isValidSignature(signature, for: message, publicKey: Array(publicKey.dropLast())))
        #expect(!verifier.isValidSignature([], for: message, publicKey: []))
    }

    /// A key earns its table after N valid signatures (M once the tables are
    /// full); at capacity a new table evicts one; the counts restart when full.
    @Test func rememberingIsBounded() {
        let verifier = Ed25519Verifier(
            limits: .init(tableCapacity: 2, validSignaturesBeforeTable: 2, validSignaturesBeforeTableWhenFull: 4, sightingCapacity: 2))
        let keys = (0..<3).map { _ in Curve25519.Signing.PrivateKey() }
        func verify(_ key: Curve25519.Signing.PrivateKey, _ times: Int) {
            for i in 0..<times {
                let message = Array("signature \(i)".utf8)
                let signature = Array(try! key.signature(for: message))
                #expect(verifier.isValidSignature(signature, for: message, publicKey: Array(key.publicKey.rawRepresentation)))
            }
        }
        verify(keys[0], 2)
        #expect(verifier.statistics == .init(tableVerifications: 0, fallbackVerifications: 2, tablesBuilt: 0, tablesHeld: 0))
        verify(keys[0], 2)
        #expect(verifier.statistics == .init(tableVerifications: 2, fallbackVerifications: 2, tablesBuilt: 1, tablesHeld: 1))
        verify(keys[1], 3)
        #expect(verifier.statistics.tablesBuilt == 2 && verifier.statistics.tablesHeld == 2)
        // The tables are full: the third key needs 4 valid signatures, then its table evicts one.
        verify(keys[2], 4)
        #expect(verifier.statistics.tablesBuilt == 2)
        verify(keys[2], 1)
        var statistics = verifier.statistics
        #expect(statistics.tablesBuilt == 3 && statistics.tablesEvicted == 1 && statistics.tablesHeld == 2)
        // Counting a third key while two are counted restarts the counts.
        let fresh = (0..<3).map { _ in Curve25519.Signing.PrivateKey() }
        verify(fresh[0], 3)
        verify(fresh[1], 3)
        verify(fresh[2], 1)  // the counts are full: restart
        verify(fresh[0], 4)  // 4 valid signatures after the restart, no table yet
        statistics = verifier.statistics
        #expect(statistics.tablesBuilt == 3)
        verify(fresh[0], 1)
        #expect(verifier.statistics.tablesBuilt == 4)
    }

    /// Builds are rate-limited: keys that earn a table beyond the rate stay on
    /// BoringSSL until the clock (here a test's) lets their builds through.
    @Test func tableBuildsAreRateLimited() {
        let now = Mutex<UInt64>(0)
        let verifier = Ed25519Verifier(
            limits: .init(tableCapacity: 16, validSignaturesBeforeTable: 0, sightingCapacity: 64, tableBuildsPerSecond: 2),
            clock: { now.withLock { $0 } })
        let keys = (0..<5).map { _ in Curve25519.Signing.PrivateKey() }
        func verifyAll() {
            for (i, key) in keys.enumerated() {
                let message = Array("rate \(i)".utf8)
                let signature = Array(try! key.signature(for: message))
                #expect(verifier.isValidSignature(signature, for: message, publicKey: Array(key.publicKey.rawRepresentation)))
            }
        }
        verifyAll()
        #expect(verifier.statistics.tablesBuilt == 2 && verifier.statistics.buildsDeferred == 3)
        now.withLock { $0 = 500_000_000 }  // half a second: one more build
        verifyAll()
        #expect(verifier.statistics.tablesBuilt == 3)
        now.withLock { $0 = 10_000_000_000 }  // the bucket refills to its burst of 2, no more
        verifyAll()
        #expect(verifier.statistics.tablesBuilt == 5)
        verifyAll()
        #expect(verifier.statistics.tableVerifications == 2 + 3 + 5 + 5)
    }

    /// Only valid signatures count towards a table: garbage under a key, however
    /// much of it, leaves it on BoringSSL's path.
    @Test func invalidSignaturesEarnNoTable() {
        let verifier = Ed25519Verifier(limits: .init(tableCapacity: 4, validSignaturesBeforeTable: 2, sightingCapacity: 16))
        let key = Curve25519.Signing.PrivateKey()
        let publicKey = Array(key.publicKey.rawRepresentation)
        let message: [UInt8] = Array("pay".utf8)
        var forged = Array(try! key.signature(for: message))
        forged[5] ^= 0x20
        for _ in 0..<10 { #expect(!verifier.isValidSignature(forged, for: message, publicKey: publicKey)) }
        #expect(verifier.statistics.tablesBuilt == 0)
        for i in 0..<3 {
            let text = Array("pay \(i)".utf8)
            #expect(verifier.isValidSignature(Array(try! key.signature(for: text)), for: text, publicKey: publicKey))
        }
        #expect(verifier.statistics.tablesBuilt == 1 && verifier.statistics.tableVerifications == 1)
    }

    /// Many threads, few keys: every valid signature verifies, each key gets one table.
    @Test func concurrentVerificationSharesTables() {
        let verifier = Ed25519Verifier(limits: .init(tableCapacity: 16, validSignaturesBeforeTable: 1, sightingCapacity: 64))
        let keys = (0..<4).map { _ in Curve25519.Signing.PrivateKey() }
        let samples = (0..<400).map { i in
            let key = keys[i % keys.count]
            let message = Array("concurrent \(i)".utf8)
            return (Array(try! key.signature(for: message)), message, Array(key.publicKey.rawRepresentation))
        }
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for (index, sample) in samples.enumerated() where index % 4 == worker || index % 3 == 0 {
                var signature = sample.0
                if index % 7 == 0 { signature[40] ^= 1 }
                if verifier.isValidSignature(signature, for: sample.1, publicKey: sample.2) != (index % 7 != 0) {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(verifier.statistics.tablesBuilt == keys.count)
    }
}
