import Foundation
import KhataAPI

/// The coverage readings behind the explorer's chart, kept across restarts in
/// `DIR/coverage.jsonl` (one JSON reading per line, appended as readings change).
///
/// A view, not a record: the log holds every attestation, price and commitment.
/// Bounded: at most `capacity` readings in memory; the file is rewritten to the
/// last `capacity` lines once it holds twice that. A damaged line is skipped.
final class CoverageHistory: @unchecked Sendable {
    let capacity: Int
    private let path: String?
    private let lock = NSLock()
    private var samples: [CoverageSample] = []
    private var linesInFile = 0
    /// The file ends in a torn line (a crash mid-write): start the next on a new line.
    private var tornTail = false

    /// `path` nil keeps readings in memory only.
    init(path: String?, capacity: Int = 4_096) {
        self.path = path
        self.capacity = capacity
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        let decoder = JSONDecoder()
        let lines = text.split(separator: "\n")
        linesInFile = lines.count
        tornTail = !text.isEmpty && !text.hasSuffix("\n")
        samples = Array(lines.compactMap { try? decoder.decode(CoverageSample.self, from: Data($0.utf8)) }.suffix(capacity))
    }

    var all: [CoverageSample] { lock.withLock { samples } }

    /// Keeps `reading` if it says something new, or if the last one is a minute old.
    func record(_ reading: CoverageSample) {
        lock.withLock {
            if let last = samples.last, last.sameReading(as: reading), reading.time.milliseconds < last.time.milliseconds + 60_000 { return }
            samples.append(reading)
            if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
            persist(reading)
        }
    }

    private func persist(_ reading: CoverageSample) {
        guard let path, let line = try? JSONEncoder().encode(reading) else { return }
        if linesInFile >= 2 * capacity {
            let encoder = JSONEncoder()
            let text = samples.compactMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") + "\n"
            try? text.write(toFile: path, atomically: true, encoding: .utf8)
            linesInFile = samples.count
            return
        }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: (tornTail ? Data("\n".utf8) : Data()) + line + Data("\n".utf8))
        tornTail = false
        linesInFile += 1
    }
}
