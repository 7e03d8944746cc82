/// Integers modulo the group order L = 2²⁵² + 27742317777372353535851937790883648493
/// (RFC 8032 §5.1), and the signed digits a fixed-base multiplication walks.
/// Variable-time: verification handles public data only.
enum Scalar {
    /// L's little-endian 64-bit words.
    static let order: Words256 = (
        0x5812_631a_5cf5_d3ed, 0x14de_f9de_a2f7_9cd6, 0, 0x1000_0000_0000_0000
    )

    /// Whether the 32 little-endian bytes are a canonical scalar, below L
    /// (RFC 8032 §5.1.7 requires it of a signature's S).
    static func isCanonical(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let s = littleEndianWords(bytes)
        return (s.3, s.2, s.1, s.0) < (order.3, order.2, order.1, order.0)
    }

    /// `bytes` (64, little-endian — a SHA-512 digest) reduced modulo L, as four
    /// little-endian words. Horner's rule over 32-bit chunks: r ← r·2³² + chunk,
    /// then, with q = r >> 252, r ← (r mod 2²⁵²) − q·c (+ L if that went below
    /// zero), where c = L − 2²⁵². Since q·c < 2¹⁵⁸ < L, one addition suffices.
    static func reduced(wide bytes: UnsafeRawBufferPointer) -> Words256 {
        precondition(bytes.count == 64, "Scalar.reduced(wide:) needs 64 bytes")
        var r: Words256 = (0, 0, 0, 0)
        for chunk in stride(from: 15, through: 0, by: -1) {
            let next = UInt64(bytes.loadUnaligned(fromByteOffset: chunk * 4, as: UInt32.self).littleEndian)
            // t = r·2³² + next, five words (r < 2²⁵³, so t < 2²⁸⁵).
            let t4 = r.3 >> 32
            let t3 = r.3 << 32 | r.2 >> 32
            let t2 = r.2 << 32 | r.1 >> 32
            let t1 = r.1 << 32 | r.0 >> 32
            let t0 = r.0 << 32 | next
            let q = t4 << 4 | t3 >> 60  // t >> 252, below 2³³
            // q·c, three words.
            let (h0, p0) = q.multipliedFullWidth(by: order.0)
            let (h1, p1) = q.multipliedFullWidth(by: order.1)
            let (m1, carry1) = p1.addingReportingOverflow(h0)
            let m2 = h1 &+ (carry1 ? 1 : 0)
            // (t mod 2²⁵²) − q·c
            let (s0, b0) = t0.subtractingReportingOverflow(p0)
            let (s1a, b1a) = t1.subtractingReportingOverflow(m1)
            let (s1, b1b) = s1a.subtractingReportingOverflow(b0 ? 1 : 0)
            let (s2a, b2a) = t2.subtractingReportingOverflow(m2)
            let (s2, b2b) = s2a.subtractingReportingOverflow((b1a || b1b) ? 1 : 0)
            let (s3, b3) = (t3 & (1 << 60 - 1)).subtractingReportingOverflow((b2a || b2b) ? 1 : 0)
            r = (s0, s1, s2, s3)
            if b3 { r = add(r, order) }
        }
        return r
    }

    /// a + b modulo 2²⁵⁶.
    private static func add(_ a: Words256, _ b: Words256) -> Words256 {
        let (s0, c0) = a.0.addingReportingOverflow(b.0)
        let (s1a, c1a) = a.1.addingReportingOverflow(b.1)
        let (s1, c1b) = s1a.addingReportingOverflow(c0 ? 1 : 0)
        let (s2a, c2a) = a.2.addingReportingOverflow(b.2)
        let (s2, c2b) = s2a.addingReportingOverflow((c1a || c1b) ? 1 : 0)
        let s3 = a.3 &+ b.3 &+ ((c2a || c2b) ? 1 : 0)
        return (s0, s1, s2, s3)
    }

    /// The signed radix-2ʷ digits e₀…eₙ₋₁ of a scalar (four little-endian
    /// words, below 2²⁵⁵), w = `bits` (4 to 7), n = `digitCount(bits:)`: each
    /// digit in −2ʷ⁻¹…2ʷ⁻¹, and Σ eᵢ·2ʷⁱ equal to the scalar.
    static func signedDigits(_ words: Words256, bits: Int) -> SignedDigits {
        precondition((4...7).contains(bits), "Scalar.signedDigits: window of 4 to 7 bits (at most 64 digits)")
        let count = digitCount(bits: bits)
        let half = Int16(1) << (bits - 1)
        var digits = SignedDigits()
        withUnsafeMutableBytes(of: &digits.storage) { out in
            var carry: Int16 = 0
            for i in 0..<count {
                var digit = Int16(window(words, at: i * bits, bits: bits)) + carry
                if i < count - 1 {
                    // The top digit keeps its carry: below 2²⁵⁵ it stays small.
                    carry = (digit + half) >> bits
                    digit -= carry << bits
                }
                out[i] = UInt8(bitPattern: Int8(digit))
            }
        }
        return digits
    }

    /// Digits of `bits` bits that cover 255 bits and the carry out of the last.
    static func digitCount(bits: Int) -> Int { (255 + bits - 1) / bits + (255 % bits == 0 ? 1 : 0) }

    /// The `bits` bits of the scalar from bit `offset` (zero past bit 255).
    @inline(__always)
    private static func window(_ words: Words256, at offset: Int, bits: Int) -> UInt64 {
        func word(_ i: Int) -> UInt64 { i == 0 ? words.0 : i == 1 ? words.1 : i == 2 ? words.2 : i == 3 ? words.3 : 0 }
        let index = offset >> 6, shift = offset & 63
        var value = word(index) >> UInt64(shift)
        if shift + bits > 64 { value |= word(index + 1) << UInt64(64 - shift) }
        return value & ((1 << UInt64(bits)) - 1)
    }
}

/// 64 signed digits, held inline (no allocation per verification).
struct SignedDigits {
    var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    @inline(__always)
    func withDigits<R>(_ body: (UnsafeBufferPointer<Int8>) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.bindMemory(to: Int8.self)) }
    }
}
