/// The multiples j·2²ʷⁱ·P of one point P, for i below `positions` and j in
/// 1…2ʷ⁻¹, w = `windowBits`, in affine Niels form: with them, [k]P for any k
/// below 2²⁵⁵ costs one mixed addition per signed radix-2ʷ digit of k (43 for
/// w = 6) and w doublings, and no table-building at verification time.
///
/// ref10 does this with w = 4 (256 points); w = 6 takes a third fewer
/// additions for 704 points × 120 bytes = 83 KiB. Building one costs about as
/// much as ten Ed25519 verifications (264 doublings, 704 additions, one batched
/// inversion).
final class FixedBaseTable: Sendable {
    static let windowBits = 6
    static let digitCount = Scalar.digitCount(bits: windowBits)
    /// Table positions: odd and even digits share one (the odd ones are walked
    /// first and the sum multiplied by 2ʷ).
    static let positions = (digitCount + 1) / 2
    static let multiples = 1 << (windowBits - 1)
    static let pointCount = positions * multiples

    let points: [NielsPoint]

    init(_ point: EdwardsPoint) {
        var projective: [EdwardsPoint] = []
        projective.reserveCapacity(Self.pointCount)
        var base = point
        for _ in 0..<Self.positions {
            var multiple = base
            projective.append(multiple)
            for _ in 1..<Self.multiples {
                multiple = multiple.adding(base)
                projective.append(multiple)
            }
            // 2²ʷ·base = 2^(w + 1) · (2ʷ⁻¹·base).
            base = multiple
            for _ in 0...Self.windowBits { base = base.doubled() }
        }
        points = Self.affine(projective).map(NielsPoint.init(affine:))
    }

    /// The signed digits of a scalar (four little-endian words, below 2²⁵⁵) as this table walks them.
    static func digits(_ words: Words256) -> SignedDigits {
        Scalar.signedDigits(words, bits: windowBits)
    }

    /// The points with Z = 1, using one field inversion for all.
    private static func affine(_ points: [EdwardsPoint]) -> [EdwardsPoint] {
        zip(points, FieldElement.inverted(points.map(\.z))).map { point, zInverse in
            let x = point.x * zInverse, y = point.y * zInverse
            return EdwardsPoint(x: x, y: y, z: .one, t: x * y)
        }
    }

    /// acc + digit·(the table's point at `position`), for a signed digit.
    @inline(__always)
    static func add(
        _ digit: Int8, at position: Int, of table: UnsafeBufferPointer<NielsPoint>, to acc: EdwardsPoint
    ) -> EdwardsPoint {
        if digit > 0 { return acc.adding(table[position &* multiples &+ Int(digit) &- 1]) }
        if digit < 0 { return acc.subtracting(table[position &* multiples &- Int(digit) &- 1]) }
        return acc
    }

    /// [a]·P + [b]·Q for this table's P and `other`'s Q, given a and b as
    /// `digits(_:)`: odd digits first, ×2ʷ, then even digits (ref10's order for
    /// fixed-base multiplication, run for two scalars at once).
    func doubleMultiply(_ a: SignedDigits, _ other: FixedBaseTable, _ b: SignedDigits) -> EdwardsPoint {
        points.withUnsafeBufferPointer { p in
            other.points.withUnsafeBufferPointer { q in
                a.withDigits { ad in
                    b.withDigits { bd in
                        var acc = EdwardsPoint.identity
                        for i in stride(from: 1, to: Self.digitCount, by: 2) {
                            acc = Self.add(ad[i], at: i >> 1, of: p, to: acc)
                            acc = Self.add(bd[i], at: i >> 1, of: q, to: acc)
                        }
                        for _ in 0..<Self.windowBits { acc = acc.doubled() }
                        for i in stride(from: 0, to: Self.digitCount, by: 2) {
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
