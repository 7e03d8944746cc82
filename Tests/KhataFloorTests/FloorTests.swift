import Foundation
import Testing

// The module graph's floors (docs/ARCHITECTURE.md, "Modules and floors"): read
// from Package.swift and from every source file's imports, without building or
// running SwiftPM (which holds the build directory's lock while tests run).

/// The repository's root: three levels above this file.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

@Suite("Module floors")
struct FloorTests {
    let package: PackageGraph

    init() throws {
        var graph = try PackageGraph(manifest: String(contentsOf: repositoryRoot.appendingPathComponent("Package.swift"), encoding: .utf8))
        for index in graph.targets.indices {
            graph.targets[index].imports = try Imports.scan(directory: repositoryRoot.appendingPathComponent(graph.targets[index].path))
        }
        package = graph
    }

    @Test func everyImportIsADeclaredDependency() {
        let problems = package.undeclaredImports()
        #expect(problems.isEmpty, Comment(rawValue: "\n" + problems.joined(separator: "\n")))
    }

    @Test func noForbiddenEdge() {
        let problems = package.forbiddenEdges(FloorRules.khata)
        #expect(problems.isEmpty, Comment(rawValue: "\n" + problems.joined(separator: "\n")))
    }

    @Test func theGraphHasNoCycleAndEveryDependencyIsATarget() {
        let problems = package.unknownDependencies() + package.cycles()
        #expect(problems.isEmpty, Comment(rawValue: "\n" + problems.joined(separator: "\n")))
    }

    /// The picture in docs/ARCHITECTURE.md is generated from Package.swift; it
    /// must match. `KHATA_WRITE_FLOORS=1 swift test --filter FloorTests` rewrites it.
    @Test func theArchitectureDiagramMatchesPackageSwift() throws {
        let url = repositoryRoot.appendingPathComponent("docs/ARCHITECTURE.md")
        let document = try String(contentsOf: url, encoding: .utf8)
        let expected = package.diagram()
        guard let current = FloorDiagram.block(in: document) else {
            Issue.record("docs/ARCHITECTURE.md has no \(FloorDiagram.begin) … \(FloorDiagram.end) block")
            return
        }
        if current != expected, ProcessInfo.processInfo.environment["KHATA_WRITE_FLOORS"] == "1" {
            try FloorDiagram.replacing(in: document, with: expected).write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(current == expected, Comment(rawValue: "docs/ARCHITECTURE.md's floors are stale; expected:\n\(expected)"))
    }

    // The checker itself, on graphs made to break each rule: a test that could
    // not fail would prove nothing.

    @Test func aLogThatImportsTheCoreIsRefused() throws {
        var graph = try PackageGraph(
            manifest: """
                .target(name: "KhataBytes", dependencies: []),
                .target(name: "KhataLog", dependencies: ["KhataBytes", "KhataCore"]),
                .target(name: "KhataCore", dependencies: ["KhataBytes"]),
                """)
        graph.targets[1].imports = ["KhataBytes": ["Sources/KhataLog/A.swift"], "KhataCore": ["Sources/KhataLog/A.swift"]]
        #expect(graph.forbiddenEdges(FloorRules.khata) == ["KhataLog → KhataCore (through KhataCore): the log knows nothing of ledgers"])
    }

    @Test func aClientThatReachesTheStorageThroughAnotherModuleIsRefused() throws {
        let graph = try PackageGraph(
            manifest: """
                .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
                .target(name: "KhataStorage", dependencies: ["CSQLite"]),
                .target(name: "KhataEngine", dependencies: ["KhataStorage"]),
                .target(name: "KhataClient", dependencies: [.product(name: "Crypto", package: "swift-crypto"), "KhataEngine"]),
                """)
        #expect(
            graph.forbiddenEdges(FloorRules.khata).sorted() == [
                "KhataClient → CSQLite (through KhataEngine): a client links no storage",
                "KhataClient → KhataEngine (through KhataEngine): a client links no storage",
                "KhataClient → KhataStorage (through KhataEngine): a client links no storage",
            ])
    }

    @Test func aCoreThatImportsFoundationOrAnUndeclaredModuleIsRefused() throws {
        var graph = try PackageGraph(manifest: #".target(name: "KhataCore", dependencies: ["KhataBytes"]), .target(name: "KhataBytes")"#)
        graph.targets[0].imports = ["Foundation": ["Sources/KhataCore/B.swift"], "KhataLog": ["Sources/KhataCore/C.swift"]]
        #expect(graph.forbiddenEdges(FloorRules.khata) == ["KhataCore imports Foundation (Sources/KhataCore/B.swift): the core does no I/O"])
        #expect(
            graph.undeclaredImports() == [
                "KhataCore imports KhataLog (Sources/KhataCore/C.swift) but Package.swift does not list it among its dependencies"
            ])
    }

    @Test func aCycleIsFound() throws {
        let graph = try PackageGraph(manifest: #".target(name: "A", dependencies: ["B"]), .target(name: "B", dependencies: ["A"])"#)
        #expect(graph.cycles() == ["a cycle: A → B → A"])
    }

    @Test func theDiagramPutsEachModuleOneFloorAboveItsHighestDependency() throws {
        let graph = try PackageGraph(
            manifest: """
                .target(name: "KhataBytes", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
                .target(name: "KhataLog", dependencies: ["KhataBytes"]),
                .target(name: "KhataCore", dependencies: ["KhataBytes", "KhataLog"]),
                .testTarget(name: "KhataCoreTests", dependencies: ["KhataCore"]),
                """)
        #expect(
            graph.diagram() == """
                ```text
                floor 2  KhataCore
                floor 1  KhataLog
                floor 0  KhataBytes
                ```

                ```mermaid
                flowchart BT
                    KhataCore --> KhataLog
                    KhataLog --> KhataBytes
                ```
                """)
    }
}
