/// An element of the field of integers modulo p = 2²⁵⁵ − 19 (RFC 8032 §5.1), in
/// radix 2⁵¹: value = l0 + l1·2⁵¹ + l2·2¹⁰² + l3·2¹⁵³ + l4·2²⁰⁴.
///
/// Invariant, kept by every operation but the `lazy…` ones: each limb is
/// below 2⁵² ("loosely reduced"). Multiplication and squaring also take limbs
/// up to 2⁵⁴ (what the lazy operations make): column sums are then at most
/// 77 products below 2¹⁰⁸, so below 2¹¹⁵. Only `canonicalBytes` reduces fully.
/// Nothing here is constant-time: verification handles public data only.
struct FieldElement: Equatable {
    var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64

    static let mask51: UInt64 = (1 << 51) - 1

    static let zero = FieldElement(l0: 0, l1: 0, l2: 0, l3: 0, l4: 0)
    static let one = FieldElement(l0: 1, l1: 0, l2: 0, l3: 0, l4: 0)

    init(l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64) {
        (self.l0, self.l1, self.l2, self.l3, self.l4) = (l0, l1, l2, l3, l4)
    }

    /// A small constant.
    init(_ value: UInt64) {
        precondition(value <= Self.mask51, "FieldElement.init: constant above 2^51")
        self.init(l0: value, l1: 0, l2: 0, l3: 0, l4: 0)
    }

