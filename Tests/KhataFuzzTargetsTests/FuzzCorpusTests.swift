import Foundation
import KhataFuzzTargets
import Testing

/// Every fuzz target over its committed seed corpus and over every input that
/// once made it crash (`Fuzz/Regressions/<target>/`, where scripts/fuzz puts
/// what it finds): a crash found once stays fixed. The seeds must be what
/// `FuzzTargets.seeds()` makes, so the corpus cannot drift from the formats.
@Suite struct FuzzCorpusTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz").standardized

    static func files(_ folder: String) -> [URL] {
        let url = fuzz.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { url.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func corpusAndRegressionsPass(target: String) throws {
        let run = try #require(FuzzTargets.target(named: target))
        let seeds = Self.files("Corpus/\(target)")
        #expect(!seeds.isEmpty, "no seeds for \(target): khata-fuzz --write-seeds Fuzz/Corpus")
        for file in seeds + Self.files("Regressions/\(target)") {
            run(Array(try Data(contentsOf: file)))
        }
    }

    @Test func committedSeedsAreTheGeneratedOnes() throws {
        for seed in FuzzTargets.seeds() {
            let file = Self.fuzz.appendingPathComponent("Corpus/\(seed.target)/\(seed.name)")
            #expect(Array(try Data(contentsOf: file)) == seed.bytes, "\(seed.target)/\(seed.name) differs from FuzzTargets.seeds(); rewrite them")
        }
    }
}
