import Crypto
import Synchronization

/// Ed25519 signature verification (RFC 8032 §5.1.7, cofactorless: the check
/// is [S]B = R + [k]A on the encodings) that remembers the keys that sign
/// often.
///
/// Once a key has made `Limits.validSignaturesBeforeTable` valid signatures
/// (checked by BoringSSL; more once the tables are full), its next one builds
/// a `FixedBaseTable` of −A; from then on its signatures cost two table walks
/// (86 mixed additions, 6 doublings, one inversion) instead of BoringSSL's
/// double-scalar multiplication with 252 doublings — a quarter of the time.
/// Every other
/// signature, and every key this file does not decode itself, goes to
/// BoringSSL (swift-crypto), so the answer is always BoringSSL's answer:
///
/// - S must be below L (the same test, word for word);
/// - A is decoded the same way for canonical encodings (y below p), which are
///   the only ones that get a table;
/// - k = SHA-512(R ‖ A ‖ M) mod L, from the same bytes;
/// - R is compared as bytes with the encoding of [S]B − [k]A, which is unique.
///
/// Thread-safe; the tables are immutable once built and shared by all threads.
public final class Ed25519Verifier: Sendable {
    /// The bounds on what the verifier remembers.
    public struct Limits: Sendable {
        /// Keys with a table at once (83 KiB each).
        public var tableCapacity: Int
        /// Valid signatures a key makes through BoringSSL before its next one builds its table.
        public var validSignaturesBeforeTable: Int
        /// The same once `tableCapacity` tables are held, when a new table evicts
        /// one: higher, so that more signers than tables do not spend their time
        /// building tables that are evicted before they pay for themselves.
        public var validSignaturesBeforeTableWhenFull: Int
        /// Keys counted at once while they earn a table; the count restarts when full.
        public var sightingCapacity: Int
        /// Tables built per second at most, in bursts of as many: a build costs
        /// about ten verifications, and many signers reaching the threshold at
        /// once (they all started together) would otherwise spend a second of
        /// CPU on tables in an instant. 128/s is at most about 2 % of a core.
        public var tableBuildsPerSecond: Int

        public static let standard = Limits(
            tableCapacity: 1024, validSignaturesBeforeTable: 7, validSignaturesBeforeTableWhenFull: 31, sightingCapacity: 65_536,
            tableBuildsPerSecond: 128)

        public init(
            tableCapacity: Int, validSignaturesBeforeTable: Int, validSignaturesBeforeTableWhenFull: Int? = nil,
            sightingCapacity: Int, tableBuildsPerSecond: Int = 1_000_000
        ) {
            let whenFull = validSignaturesBeforeTableWhenFull ?? validSignaturesBeforeTable
            precondition(tableCapacity >= 1 && sightingCapacity >= 1, "Ed25519Verifier.Limits: capacities must be positive")
            precondition(
                (0...254).contains(validSignaturesBeforeTable) && (validSignaturesBeforeTable...254).contains(whenFull),
                "Ed25519Verifier.Limits: 0 ≤ validSignaturesBeforeTable ≤ validSignaturesBeforeTableWhenFull ≤ 254")
            precondition(tableBuildsPerSecond >= 1, "Ed25519Verifier.Limits: tableBuildsPerSecond must be positive")
            (self.tableCapacity, self.validSignaturesBeforeTable, self.validSignaturesBeforeTableWhenFull, self.sightingCapacity) =
                (tableCapacity, validSignaturesBeforeTable, whenFull, sightingCapacity)
            self.tableBuildsPerSecond = tableBuildsPerSecond
        }
    }

    /// What the verifier has done, for metrics and tests.
    public struct Statistics: Sendable, Equatable {
        public var tableVerifications = 0
        public var fallbackVerifications = 0
        public var tablesBuilt = 0
        public var tablesEvicted = 0
        public var tablesHeld = 0
        /// Builds a key had earned but the build rate put off (it stays on BoringSSL meanwhile).
        public var buildsDeferred = 0
    }

    /// The verifier the ledger uses.
    public static let shared = Ed25519Verifier(limits: .standard)

    private struct Key: Hashable {
        let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64
    }

    private struct State {
        var tables: [Key: FixedBaseTable] = [:]
        /// Valid signatures seen per key still without a table; `undecodable` marks keys never to build.
        var sightings: [Key: UInt8] = [:]
        var statistics = Statistics()
        /// Builds allowed now (a token bucket refilled at `tableBuildsPerSecond`), and when it was last refilled.
        var buildTokens: Double
        var refilledAt: UInt64
    }

