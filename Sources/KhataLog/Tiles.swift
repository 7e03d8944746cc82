import KhataBytes

/// The C2SP tlog-tiles layout (c2sp.org/tlog-tiles@v0.1.0): tile paths, partial
/// tile widths, and entry bundles.
public enum Tiles {
    /// Hashes in a full tile, and entries in a full bundle.
    public static let width = 256

    /// A tile's path below the log prefix: `tile/<L>/<N>[.p/<W>]`, or for entry
    /// bundles (`level` nil) `tile/entries/<N>[.p/<W>]`. `width` 256 means full.
    public static func path(level: Int?, index: UInt64, width: Int = Tiles.width) -> String {
        precondition((1...Tiles.width).contains(width), "Tiles.path: width \(width)")
        let head = level.map { "tile/\($0)/" } ?? "tile/entries/"
        return head + encodeIndex(index) + (width == Tiles.width ? "" : ".p/\(width)")
    }

    /// N as zero-padded three-digit elements, all but the last prefixed with `x`
    /// (1234067 → `x001/x234/067`).
    public static func encodeIndex(_ index: UInt64) -> String {
        var groups: [String] = []
        var n = index
        repeat {
            let group = String(n % 1_000)
            groups.append(String(repeating: "0", count: 3 - group.count) + group)
            n /= 1_000
        } while n > 0
        return groups.reversed().enumerated().map { $0.offset < groups.count - 1 ? "x" + $0.element : $0.element }.joined(separator: "/")
    }

    /// Parses a path made by `path(level:index:width:)`; nil if it is not one.
    public static func parse(_ path: String) -> (level: Int?, index: UInt64, width: Int)? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)[...]
        guard parts.popFirst() == "tile", let levelPart = parts.popFirst() else { return nil }
        let level: Int?
        if levelPart == "entries" {
            level = nil
        } else {
            guard let value = Int(levelPart), (0...63).contains(value), String(value) == levelPart else { return nil }
            level = value
        }
        var width = Tiles.width
        if parts.count >= 2, parts[parts.endIndex - 2].hasSuffix(".p") {
            guard let w = Int(parts.last!), (1..<Tiles.width).contains(w), String(w) == parts.last! else { return nil }
            width = w
            parts = parts.dropLast()
            parts[parts.endIndex - 1] = parts.last!.dropLast(2)
        }
        guard !parts.isEmpty, parts.count <= 7 else { return nil }
        // One path per tile: a leading `x000` group would name the same tile as
        // the path without it (found by fuzzing: `tile/0/x000/234`).
        guard parts.count == 1 || parts.first != "x000" else { return nil }
        var index: UInt64 = 0
        for (i, part) in parts.enumerated() {
            let digits = i < parts.count - 1 ? (part.hasPrefix("x") ? part.dropFirst() : "") : part
            guard digits.count == 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt64(digits) else { return nil }
            let (product, overflow) = index.multipliedReportingOverflow(by: 1_000)
            let (sum, overflowSum) = product.addingReportingOverflow(value)
            guard !overflow, !overflowSum else { return nil }
            index = sum
        }
        return (level, index, width)
    }

    /// The positions (leaves, or hashes at the tile's level) that tile `index` of
    /// `width` covers: index·256 ..< index·256 + width. Nil when that does not
    /// fit in 64 bits: a parsed path can name tile 10^21 − 1, far past any log.
    public static func span(index: UInt64, width: Int) -> Range<UInt64>? {
        guard (1...Tiles.width).contains(width) else { return nil }
        let (start, overflow) = index.multipliedReportingOverflow(by: UInt64(Tiles.width))
        guard !overflow else { return nil }
        let (end, overflowEnd) = start.addingReportingOverflow(UInt64(width))
        guard !overflowEnd else { return nil }
        return start..<end
    }

    /// The tiles (level, index, width) a client needs for a tree of `size`:
    /// every full tile and the partial tile at each level, lowest level first.
    public static func tiles(forSize size: UInt64) -> [(level: Int, index: UInt64, width: Int)] {
        var result: [(Int, UInt64, Int)] = []
        var level = 0
        var count = size
        while count > 0 {
            for index in 0..<(count / UInt64(width)) { result.append((level, index, width)) }
            let partial = Int(count % UInt64(width))
            if partial > 0 { result.append((level, count / UInt64(width), partial)) }
            count /= UInt64(width)
            level += 1
        }
        return result
    }

    /// An entry bundle: each entry prefixed with its length as a big-endian u16.
    public static func bundle(_ entries: [[UInt8]]) -> [UInt8] {
        var writer = ByteWriter(capacity: entries.reduce(0) { $0 + 2 + $1.count })
        for entry in entries {
            precondition(entry.count <= Int(UInt16.max), "Tiles.bundle: entry of \(entry.count) bytes")
            writer.write(UInt16(entry.count))
            writer.write(bytes: entry)
        }
        return writer.bytes
    }

    /// Splits an entry bundle; refuses trailing or truncated bytes and more than 256 entries.
    public static func entries(inBundle bytes: [UInt8]) throws(MalformedInput) -> [[UInt8]] {
        var reader = ByteReader(bytes)
        var entries: [[UInt8]] = []
        while !reader.isAtEnd {
            guard entries.count < width else { throw MalformedInput(.limitExceeded, "an entry bundle holds at most \(width) entries") }
            let length = Int(try reader.readUInt16("entry length"))
            entries.append(Array(try reader.readBytes(length, "bundled entry")))
        }
        return entries
    }

    /// A hash tile's bytes: its hashes concatenated.
    public static func encode(_ hashes: [Digest32]) -> [UInt8] { hashes.flatMap(\.bytes) }

    public static func decodeHashes(_ bytes: [UInt8]) throws(MalformedInput) -> [Digest32] {
        guard bytes.count % 32 == 0, bytes.count / 32 <= width else {
            throw MalformedInput(.invalidValue, "a hash tile is 1 to 256 hashes of 32 bytes, got \(bytes.count) bytes")
        }
        return stride(from: 0, to: bytes.count, by: 32).map { Digest32(bytes: bytes[$0..<($0 + 32)])! }
    }
}
