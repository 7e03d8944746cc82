import Foundation
import KhataCore
import KhataLog
import KhataStorage

/// Writes a ledger's log as static files in the C2SP tlog-tiles layout, so that
/// any web server can mirror it and any tlog client can verify it.
public enum LogExporter {
    public struct Summary: Sendable {
        public let size: UInt64
        public let tilesWritten: Int
        public let bundlesWritten: Int
    }

    /// Exports the tree of the latest signed checkpoint to `directory`: every full
    /// tile and bundle not already there (they are immutable), the partial tiles
    /// for the checkpoint's size, then the checkpoint itself, last, so a mirror
    /// never shows a checkpoint whose tiles are missing.
    public static func export(journal: any JournalStore, to directory: String, progress: (UInt64, UInt64) -> Void = { _, _ in }) throws -> Summary {
        let source = JournalLogSource(journal: journal)
        let note = try source.checkpointNote()
        let checkpoint = try Checkpoint(text: try SignedNote(parsing: note).text)
        var tilesWritten = 0
        var bundlesWritten = 0
        for tile in Tiles.tiles(forSize: checkpoint.size) {
            let full = tile.width == Tiles.width
            let path = "\(directory)/\(Tiles.path(level: tile.level, index: tile.index, width: tile.width))"
            if !(full && FileManager.default.fileExists(atPath: path)) {
                try write(Tiles.encode(try source.tile(level: tile.level, index: tile.index, width: tile.width)), to: path)
                tilesWritten += 1
            }
            if tile.level == 0 {
                let bundlePath = "\(directory)/\(Tiles.path(level: nil, index: tile.index, width: tile.width))"
                if !(full && FileManager.default.fileExists(atPath: bundlePath)) {
                    try write(Tiles.bundle(try source.bundle(index: tile.index, width: tile.width)), to: bundlePath)
                    bundlesWritten += 1
                }
                progress(min(checkpoint.size, (tile.index + 1) * UInt64(Tiles.width)), checkpoint.size)
            }
        }
        try write(Array(note.utf8), to: "\(directory)/checkpoint")
        return Summary(size: checkpoint.size, tilesWritten: tilesWritten, bundlesWritten: bundlesWritten)
    }

    /// Writes a file atomically (temporary file, then rename), making directories.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url, options: .atomic)
    }
}