    /// The element whose little-endian encoding is `bytes` (32 bytes), or nil
    /// when the 255-bit value is not below p — a non-canonical encoding. The
    /// top bit (the sign of x in a point encoding) is ignored.
    init?(canonicalBytes bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 32, "FieldElement.init(canonicalBytes:) needs 32 bytes")
        var (w0, w1, w2, w3) = littleEndianWords(bytes)
        w3 &= UInt64.max >> 1
        // p = 2²⁵⁵ − 19: words (2⁶⁴ − 19, 2⁶⁴ − 1, 2⁶⁴ − 1, 2⁶³ − 1). A value is
        // non-canonical exactly when it is at least p.
        if w3 == UInt64.max >> 1 && w2 == .max && w1 == .max && w0 >= UInt64.max - 18 { return nil }
        self.init(
            l0: w0 & Self.mask51,
            l1: (w0 >> 51 | w1 << 13) & Self.mask51,
            l2: (w1 >> 38 | w2 << 26) & Self.mask51,
            l3: (w2 >> 25 | w3 << 39) & Self.mask51,
            l4: w3 >> 12)
    }

    /// The unique encoding of the value reduced below p, little-endian.
    var canonicalBytes: Words256 {
        var r = self.carried()
        // r < 2²⁵⁵ + small; subtract p once if r ≥ p: q is 1 exactly when r + 19 ≥ 2²⁵⁵.
        var q = (r.l0 &+ 19) >> 51
        q = (r.l1 &+ q) >> 51
        q = (r.l2 &+ q) >> 51
        q = (r.l3 &+ q) >> 51
        q = (r.l4 &+ q) >> 51
        r.l0 &+= 19 &* q
        r.l1 &+= r.l0 >> 51
        r.l0 &= Self.mask51
        r.l2 &+= r.l1 >> 51
        r.l1 &= Self.mask51
        r.l3 &+= r.l2 >> 51
        r.l2 &= Self.mask51
        r.l4 &+= r.l3 >> 51
        r.l3 &= Self.mask51
        r.l4 &= Self.mask51
        return (
            r.l0 | r.l1 << 51,
            r.l1 >> 13 | r.l2 << 38,
            r.l2 >> 26 | r.l3 << 25,
            r.l3 >> 39 | r.l4 << 12
        )
    }

    var isZero: Bool {
        let (w0, w1, w2, w3) = canonicalBytes
        return w0 | w1 | w2 | w3 == 0
    }

    /// Whether the canonical value is odd: the "sign" of x in RFC 8032.
    var isNegative: Bool { canonicalBytes.0 & 1 == 1 }

    static func == (a: Self, b: Self) -> Bool { a.canonicalBytes == b.canonicalBytes }

    /// One pass of carries: every limb below 2⁵¹ except l0, below 2⁵¹ + 2¹⁸.
    @inline(__always)
    func carried() -> FieldElement {
        var r = self
        r.l1 &+= r.l0 >> 51
        r.l0 &= Self.mask51
        r.l2 &+= r.l1 >> 51
        r.l1 &= Self.mask51
        r.l3 &+= r.l2 >> 51
        r.l2 &= Self.mask51
        r.l4 &+= r.l3 >> 51
        r.l3 &= Self.mask51
        r.l0 &+= 19 &* (r.l4 >> 51)
        r.l4 &= Self.mask51
        return r
    }

    @inline(__always)
    static func + (a: Self, b: Self) -> Self { lazySum(a, b).carried() }

    /// a − b computed as a + 2p − b, so no limb goes below zero (b's limbs are
    /// below 2⁵² − 38, the smallest limb of 2p).
    @inline(__always)
    static func - (a: Self, b: Self) -> Self { lazyDifference(a, b).carried() }

    @inline(__always)
    static prefix func - (a: Self) -> Self { zero - a }

    // The three below skip the carries, for the point formulas' hot loop: their
    // results may have limbs up to 2⁵⁴, which a multiplication or squaring still
    // takes (column sums stay below 2¹¹⁵, the top carry times 19 below 2⁶⁴), but
    // which nothing else may. Each states what its inputs must be.

    /// a + b without carries; a and b loosely reduced (a multiplication's result
    /// is below 2⁵¹ + 2¹⁴), or one of them a lazy sum of two such: the result is
    /// below 2⁵⁴.
    @inline(__always)
    static func lazySum(_ a: Self, _ b: Self) -> Self {
        FieldElement(l0: a.l0 &+ b.l0, l1: a.l1 &+ b.l1, l2: a.l2 &+ b.l2, l3: a.l3 &+ b.l3, l4: a.l4 &+ b.l4)
    }

    /// a + 2p − b without carries; b loosely reduced (limbs below 2⁵² − 38),
    /// a below 2⁵³: the result is below 2⁵⁴.
    @inline(__always)
    static func lazyDifference(_ a: Self, _ b: Self) -> Self { difference(a, b, plusPTimes: 2) }

    /// a + 4p − b without carries, for a b that is itself lazy (limbs below
    /// 2⁵³ − 76, 4p's smallest); a below 2⁵³: the result is below 2⁵⁴.
    @inline(__always)
    static func lazyDifferenceOfLazy(_ a: Self, _ b: Self) -> Self { difference(a, b, plusPTimes: 4) }

    /// a + k·p − b limb by limb, without carries. In radix 2⁵¹, p's limbs are
    /// (2⁵¹ − 19, 2⁵¹ − 1, …), so k·p's are (k·2⁵¹ − 19k, k·2⁵¹ − k, …).
    @inline(__always)
    private static func difference(_ a: Self, _ b: Self, plusPTimes k: UInt64) -> Self {
        let low = k << 51 &- 19 &* k, high = k << 51 &- k
        return FieldElement(
            l0: a.l0 &+ low &- b.l0, l1: a.l1 &+ high &- b.l1, l2: a.l2 &+ high &- b.l2,
            l3: a.l3 &+ high &- b.l3, l4: a.l4 &+ high &- b.l4)
    }

    @inline(__always)
    static func * (a: Self, b: Self) -> Self {
        @inline(__always) func m(_ x: UInt64, _ y: UInt64) -> UInt128 { UInt128(x) &* UInt128(y) }
        let b1 = b.l1 &* 19, b2 = b.l2 &* 19, b3 = b.l3 &* 19, b4 = b.l4 &* 19
        let c0 = m(a.l0, b.l0) &+ m(a.l1, b4) &+ m(a.l2, b3) &+ m(a.l3, b2) &+ m(a.l4, b1)
        let c1 = m(a.l0, b.l1) &+ m(a.l1, b.l0) &+ m(a.l2, b4) &+ m(a.l3, b3) &+ m(a.l4, b2)
        let c2 = m(a.l0, b.l2) &+ m(a.l1, b.l1) &+ m(a.l2, b.l0) &+ m(a.l3, b4) &+ m(a.l4, b3)
        let c3 = m(a.l0, b.l3) &+ m(a.l1, b.l2) &+ m(a.l2, b.l1) &+ m(a.l3, b.l0) &+ m(a.l4, b4)
        let c4 = m(a.l0, b.l4) &+ m(a.l1, b.l3) &+ m(a.l2, b.l2) &+ m(a.l3, b.l1) &+ m(a.l4, b.l0)
        return reduce(c0, c1, c2, c3, c4)
    }

    @inline(__always)
    func squared() -> Self {
        @inline(__always) func m(_ x: UInt64, _ y: UInt64) -> UInt128 { UInt128(x) &* UInt128(y) }
        let d0 = l0 &* 2, d1 = l1 &* 2, d2 = l2 &* 2
        let t3 = l3 &* 19, t4 = l4 &* 19
        let c0 = m(l0, l0) &+ m(d1, t4) &+ m(d2, t3)
        let c1 = m(d0, l1) &+ m(d2, t4) &+ m(l3, t3)
        let c2 = m(d0, l2) &+ m(l1, l1) &+ m(l3 &* 2, t4)
        let c3 = m(d0, l3) &+ m(d1, l2) &+ m(l4, t4)
        let c4 = m(d0, l4) &+ m(d1, l3) &+ m(l2, l2)
        return Self.reduce(c0, c1, c2, c3, c4)
    }

    /// Carries 128-bit column sums (each below 2¹¹⁵) back into 51-bit limbs.
    @inline(__always)
    private static func reduce(_ c0: UInt128, _ c1: UInt128, _ c2: UInt128, _ c3: UInt128, _ c4: UInt128) -> Self {
        let mask = UInt128(mask51)
        let c1 = c1 &+ (c0 >> 51)
        let c2 = c2 &+ (c1 >> 51)
        let c3 = c3 &+ (c2 >> 51)
        let c4 = c4 &+ (c3 >> 51)
        // c4 holds 5 products below 2¹⁰⁸ and a carry below 2⁶⁴, so c4 < 2¹¹⁰·⁴,
        // its carry is below 2⁵⁹·⁴ and 19 times it fits in 64 bits.
        let top = UInt64(truncatingIfNeeded: c4 >> 51)
        var r = FieldElement(
            l0: UInt64(truncatingIfNeeded: c0 & mask) &+ top &* 19,
            l1: UInt64(truncatingIfNeeded: c1 & mask),
            l2: UInt64(truncatingIfNeeded: c2 & mask),
            l3: UInt64(truncatingIfNeeded: c3 & mask),
            l4: UInt64(truncatingIfNeeded: c4 & mask))
        r.l1 &+= r.l0 >> 51
        r.l0 &= mask51
        return r
    }

    /// self^(2^k).
    @inline(__always)
    func squared(times k: Int) -> Self {
        var r = self
        for _ in 0..<k { r = r.squared() }
        return r
    }

    /// The shared start of the two addition chains below: (self^(2²⁵⁰ − 1), self¹¹).
    private func pow2_250_1() -> (FieldElement, FieldElement) {
        let z2 = squared()
        let z9 = z2.squared(times: 2) * self
        let z11 = z9 * z2
        let z5 = z11.squared() * z9  // 2⁵ − 1
        let z10 = z5.squared(times: 5) * z5  // 2¹⁰ − 1
        let z20 = z10.squared(times: 10) * z10
        let z40 = z20.squared(times: 20) * z20
        let z50 = z40.squared(times: 10) * z10
        let z100 = z50.squared(times: 50) * z50
        let z200 = z100.squared(times: 100) * z100
        let z250 = z200.squared(times: 50) * z50
        return (z250, z11)
    }

    /// 1/self (0 for 0), as self^(p − 2) = self^(2²⁵⁵ − 21): 254 squarings, 11 multiplications.
    func inverted() -> Self {
        let (z250, z11) = pow2_250_1()
        return z250.squared(times: 5) * z11
    }

    /// The inverses of all `elements` (none of them zero) for one inversion and
    /// three multiplications each (Montgomery's trick).
    static func inverted(_ elements: [FieldElement]) -> [FieldElement] {
        guard !elements.isEmpty else { return [] }
        var prefix: [FieldElement] = []
        prefix.reserveCapacity(elements.count)
        var product = FieldElement.one
        for element in elements {
            prefix.append(product)
            product = product * element
        }
        var inverse = product.inverted()
        var result = elements
        for index in elements.indices.reversed() {
            result[index] = inverse * prefix[index]
            inverse = inverse * elements[index]
        }
        return result
    }

    /// self^((p − 5)/8) = self^(2²⁵² − 3), the heart of a square root modulo p.
    func pow2_252_3() -> Self {
        let (z250, _) = pow2_250_1()
        return z250.squared(times: 2) * self
    }
}
