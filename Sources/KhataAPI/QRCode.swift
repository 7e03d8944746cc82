import CZlib

/// A QR code (ISO/IEC 18004) of some bytes: byte mode, error correction level
/// M (15 % of the symbol may be damaged), the smallest version 1…40 that holds
/// them, and the mask with the lowest penalty score.
///
/// Written here because no QR package is available to this project; it is
/// checked by an independent decoder (zbar's `zbarimg`) in
/// `Tests/KhataNodeTests/PayURITests.swift`, on every version a pay URI can need.
public struct QRCode: Sendable {
    public let version: Int
    /// Modules per side: 4 × version + 17.
    public let size: Int
    /// Row-major, `true` for a dark module.
    public private(set) var modules: [Bool]
    private var isFunction: [Bool]

    public struct TooLong: Error, CustomStringConvertible {
        public let bytes: Int
        public var description: String { "\(bytes) bytes do not fit in a QR code (at most \(QRCode.capacity(version: 40)) at level M)" }
    }

    /// The most bytes a version holds in byte mode at level M.
    public static func capacity(version: Int) -> Int {
        (dataCodewords(version) * 8 - 4 - countBits(version)) / 8
    }

    public init(bytes: [UInt8]) throws(TooLong) {
        guard let version = (1...40).first(where: { QRCode.capacity(version: $0) >= bytes.count }) else { throw TooLong(bytes: bytes.count) }
        self.version = version
        size = version * 4 + 17
        modules = Array(repeating: false, count: size * size)
        isFunction = Array(repeating: false, count: size * size)
        drawFunctionPatterns()
        drawCodewords(QRCode.interleavedCodewords(QRCode.dataCodewords(of: bytes, version: version), version: version))
        var best = (mask: 0, penalty: Int.max)
        for mask in 0..<8 {
            applyMask(mask)
            drawFormatBits(mask: mask)
            let penalty = penaltyScore()
            if penalty < best.penalty { best = (mask, penalty) }
            applyMask(mask)
        }
        applyMask(best.mask)
        drawFormatBits(mask: best.mask)
    }

    public func isDark(x: Int, y: Int) -> Bool { modules[y * size + x] }

    // MARK: - Codewords

    // Per version 1…40 at level M (ISO/IEC 18004 table 9): error correction
    // codewords per block, and blocks.
    private static let eccPerBlock = [
        -1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        28, 28, 28, 28, 28, 28,
    ]
    private static let blocks = [
        -1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43,
        45, 47, 49,
    ]

    private static func countBits(_ version: Int) -> Int { version <= 9 ? 8 : 16 }

