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

    /// The checks above would pass on a manifest they could not read: make sure
    /// they read this one. Every module under Sources/ is a target, every target's
    /// directory has Swift files, and every rule's module exists.
    @Test func theParseSeesThePackageWhole() throws {
        let names = Set(package.targets.map(\.name))
        let directories = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("Sources").path)
        for directory in directories.sorted() { #expect(names.contains(directory), "Sources/\(directory) is not a target the test found") }
        for target in package.targets where target.kind != .systemLibrary {
            #expect(!target.imports.isEmpty, "\(target.name): no imports found in \(target.path)")
        }
        for rule in FloorRules.khata { #expect(names.contains(rule.module), "the rule for \(rule.module) names no target") }
        #expect(package.targets.count >= 30)
    }

    @Test func importsWithAccessModifiersAndAttributesAreSeen() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Built from pieces, so that this file's own lines do not read as imports.
        let keyword = "import"
        let lines = [
            "internal \(keyword) Foundation", "@preconcurrency public \(keyword) KhataCore", "@_implementationOnly \(keyword) KhataStorage",
            "\(keyword) struct KhataLog.Checkpoint", "  package \(keyword) KhataEngine", "// \(keyword) KhataNode",
        ]
        try lines.joined(separator: "\n").write(to: directory.appendingPathComponent("A.swift"), atomically: true, encoding: .utf8)
        let found = Set(try Imports.scan(directory: directory).keys)
        #expect(found == ["Foundation", "KhataCore", "KhataStorage", "KhataLog", "KhataEngine"])
    }

    @Test func commentsInTheManifestAreIgnored() throws {
        let graph = try PackageGraph(
            manifest: """
                // .target(name: "Ghost", dependencies: ["KhataCore"]),
                .target(name: "KhataLog", dependencies: ["KhataBytes" /* "KhataCore" ) ] */]),
                .target(name: "KhataBytes"),
                """)
        #expect(graph.targets.map(\.name) == ["KhataLog", "KhataBytes"])
        #expect(graph.targets[0].targetDependencies == ["KhataBytes"])
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
