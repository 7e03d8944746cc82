import Foundation
import KhataBytes
import KhataCore
import KhataLog
import KhataVerify

/// A node's log over HTTP, in the C2SP tlog-tiles layout under `<base>/log/`:
/// what `khata audit URL` reads. Entry bundles may arrive gzip-compressed.
public struct HTTPLogSource: LogSource {
    public let baseURL: String
    public init(baseURL: String) { self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL }

    public var name: String { baseURL }

    private func fetch(_ path: String) throws -> [UInt8] {
        let response = try BlockingHTTP.request("GET", "\(baseURL)/log/\(path)", headers: ["Accept-Encoding": "gzip, identity"])
        guard response.status == 200 else { throw LogSourceError("GET \(baseURL)/log/\(path) answered \(response.status)") }
        return response.body
    }

    public func checkpointNote() throws -> String { String(decoding: try fetch("checkpoint"), as: UTF8.self) }

    public func tile(level: Int, index: UInt64, width: Int) throws -> [Digest32] {
        let hashes = try Tiles.decodeHashes(try fetch(Tiles.path(level: level, index: index, width: width)))
        guard hashes.count == width else { throw LogSourceError("tile \(level)/\(index) holds \(hashes.count) hashes, not \(width)") }
        return hashes
    }

    public func bundle(index: UInt64, width: Int) throws -> [[UInt8]] {
        let entries = try Tiles.entries(inBundle: try fetch(Tiles.path(level: nil, index: index, width: width)))
        guard entries.count == width else { throw LogSourceError("bundle \(index) holds \(entries.count) entries, not \(width)") }
        return entries
    }
}
