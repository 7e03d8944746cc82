import Crypto
import KhataEd25519

/// Verifications per second on one thread, for `khata bench signatures`:
/// BoringSSL alone, and `Ed25519Verifier` with signatures from `signers`
/// keys that each sign in turn (one key: every signature uses its table;
/// more keys than the table capacity: every signature is a first sighting).
public enum Ed25519Benchmark {
    public struct Result: Sendable, Codable {
        public var signers: Int
        public var boringSSLPerSecond: Double
        public var verifierPerSecond: Double
        public var tableVerifications: Int
        public var fallbackVerifications: Int
    }

    public static func measure(signers: Int, signatures: Int, seconds: Double) -> Result {
        precondition(signers >= 1 && signatures >= signers, "Ed25519Benchmark: need at least one signature per signer")
        let keys = (0..<signers).map { _ in Curve25519.Signing.PrivateKey() }
        let samples: [(signature: [UInt8], message: [UInt8], key: [UInt8])] = (0..<signatures).map { i in
            let key = keys[i % signers]
            let message = Array("khata signature benchmark \(i): pay 1 INR from A to B".utf8)
            return (Array(try! key.signature(for: message)), message, Array(key.publicKey.rawRepresentation))
        }
        let boringSSL = rate(seconds: seconds, samples.count) { i in
            Ed25519Verifier.isValidSignatureWithBoringSSL(samples[i].signature, for: samples[i].message, publicKey: samples[i].key)
        }
        let verifier = Ed25519Verifier(limits: .standard)
        let ours = rate(seconds: seconds, samples.count) { i in
            verifier.isValidSignature(samples[i].signature, for: samples[i].message, publicKey: samples[i].key)
        }
        let statistics = verifier.statistics
        return Result(
            signers: signers, boringSSLPerSecond: boringSSL, verifierPerSecond: ours,
            tableVerifications: statistics.tableVerifications, fallbackVerifications: statistics.fallbackVerifications)
    }

    /// Calls `verify` on samples 0, 1, … (cycling) for about `seconds`; every call must say valid.
    private static func rate(seconds: Double, _ count: Int, _ verify: (Int) -> Bool) -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let budget = Duration.milliseconds(Int64(seconds * 1000))
        var done = 0
        while clock.now - start < budget {
            for i in 0..<min(count, 256) {
                precondition(verify((done + i) % count), "Ed25519Benchmark: a valid signature failed to verify")
            }
            done += min(count, 256)
        }
        let elapsed = clock.now - start
        return Double(done) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