    /// Modules left for data and error correction once the function patterns are drawn.
    private static func rawDataModules(_ version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    private static func dataCodewords(_ version: Int) -> Int {
        rawDataModules(version) / 8 - eccPerBlock[version] * blocks[version]
    }

    /// The byte-mode segment, terminator and padding: exactly `dataCodewords(version)` bytes.
    private static func dataCodewords(of bytes: [UInt8], version: Int) -> [UInt8] {
        var bits: [Bool] = []
        func append(_ value: Int, _ count: Int) {
            for i in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> i) & 1 == 1) }
        }
        append(0b0100, 4)
        append(bytes.count, countBits(version))
        for byte in bytes { append(Int(byte), 8) }
        let capacity = dataCodewords(version) * 8
        append(0, min(4, capacity - bits.count))
        append(0, (8 - bits.count % 8) % 8)
        var result = stride(from: 0, to: bits.count, by: 8).map { start in
            (0..<8).reduce(UInt8(0)) { $0 << 1 | (bits[start + $1] ? 1 : 0) }
        }
        var pad: UInt8 = 0xEC
        while result.count < capacity / 8 {
            result.append(pad)
            pad ^= 0xEC ^ 0x11
        }
        return result
    }

    /// Splits the data into blocks, appends each block's Reed–Solomon codewords,
    /// and interleaves them as the symbol carries them.
    private static func interleavedCodewords(_ data: [UInt8], version: Int) -> [UInt8] {
        let count = blocks[version]
        let eccLength = eccPerBlock[version]
        let raw = rawDataModules(version) / 8
        let shortBlocks = count - raw % count
        let shortLength = raw / count
        let divisor = reedSolomonDivisor(degree: eccLength)
        var split: [[UInt8]] = []
        var start = 0
        for i in 0..<count {
            let length = shortLength - eccLength + (i < shortBlocks ? 0 : 1)
            let block = Array(data[start..<start + length])
            start += length
            // A short block gets a placeholder where the long ones have one more
            // data codeword, so that all line up; it is skipped below.
            split.append(block + (i < shortBlocks ? [0] : []) + reedSolomonRemainder(block, divisor))
        }
        var result: [UInt8] = []
        result.reserveCapacity(raw)
        for i in 0...shortLength {
            for (b, block) in split.enumerated() where i != shortLength - eccLength || b >= shortBlocks {
                result.append(block[i])
            }
        }
        return result
    }

    /// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1.
    private static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z: UInt16 = 0
        for i in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= UInt16((y >> UInt8(i)) & 1) * UInt16(x)
        }
        return UInt8(z & 0xFF)
    }

    /// The generator polynomial (x − α^0)…(x − α^(degree−1)), without its leading 1.
    private static func reedSolomonDivisor(degree: Int) -> [UInt8] {
        var result = Array(repeating: UInt8(0), count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                result[j] = multiply(result[j], root)
                if j + 1 < degree { result[j] ^= result[j + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    private static func reedSolomonRemainder(_ data: [UInt8], _ divisor: [UInt8]) -> [UInt8] {
        var result = Array(repeating: UInt8(0), count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for i in result.indices { result[i] ^= multiply(divisor[i], factor) }
        }
        return result
    }

    // MARK: - The symbol

    private mutating func set(_ x: Int, _ y: Int, _ dark: Bool) {
        modules[y * size + x] = dark
        isFunction[y * size + x] = true
    }

    private mutating func drawFunctionPatterns() {
        for i in 0..<size {
            set(6, i, i % 2 == 0)
            set(i, 6, i % 2 == 0)
        }
        for (x, y) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 where (0..<size).contains(x + dx) && (0..<size).contains(y + dy) {
                    let distance = max(abs(dx), abs(dy))
                    set(x + dx, y + dy, distance != 2 && distance != 4)
                }
            }
        }
        let positions = alignmentPositions()
        let last = positions.count - 1
        for (i, x) in positions.enumerated() {
            for (j, y) in positions.enumerated() where !(i == 0 && j == 0) && !(i == 0 && j == last) && !(i == last && j == 0) {
                for dy in -2...2 {
                    for dx in -2...2 { set(x + dx, y + dy, max(abs(dx), abs(dy)) != 1) }
                }
            }
        }
        // Reserve the format areas (drawn for real with the mask), and the version.
        drawFormatBits(mask: 0)
        if version >= 7 {
            var remainder = version
            for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
            let bits = version << 12 | remainder
            for i in 0..<18 {
                let dark = (bits >> i) & 1 == 1
                let a = size - 11 + i % 3
                let b = i / 3
                set(a, b, dark)
                set(b, a, dark)
            }
        }
    }

    /// The centres of the alignment patterns along each axis.
    private func alignmentPositions() -> [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let step = version == 32 ? 26 : (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
        var result = [6]
        for i in 0..<(count - 1) { result.insert(size - 7 - i * step, at: 1) }
        return result
    }

    private mutating func drawFormatBits(mask: Int) {
        // Level M is 00.
        let data = mask
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        let bits = (data << 10 | remainder) ^ 0x5412
        let bit = { (i: Int) in (bits >> i) & 1 == 1 }
        for i in 0...5 { set(8, i, bit(i)) }
        set(8, 7, bit(6))
        set(8, 8, bit(7))
        set(7, 8, bit(8))
        for i in 9..<15 { set(14 - i, 8, bit(i)) }
        for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
        for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
        set(8, size - 8, true)
    }

    private mutating func drawCodewords(_ data: [UInt8]) {
        var i = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vertical in 0..<size {
                for j in 0..<2 {
                    let x = right - j
                    let upward = (right + 1) & 2 == 0
                    let y = upward ? size - 1 - vertical : vertical
                    if !isFunction[y * size + x] && i < data.count * 8 {
                        modules[y * size + x] = (data[i >> 3] >> (7 - UInt8(i & 7))) & 1 == 1
                        i += 1
                    }
                }
            }
            right -= 2
        }
    }

    /// XORs the mask pattern onto the data modules (applying it twice undoes it).
    private mutating func applyMask(_ mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y * size + x] {
                let invert: Bool =
                    switch mask {
                    case 0: (x + y) % 2 == 0
                    case 1: y % 2 == 0
                    case 2: x % 3 == 0
                    case 3: (x + y) % 3 == 0
                    case 4: (x / 3 + y / 2) % 2 == 0
                    case 5: x * y % 2 + x * y % 3 == 0
                    case 6: (x * y % 2 + x * y % 3) % 2 == 0
                    default: ((x + y) % 2 + x * y % 3) % 2 == 0
                    }
                if invert { modules[y * size + x].toggle() }
            }
        }
    }

    /// The standard's penalty: runs of five or more, 2×2 blocks, finder-like
    /// patterns, and imbalance of dark and light.
    private func penaltyScore() -> Int {
        var score = 0
        let finderLike: [Bool] = [true, false, true, true, true, false, true]
        for line in 0..<size {
            for horizontal in [true, false] {
                let at = { (i: Int) in horizontal ? self.isDark(x: i, y: line) : self.isDark(x: line, y: i) }
                var run = 1
                for i in 1..<size {
                    if at(i) == at(i - 1) {
                        run += 1
                        if run == 5 { score += 3 } else if run > 5 { score += 1 }
                    } else {
                        run = 1
                    }
                }
                // 1:1:3:1:1 with four light modules (or the edge) on one side.
                for i in 0...(size - 7) where (0..<7).allSatisfy({ at(i + $0) == finderLike[$0] }) {
                    let lightBefore = (1...4).allSatisfy { i - $0 < 0 || !at(i - $0) }
                    let lightAfter = (0..<4).allSatisfy { i + 7 + $0 >= size || !at(i + 7 + $0) }
                    if lightBefore || lightAfter { score += 40 }
                }
            }
        }
        for y in 0..<(size - 1) {
            for x in 0..<(size - 1) {
                let colour = isDark(x: x, y: y)
                if colour == isDark(x: x + 1, y: y) && colour == isDark(x: x, y: y + 1) && colour == isDark(x: x + 1, y: y + 1) { score += 3 }
            }
        }
        let dark = modules.lazy.filter { $0 }.count
        let total = size * size
        score += ((abs(dark * 20 - total * 10) + total - 1) / total - 1) * 10
        return score
    }

    // MARK: - Images

    /// An SVG drawing: one path of the dark modules, `border` light modules around.
    public func svg(border: Int = 4) -> String {
        let side = size + 2 * border
        var path = ""
        for y in 0..<size {
            for x in 0..<size where isDark(x: x, y: y) { path += "M\(x + border),\(y + border)h1v1h-1z" }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="100%" height="100%" fill="#fff"/><path d="\(path)" fill="#000"/></svg>
            """
    }

    /// A 1-bit greyscale PNG, `scale` pixels a module, `border` light modules around.
    public func png(scale: Int = 8, border: Int = 4) -> [UInt8] {
        let side = (size + 2 * border) * scale
        let rowBytes = (side + 7) / 8
        var raw = [UInt8]()
        raw.reserveCapacity((rowBytes + 1) * side)
        for py in 0..<side {
            raw.append(0)  // filter: none
            var row = Array(repeating: UInt8(0xFF), count: rowBytes)
            let y = py / scale - border
            if (0..<size).contains(y) {
                for px in 0..<side {
                    let x = px / scale - border
                    if (0..<size).contains(x) && isDark(x: x, y: y) { row[px / 8] &= ~(0x80 >> UInt8(px % 8)) }
                }
            }
            raw += row
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            let body = Array(type.utf8) + data
            png += bigEndian(UInt32(data.count)) + body
            png += bigEndian(UInt32(body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }))
        }
        chunk("IHDR", bigEndian(UInt32(side)) + bigEndian(UInt32(side)) + [1, 0, 0, 0, 0])
        chunk("IDAT", QRCode.zlibCompressed(raw))
        chunk("IEND", [])
        return png
    }

    private func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private static func zlibCompressed(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { compress2(out.baseAddress, &length, $0.baseAddress, uLong($0.count), 9) }
        }
        precondition(status == Z_OK, "zlib compress2 failed: \(status)")
        return Array(output.prefix(Int(length)))
    }
}
