import Foundation
import KhataBytes
import KhataCore
import KhataLog

/// A log as an auditor sees it: a signed checkpoint, hash tiles and entry bundles
/// in the C2SP tlog-tiles layout. Served by a ledger directory's journal, by an
/// exported directory of files, or (later) over HTTP.
public protocol LogSource {
    /// What the source is, for messages.
    var name: String { get }
    /// The latest signed checkpoint note, verbatim.
    func checkpointNote() throws -> String
    /// The hashes of tile (level, index) with `width` hashes (256: a full tile).
    func tile(level: Int, index: UInt64, width: Int) throws -> [Digest32]
    /// The entries of bundle `index` with `width` entries.
    func bundle(index: UInt64, width: Int) throws -> [[UInt8]]
}

/// An error reading a log source: a missing or malformed file or row.
public struct LogSourceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A log exported by `khata log export` (or mirrored by any static web server).
public struct DirectoryLogSource: LogSource {
    public let path: String
    public init(path: String) { self.path = path }

    public var name: String { path }

    private func read(_ relative: String, limit: Int) throws -> [UInt8] {
        let url = URL(fileURLWithPath: "\(path)/\(relative)")
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw LogSourceError("\(path)/\(relative) is missing") }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else { throw LogSourceError("\(path)/\(relative) is larger than \(limit) bytes") }
        return Array(data)
    }

    public func checkpointNote() throws -> String {
        String(decoding: try read("checkpoint", limit: NoteLimits.maxNoteBytes), as: UTF8.self)
    }

    public func tile(level: Int, index: UInt64, width: Int) throws -> [Digest32] {
        let relative = Tiles.path(level: level, index: index, width: width)
        let hashes = try Tiles.decodeHashes(try read(relative, limit: Tiles.width * 32))
        guard hashes.count == width else { throw LogSourceError("\(relative) holds \(hashes.count) hashes, not \(width)") }
        return hashes
    }

    public func bundle(index: UInt64, width: Int) throws -> [[UInt8]] {
        let relative = Tiles.path(level: nil, index: index, width: width)
        let entries = try Tiles.entries(inBundle: try read(relative, limit: Tiles.width * (2 + Limits.maxEntryBytes)))
        guard entries.count == width else { throw LogSourceError("\(relative) holds \(entries.count) entries, not \(width)") }
        return entries
    }
}

/// Serves the hashes of a tree of `size` leaves from a source's tiles, for proofs
/// and roots. Tiles read are kept, so each is fetched once.
public final class TileHashReader: TreeHashReader {
    let source: any LogSource
    let size: UInt64
    private var cache: [String: [Digest32]] = [:]

    public init(source: any LogSource, size: UInt64) {
        self.source = source
        self.size = size
    }

    /// The tile at (level, index) as served for this tree size.
    public func tile(level: Int, index: UInt64) throws -> [Digest32] {
        let key = "\(level)/\(index)"
        if let cached = cache[key] { return cached }
        let levelSize = size >> UInt64(8 * level)
        let full = levelSize / UInt64(Tiles.width)
        guard index <= full else { throw TreeError.missingHash(level: level, index: index * UInt64(Tiles.width)) }
        let width = index < full ? Tiles.width : Int(levelSize % UInt64(Tiles.width))
        guard width > 0 else { throw TreeError.missingHash(level: level, index: index * UInt64(Tiles.width)) }
        let hashes = try source.tile(level: level, index: index, width: width)
        cache[key] = hashes
        return hashes
    }

    public func hashes(level: Int, start: UInt64, count: Int) throws -> [Digest32] {
        var result: [Digest32] = []
        var position = start
        while result.count < count {
            let tileIndex = position / UInt64(Tiles.width)
            let hashes = try tile(level: level, index: tileIndex)
            let offset = Int(position % UInt64(Tiles.width))
            guard offset < hashes.count else { throw TreeError.missingHash(level: level, index: position) }
            let take = min(count - result.count, hashes.count - offset)
            result += hashes[offset..<(offset + take)]
            position += UInt64(take)
        }
        return result
    }
}