    private static let undecodable = UInt8.max
    private static let baseTable = FixedBaseTable(.base)

    private let limits: Limits
    private let state: Mutex<State>
    /// Monotonic nanoseconds; tests replace it.
    private let clock: @Sendable () -> UInt64

    public init(limits: Limits, clock: @escaping @Sendable () -> UInt64 = Ed25519Verifier.monotonicNanoseconds) {
        self.limits = limits
        self.clock = clock
        state = Mutex(State(buildTokens: Double(limits.tableBuildsPerSecond), refilledAt: clock()))
    }

    private static let clockOrigin = ContinuousClock.now

    /// Nanoseconds since the first call, from the monotonic clock.
    public static func monotonicNanoseconds() -> UInt64 {
        let elapsed = clockOrigin.duration(to: .now).components
        return UInt64(max(0, elapsed.seconds)) &* 1_000_000_000 &+ UInt64(max(0, elapsed.attoseconds / 1_000_000_000))
    }

    public var statistics: Statistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.tablesHeld = state.tables.count
            return statistics
        }
    }

    /// One signature to check: 64 bytes of signature, the message, 32 bytes of key.
    public struct Check: Sendable {
        public var signature: [UInt8]
        public var message: [UInt8]
        public var publicKey: [UInt8]

        public init(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) {
            (self.signature, self.message, self.publicKey) = (signature, message, publicKey)
        }
    }

    /// Whether `signature` (64 bytes) is a valid Ed25519 signature of `message`
    /// by `publicKey` (32 bytes). Wrong lengths are simply invalid.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8], publicKey: [UInt8]) -> Bool {
        switch start(Check(signature: signature, message: message, publicKey: publicKey)) {
        case .decided(let valid): return valid
        case .compare(let point, let r): return point.encoding == r
        }
    }

    /// Whether each check holds: the answers `isValidSignature` gives one by
    /// one, but the signatures that take the table path share one field
    /// inversion (Montgomery's trick) instead of one each — about a seventh of
    /// a table verification saved per signature.
    public func areValid(_ checks: [Check]) -> [Bool] {
        var answers = [Bool](repeating: false, count: checks.count)
        var pending: [(index: Int, point: EdwardsPoint, r: Words256)] = []
        for (index, check) in checks.enumerated() {
            switch start(check) {
            case .decided(let valid): answers[index] = valid
            case .compare(let point, let r): pending.append((index, point, r))
            }
        }
        let zInverses = FieldElement.inverted(pending.map(\.point.z))
        for (item, zInverse) in zip(pending, zInverses) {
            answers[item.index] = item.point.encoding(zInverse: zInverse) == item.r
        }
        return answers
    }

    /// Where a check stands after everything but the final comparison.
    private enum Progress {
        case decided(Bool)
        /// Valid exactly when the point's encoding is R.
        case compare(EdwardsPoint, r: Words256)
    }

    private func start(_ check: Check) -> Progress {
        check.publicKey.withUnsafeBytes { keyBytes in
            check.signature.withUnsafeBytes { signatureBytes in
                check.message.withUnsafeBytes { messageBytes in
                    guard keyBytes.count == 32, signatureBytes.count == 64 else { return .decided(false) }
                    let words = littleEndianWords(keyBytes)
                    let key = Key(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
                    if let table = table(for: key, keyBytes: keyBytes) {
                        guard let point = Self.point(signatureBytes, messageBytes, keyBytes, negatedKeyTable: table) else {
                            return .decided(false)
                        }
                        // Z is never zero for a point of the curve, and the formulas only
                        // make such points; but 1/0 is taken as 0 and would encode as 32
                        // zero bytes (and zero every inverse of a batch), so refuse outright.
                        guard !point.z.isZero else { return .decided(false) }
                        return .compare(point, r: littleEndianWords(signatureBytes))
                    }
                    let valid = Self.verifyWithBoringSSL(signatureBytes, messageBytes, keyBytes)
                    if valid { countValidSignature(by: key) }
                    return .decided(valid)
                }
            }
        }
    }

    private enum Lookup {
        case table(FixedBaseTable)
        case build
        case fallback
    }

    /// The key's table: the one held, or one built now if the key's valid
    /// signatures so far earn it. One lock acquisition when the table is held
    /// or not yet earned.
    private func table(for key: Key, keyBytes: UnsafeRawBufferPointer) -> FixedBaseTable? {
        let lookup: Lookup = state.withLock { state in
            if let table = state.tables[key] {
                state.statistics.tableVerifications += 1
                return .table(table)
            }
            let seen = state.sightings[key, default: 0]
            let needed =
                state.tables.count >= limits.tableCapacity ? limits.validSignaturesBeforeTableWhenFull : limits.validSignaturesBeforeTable
            if seen != Self.undecodable && Int(seen) >= needed {
                if takeBuildToken(&state) { return .build }
                state.statistics.buildsDeferred += 1
            }
            state.statistics.fallbackVerifications += 1
            return .fallback
        }
        switch lookup {
        case .table(let table): return table
        case .fallback: return nil
        case .build: break
        }
        // Built outside the lock: other threads keep verifying meanwhile.
        guard let point = EdwardsPoint(encoding: keyBytes) else {
            state.withLock {
                $0.sightings[key] = Self.undecodable
                $0.statistics.fallbackVerifications += 1
            }
            return nil
        }
        let table = FixedBaseTable(point.negated)
        return state.withLock { state in
            state.statistics.tableVerifications += 1
            if let existing = state.tables[key] { return existing }
            if state.tables.count >= limits.tableCapacity, let victim = state.tables.randomElement()?.key {
                state.tables[victim] = nil
                state.statistics.tablesEvicted += 1
            }
            state.tables[key] = table
            state.sightings[key] = nil
            state.statistics.tablesBuilt += 1
            return table
        }
    }

    /// Whether a table may be built now; spends the token if so.
    private func takeBuildToken(_ state: inout State) -> Bool {
        let now = clock()
        let rate = Double(limits.tableBuildsPerSecond)
        if now > state.refilledAt {
            state.buildTokens = min(rate, state.buildTokens + Double(now - state.refilledAt) / 1e9 * rate)
            state.refilledAt = now
        }
        guard state.buildTokens >= 1 else { return false }
        state.buildTokens -= 1
        return true
    }

    /// Only valid signatures count towards a table, so a stream of garbage under
    /// ever-new keys costs BoringSSL's verification and nothing more.
    private func countValidSignature(by key: Key) {
        state.withLock { state in
            if state.sightings.count >= limits.sightingCapacity && state.sightings[key] == nil {
                state.sightings.removeAll(keepingCapacity: true)
            }
            let seen = state.sightings[key, default: 0]
            if seen != Self.undecodable { state.sightings[key] = min(seen + 1, Self.undecodable - 1) }
        }
    }

    /// [S]B + [k](−A) with −A's table, k = SHA-512(R ‖ A ‖ M) mod L: the point
    /// whose encoding must be R (the cofactorless check). Nil when S is not
    /// below L.
    static func point(
        _ signature: UnsafeRawBufferPointer, _ message: UnsafeRawBufferPointer, _ publicKey: UnsafeRawBufferPointer,
        negatedKeyTable: FixedBaseTable
    ) -> EdwardsPoint? {
        let r = UnsafeRawBufferPointer(rebasing: signature[0..<32])
        let s = UnsafeRawBufferPointer(rebasing: signature[32..<64])
        guard Scalar.isCanonical(s) else { return nil }
        var hasher = SHA512()
        hasher.update(bufferPointer: r)
        hasher.update(bufferPointer: publicKey)
        hasher.update(bufferPointer: message)
        let k = hasher.finalize().withUnsafeBytes { Scalar.reduced(wide: $0) }
        return baseTable.doubleMultiply(FixedBaseTable.digits(littleEndianWords(s)), negatedKeyTable, FixedBaseTable.digits(k))
    }

    /// BoringSSL's answer alone, without the verifier's tables (for benchmarks).
    public static func isValidSignatureWithBoringSSL(_ signature: [UInt8], for message: [UInt8], publicKey: [UInt8]) -> Bool {
        publicKey.withUnsafeBytes { k in
            signature.withUnsafeBytes { s in message.withUnsafeBytes { verifyWithBoringSSL(s, $0, k) } }
        }
    }

    static func verifyWithBoringSSL(
        _ signature: UnsafeRawBufferPointer, _ message: UnsafeRawBufferPointer, _ publicKey: UnsafeRawBufferPointer
    ) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}
