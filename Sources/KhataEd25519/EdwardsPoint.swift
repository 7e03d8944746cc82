/// A point of edwards25519, −x² + y² = 1 + d·x²·y² over GF(2²⁵⁵ − 19), in
/// extended coordinates (X : Y : Z : T) with x = X/Z, y = Y/Z, x·y = T/Z
/// (Hisil, Wong, Carter, Dawson 2008). The formulas are those of RFC 8032 and
/// ref10; nothing here is constant-time (verification handles public data).
struct EdwardsPoint {
    var x: FieldElement, y: FieldElement, z: FieldElement, t: FieldElement

    static let identity = EdwardsPoint(x: .zero, y: .one, z: .one, t: .zero)

    /// d = −121665/121666.
    static let d: FieldElement = -(FieldElement(121_665) * FieldElement(121_666).inverted())
    static let d2: FieldElement = d + d
    /// √−1 = 2^((p − 1)/4).
    static let sqrtMinusOne: FieldElement = {
        // (p − 1)/4 = 2²⁵³ − 5 = (2²⁵² − 3)·2 + 1.
        let two = FieldElement(2)
        return two.pow2_252_3().squared() * two
    }()

    /// The base point B of RFC 8032: y = 4/5, x positive (even).
    static let base: EdwardsPoint = {
        let y = FieldElement(4) * FieldElement(5).inverted()
        guard let point = EdwardsPoint(y: y, xIsNegative: false) else {
            preconditionFailure("EdwardsPoint.base: 4/5 is not the y of a curve point")
        }
        return point
    }()

    /// Decodes a 32-byte point encoding (RFC 8032 §5.1.3), or nil when y is
    /// not below p, no x fits y, or x = 0 with the sign bit set. (Stricter than
    /// some decoders on the last two; callers that must match another decoder
    /// exactly treat nil as "ask that decoder".)
    init?(encoding bytes: UnsafeRawBufferPointer) {
        guard let y = FieldElement(canonicalBytes: bytes) else { return nil }
        self.init(y: y, xIsNegative: bytes[31] >> 7 == 1)
    }

    init?(y: FieldElement, xIsNegative: Bool) {
        // x² = (y² − 1)/(d·y² + 1) = u/v; x = u·v³·(u·v⁷)^((p − 5)/8), then fixed by √−1.
        let yy = y.squared()
        let u = yy - .one
        let v = EdwardsPoint.d * yy + .one
        let v3 = v.squared() * v
        var x = u * v3 * (u * v3.squared() * v).pow2_252_3()
        let vxx = v * x.squared()
        if vxx == u {
            // x is a square root already.
        } else if vxx == -u {
            x = x * EdwardsPoint.sqrtMinusOne
        } else {
            return nil
        }
        if x.isZero && xIsNegative { return nil }
        if x.isNegative != xIsNegative { x = -x }
        self.init(x: x, y: y, z: .one, t: x * y)
    }

    init(x: FieldElement, y: FieldElement, z: FieldElement, t: FieldElement) {
        (self.x, self.y, self.z, self.t) = (x, y, z, t)
    }

    /// The 32-byte encoding: y, with the sign of x in the top bit (as words).
    var encoding: Words256 { encoding(zInverse: z.inverted()) }

    /// The encoding, given 1/Z (computed for many points at once by the caller).
    func encoding(zInverse: FieldElement) -> Words256 {
        let (w0, w1, w2, w3) = (y * zInverse).canonicalBytes
        let sign: UInt64 = (x * zInverse).isNegative ? 1 << 63 : 0
        return (w0, w1, w2, w3 | sign)
    }

    var negated: EdwardsPoint { EdwardsPoint(x: -x, y: y, z: z, t: -t) }

    /// 2·self (dbl-2008-hwcd, 4 squarings and 4 multiplications). Sums and
    /// differences skip their carries: each feeds only a multiplication
    /// (FieldElement's lazy operations state the bounds).
    @inline(__always)
    func doubled() -> EdwardsPoint {
        typealias F = FieldElement
        let xx = x.squared(), yy = y.squared(), zz = z.squared()
        let zz2 = F.lazySum(zz, zz)  // < 2⁵³
        let sum = F.lazySum(yy, xx)  // < 2⁵³ − 76
        let difference = F.lazyDifference(yy, xx)  // < 2⁵³ − 76
        let e = F.lazyDifferenceOfLazy(F.lazySum(x, y).squared(), sum)
        let f = F.lazyDifferenceOfLazy(zz2, difference)
        return EdwardsPoint(completedX: e, y: sum, z: difference, t: f)
    }

    /// self + q for a point q in affine Niels form (7 multiplications).
    @inline(__always)
    func adding(_ q: NielsPoint) -> EdwardsPoint { mixedAdd(q, negated: false) }

    /// self − q for a point q in affine Niels form. −q is (y − x, y + x, −2dxy):
    /// the first two swap and the third changes sign, which moves c from Z to T.
    @inline(__always)
    func subtracting(_ q: NielsPoint) -> EdwardsPoint { mixedAdd(q, negated: true) }

    /// madd-2008-hwcd-3, with lazy sums and differences as in `doubled`.
    @inline(__always)
    private func mixedAdd(_ q: NielsPoint, negated: Bool) -> EdwardsPoint {
        typealias F = FieldElement
        let a = F.lazySum(y, x) * (negated ? q.yMinusX : q.yPlusX)
        let b = F.lazyDifference(y, x) * (negated ? q.yPlusX : q.yMinusX)
        let c = t * q.xy2d, zz = F.lazySum(z, z)
        let zPlusC = F.lazySum(zz, c), zMinusC = F.lazyDifference(zz, c)
        return EdwardsPoint(
            completedX: F.lazyDifference(a, b), y: F.lazySum(a, b), z: negated ? zMinusC : zPlusC, t: negated ? zPlusC : zMinusC)
    }

    /// self + q for any q (add-2008-hwcd-3, 9 multiplications); used to build tables.
    func adding(_ q: EdwardsPoint) -> EdwardsPoint {
        let a = (y - x) * (q.y - q.x), b = (y + x) * (q.y + q.x)
        let c = t * EdwardsPoint.d2 * q.t, zz = z * q.z
        let dd = zz + zz
        return EdwardsPoint(completedX: b - a, y: b + a, z: dd + c, t: dd - c)
    }

    /// From the "completed" coordinates ((X : Z), (Y : T)) the formulas above end in.
    @inline(__always)
    private init(completedX cx: FieldElement, y cy: FieldElement, z cz: FieldElement, t ct: FieldElement) {
        self.init(x: cx * ct, y: cy * cz, z: cz * ct, t: cx * cy)
    }
}

/// An affine point as (y + x, y − x, 2·d·x·y): what a precomputed table holds,
/// so that adding it costs 7 multiplications instead of 9.
struct NielsPoint {
    var yPlusX: FieldElement, yMinusX: FieldElement, xy2d: FieldElement

    /// The Niels form of `point`, whose Z must already be 1.
    init(affine point: EdwardsPoint) {
        yPlusX = point.y + point.x
        yMinusX = point.y - point.x
        xy2d = point.x * point.y * EdwardsPoint.d2
    }
}
