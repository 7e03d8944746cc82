/// The multiples (j + 1)·256ⁱ·P of one point P, i in 0..<32, j in 0..<8, in
/// affine Niels form: with them, [k]P for any k below 2²⁵⁵ costs 64 mixed
/// additions and 4 doublings, and no table-building at verification time.
///
/// 256 points × 120 bytes = 30 KiB. Building one costs about as much as five
/// Ed25519 verifications (251 doublings, 224 additions, one batched inversion).
final class FixedBaseTable: Sendable {
    static let pointCount = 32 * 8
    let points: [NielsPoint]

    init(_ point: EdwardsPoint) {
        var projective: [EdwardsPoint] = []
        projective.reserveCapacity(Self.pointCount)
        var base = point
        for _ in 0..<32 {
            var multiple = base
            projective.append(multiple)
            for _ in 1..<8 {
                multiple = multiple.adding(base)
                projective.append(multiple)
            }
            // 256·base = 32·(8·base).
            base = multiple
            for _ in 0..<5 { base = base.doubled() }
        }
        points = Self.affine(projective).map(NielsPoint.init(affine:))
    }

    /// The points with Z = 1, using one field inversion for all (Montgomery's trick).
    private static func affine(_ points: [EdwardsPoint]) -> [EdwardsPoint] {
        var prefix: [FieldElement] = []
        prefix.reserveCapacity(points.count)
        var product = FieldElement.one
        for point in points {
            prefix.append(product)
            product = product * point.z
        }
        var inverse = product.inverted()
        var result = points
        for index in points.indices.reversed() {
            let zInverse = inverse * prefix[index]
            inverse = inverse * points[index].z
            let x = points[index].x * zInverse, y = points[index].y * zInverse
            result[index] = EdwardsPoint(x: x, y: y, z: .one, t: x * y)
        }
        return result
    }

    /// acc + [digit]·256^(position)·P·(16 when the caller doubles afterwards),
    /// for a signed digit in −8…8.
    @inline(__always)
    static func add(
        _ digit: Int8, at position: Int, of table: UnsafeBufferPointer<NielsPoint>, to acc: EdwardsPoint
    ) -> EdwardsPoint {
        if digit > 0 { return acc.adding(table[position &* 8 &+ Int(digit) &- 1]) }
        if digit < 0 { return acc.subtracting(table[position &* 8 &- Int(digit) &- 1]) }
        return acc
    }

    /// [a]·P + [b]·Q for this table's P and `other`'s Q, given a and b as
    /// signed radix-16 digits: odd digits first, ×16, then even digits (ref10's
    /// order for fixed-base multiplication, run for two scalars at once).
    func doubleMultiply(_ a: SignedDigits, _ other: FixedBaseTable, _ b: SignedDigits) -> EdwardsPoint {
        points.withUnsafeBufferPointer { p in
            other.points.withUnsafeBufferPointer { q in
                a.withDigits { ad in
                    b.withDigits { bd in
                        var acc = EdwardsPoint.identity
                        for i in stride(from: 1, to: 64, by: 2) {
                            acc = Self.add(ad[i], at: i >> 1, of: p, to: acc)
                            acc = Self.add(bd[i], at: i >> 1, of: q, to: acc)
                        }
                        for _ in 0..<4 { acc = acc.doubled() }
                        for i in stride(from: 0, to: 64, by: 2) {
                            acc = Self.add(ad[i], at: i >> 1, of: p, to: acc)
                            acc = Self.add(bd[i], at: i >> 1, of: q, to: acc)
                        }
                        return acc
                    }
                }
            }
        }
    }
}
