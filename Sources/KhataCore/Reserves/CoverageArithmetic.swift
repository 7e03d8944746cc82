/// The integer arithmetic of coverage (docs/RESERVES.md, "Arithmetic").
///
/// No floating point anywhere. Every division rounds down, and the only values
/// divided are reserve values, so rounding can only make the reserves look
/// smaller: it never rounds in the issuer's favour. The coverage test itself
/// compares two exact products and does not divide at all.
public enum CoverageArithmetic {
    /// The value in the currency's minor units of `amount` minor units of a
    /// reserve asset with `scale` digits, at `price` currency minor units per
    /// whole unit, after a haircut of `haircutBasisPoints`:
    ///
    ///     floor(amount × price × (10,000 − haircut) / (10^scale × 10,000))
    ///
    /// computed exactly (the product may need up to 142 bits) with one rounding.
    public static func haircutValue(amount: UInt64, price: UInt64, scale: UInt8, haircutBasisPoints: UInt16) -> UInt128 {
        precondition(haircutBasisPoints <= 10_000, "CoverageArithmetic.haircutValue: haircut \(haircutBasisPoints)")
        precondition(scale <= Limits.maxAssetScale, "CoverageArithmetic.haircutValue: scale \(scale)")
        // amount × price < 2^128: exact in 128 bits.
        let gross = UInt128(amount) * UInt128(price)
        let kept = UInt128(10_000 - haircutBasisPoints)
        var divisor: UInt128 = 10_000
        for _ in 0..<scale { divisor *= 10 }
        // gross × kept < 2^128 × 10^4, so the high half is below 10^4 ≤ divisor,
        // which is what dividingFullWidth requires for the quotient to fit.
        let product = gross.multipliedFullWidth(by: kept)
        return divisor.dividingFullWidth(product).quotient
    }

    /// Whether `reserveValue` covers `supply` at `requiredBasisPoints`:
    /// reserveValue × 10,000 ≥ supply × required, compared exactly.
    public static func isCovered(reserveValue: UInt128, supply: UInt64, requiredBasisPoints: UInt32) -> Bool {
        let needed = UInt128(supply) * UInt128(requiredBasisPoints)  // < 2^96
        let held = reserveValue.multipliedFullWidth(by: 10_000)
        return held.high > 0 || held.low >= needed
    }

    /// Coverage in basis points, floor(reserveValue × 10,000 / supply), saturated
    /// at `UInt64.max`; nil when nothing is in circulation.
    public static func coverageBasisPoints(reserveValue: UInt128, supply: UInt64) -> UInt64? {
        guard supply > 0 else { return nil }
        let held = reserveValue.multipliedFullWidth(by: 10_000)
        let divisor = UInt128(supply)
        guard held.high < divisor else { return UInt64.max }
        let quotient = divisor.dividingFullWidth(held).quotient
        return quotient > UInt128(UInt64.max) ? UInt64.max : UInt64(quotient)
    }

    /// The lower median of `prices`: for an even count the smaller of the two
    /// middle values, so that one high outlier cannot raise the price relied on.
    public static func lowerMedian(_ prices: [UInt64]) -> UInt64? {
        guard !prices.isEmpty else { return nil }
        let sorted = prices.sorted()
        return sorted[(sorted.count - 1) / 2]
    }

    /// `a + b`, or `UInt128.max` if that overflows: saturating low undercounts
    /// reserves, which is the safe side.
    public static func saturatingAdd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
