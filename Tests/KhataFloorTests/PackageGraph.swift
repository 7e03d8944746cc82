import Foundation

/// One target of Package.swift as far as the floors care: its kind, its
/// dependencies (targets by name, products by module name), where its sources
/// are, and what they import (module → files).
struct Target {
    enum Kind: String { case target, executableTarget, testTarget, systemLibrary }

    let name: String
    let kind: Kind
    let targetDependencies: [String]
    let productDependencies: [String]
    let path: String
    var imports: [String: [String]] = [:]

    /// A module of the product (`Sources/…`): what the floors and the diagram are about.
    var isProductModule: Bool { kind != .testTarget && path.hasPrefix("Sources/") }
}

/// Reads the targets out of Package.swift's text. It knows the shapes this
/// package uses (`.target(name: "X", dependencies: [...], path: "...")`), not
/// the whole of Swift: a manifest it cannot read fails the tests loudly.
struct PackageGraph {
    var targets: [Target]

    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    init(manifest text: String) throws {
        targets = []
        let manifest = Self.withoutComments(text)
        let declaration = try NSRegularExpression(pattern: #"\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([^"]+)""#)
        let nsText = manifest as NSString
        for match in declaration.matches(in: manifest, range: NSRange(location: 0, length: nsText.length)) {
            let kind = Target.Kind(rawValue: nsText.substring(with: match.range(at: 1)))!
            let name = nsText.substring(with: match.range(at: 2))
            // The call's text: from its opening parenthesis to the matching one.
            let body = try Self.balanced(
                "(" + nsText.substring(from: match.range.location + match.range.length), opening: "(", closing: ")", target: name)
            var targetDependencies: [String] = []
            var productDependencies: [String] = []
            if let range = body.range(of: "dependencies:") {
                let list = try Self.balanced(String(body[range.upperBound...]), opening: "[", closing: "]", target: name)
                var rest = list
                let product = try NSRegularExpression(pattern: #"\.product\(\s*name:\s*"([^"]+)"[^)]*\)"#)
                for found in product.matches(in: list, range: NSRange(location: 0, length: (list as NSString).length)) {
                    productDependencies.append((list as NSString).substring(with: found.range(at: 1)))
                }
                rest = product.stringByReplacingMatches(in: list, range: NSRange(location: 0, length: (list as NSString).length), withTemplate: "")
                let quoted = try NSRegularExpression(pattern: #""([^"]+)""#)
                for found in quoted.matches(in: rest, range: NSRange(location: 0, length: (rest as NSString).length)) {
                    targetDependencies.append((rest as NSString).substring(with: found.range(at: 1)))
                }
            }
            let pathPattern = try NSRegularExpression(pattern: #"path:\s*"([^"]+)""#)
            let bodyNS = body as NSString
            let path =
                pathPattern.firstMatch(in: body, range: NSRange(location: 0, length: bodyNS.length)).map { bodyNS.substring(with: $0.range(at: 1)) }
                ?? (kind == .testTarget ? "Tests/\(name)" : "Sources/\(name)")
            targets.append(
                Target(name: name, kind: kind, targetDependencies: targetDependencies, productDependencies: productDependencies, path: path))
        }
        guard !targets.isEmpty else { throw Unreadable(description: "no targets found in the manifest") }
    }

    /// The manifest with `//` and `/* */` comments blanked (outside string literals),
    /// so that a quote or a bracket in a comment cannot mislead the parser.
    static func withoutComments(_ text: String) -> String {
        var out: [Character] = []
        var characters = Array(text)[...]
        var inString = false
        while let character = characters.first {
            if inString {
                out.append(character)
                characters = characters.dropFirst()
                if character == "\\", let escaped = characters.first {
                    out.append(escaped)
                    characters = characters.dropFirst()
                } else if character == "\"" {
                    inString = false
                }
            } else if characters.starts(with: "//") {
                while let next = characters.first, next != "\n" { characters = characters.dropFirst() }
            } else if characters.starts(with: "/*") {
                characters = characters.dropFirst(2)
                while !characters.isEmpty, !characters.starts(with: "*/") { characters = characters.dropFirst() }
                characters = characters.dropFirst(2)
                out.append(" ")
            } else {
                if character == "\"" { inString = true }
                out.append(character)
                characters = characters.dropFirst()
            }
        }
        return String(out)
    }

    /// The text inside the first `opening … closing` pair of `text`, skipping string literals.
    static func balanced(_ text: String, opening: Character, closing: Character, target: String) throws -> String {
        var depth = 0
        var inString = false
        var start: String.Index?
        var previous: Character = " "
        for index in text.indices {
            let character = text[index]
            defer { previous = character }
            if character == "\"" && previous != "\\" { inString.toggle() }
            if inString { continue }
            if character == opening {
                depth += 1
                if depth == 1 { start = text.index(after: index) }
            } else if character == closing {
                depth -= 1
                if depth == 0, let start { return String(text[start..<index]) }
                if depth < 0 { break }
            }
        }
        throw Unreadable(description: "cannot find the end of \(opening)…\(closing) in target \(target)")
    }

    func target(_ name: String) -> Target? { targets.first { $0.name == name } }

    /// Every module `name` reaches through its dependencies, with the direct
    /// dependency it goes through first.
    func reach(from name: String) -> [String: String] {
        var reached: [String: String] = [:]
        guard let start = target(name) else { return reached }
        var queue: [(String, String)] = (start.targetDependencies + start.productDependencies).map { ($0, $0) }
        while let (module, via) = queue.first {
            queue.removeFirst()
            guard reached[module] == nil, module != name else { continue }
            reached[module] = via
            if let next = target(module) {
                queue += (next.targetDependencies + next.productDependencies).map { ($0, via) }
            }
        }
        return reached
    }

    /// Modules a file imports that its target does not list.
    func undeclaredImports() -> [String] {
        var problems: [String] = []
        for target in targets {
            let declared = Set(target.targetDependencies + target.productDependencies + [target.name])
            for (module, files) in target.imports.sorted(by: { $0.key < $1.key })
            where !declared.contains(module) && !Imports.platformModules.contains(module) {
                problems.append(
                    "\(target.name) imports \(module) (\(files.sorted().joined(separator: ", "))) but Package.swift does not list it among its dependencies"
                )
            }
        }
        return problems
    }

    /// Dependencies that name no target of the package (a product must be `.product(…)`).
    func unknownDependencies() -> [String] {
        let names = Set(targets.map(\.name))
        return targets.flatMap { target in
            target.targetDependencies.filter { !names.contains($0) }.map { "\(target.name) depends on \($0), which is not a target" }
        }
    }

    func cycles() -> [String] {
        var problems: [String] = []
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ name: String, _ path: [String]) {
            if state[name] == 2 { return }
            if state[name] == 1 {
                let loop = path.drop { $0 != name } + [name]
                problems.append("a cycle: " + loop.joined(separator: " → "))
                return
            }
            state[name] = 1
            for dependency in target(name)?.targetDependencies ?? [] { visit(dependency, path + [name]) }
            state[name] = 2
        }
        for target in targets { visit(target.name, []) }
        return problems
    }

    func forbiddenEdges(_ rules: [FloorRule]) -> [String] {
        var problems: [String] = []
        for rule in rules {
            guard let target = target(rule.module) else { continue }
            let reached = reach(from: rule.module)
            for (module, via) in reached.sorted(by: { $0.key < $1.key }) where rule.forbidden(module) {
                problems.append("\(rule.module) → \(module) (through \(via)): \(rule.reason)")
            }
            for (module, files) in target.imports.sorted(by: { $0.key < $1.key }) where rule.forbiddenImports.contains(module) {
                problems.append("\(rule.module) imports \(module) (\(files.sorted().joined(separator: ", "))): \(rule.reason)")
            }
        }
        return problems
    }

    /// Each product module's floor: 0 without dependencies on other modules of
    /// the package, else one above its highest dependency.
    func floors() -> [String: Int] {
        var floors: [String: Int] = [:]
        func floor(_ name: String) -> Int {
            if let known = floors[name] { return known }
            let dependencies = (target(name)?.targetDependencies ?? []).filter { target($0)?.isProductModule == true }
            let value = dependencies.map { floor($0) + 1 }.max() ?? 0
            floors[name] = value
            return value
        }
        for target in targets where target.isProductModule { _ = floor(target.name) }
        return floors
    }

    /// The picture: floors from the top, then the graph without the edges that
    /// others imply (its transitive reduction), as Mermaid.
    func diagram() -> String {
        let floors = floors()
        let top = floors.values.max() ?? 0
        var lines = ["```text"]
        for level in stride(from: top, through: 0, by: -1) {
            let names = targets.filter { floors[$0.name] == level }.map(\.name)
            lines.append("floor \(level)  " + names.joined(separator: "  "))
        }
        lines += ["```", "", "```mermaid", "flowchart BT"]
        // Top floor first, so the picture reads downward like the floors above it.
        let ordered = targets.filter(\.isProductModule).enumerated().sorted {
            (floors[$0.element.name] ?? 0, -$0.offset) > (floors[$1.element.name] ?? 0, -$1.offset)
        }.map(\.element)
        for target in ordered {
            let direct = target.targetDependencies.filter { self.target($0)?.isProductModule == true }
            for dependency in direct {
                // Drawn only if no other direct dependency already reaches it.
                let implied = direct.contains { $0 != dependency && reach(from: $0)[dependency] != nil }
                if !implied { lines.append("    \(target.name) --> \(dependency)") }
            }
        }
        lines.append("```")
        return lines.joined(separator: "\n")
    }
}

/// A rule of the floors: what a module must never reach, directly or through others.
struct FloorRule: Sendable {
    let module: String
    let forbidden: @Sendable (String) -> Bool
    /// Modules its own files must not import even if reachable (the platform's I/O).
    var forbiddenImports: Set<String> = []
    let reason: String
}

enum FloorRules {
    /// Modules that do I/O or serve HTTP.
    static let io: Set<String> = [
        "Foundation", "FoundationNetworking", "FoundationEssentials", "Glibc", "Darwin", "Musl", "CSQLite", "CZlib",
        "KhataStorage", "KhataEngine", "KhataNode", "KhataWitnessServer", "KhataCommands", "KhataBench",
        "Hummingbird", "NIOCore", "NIOPosix", "Logging", "ServiceLifecycle", "ArgumentParser",
    ]
    static let ground: Set<String> = ["KhataBytes", "KhataEd25519"]

    static let khata: [FloorRule] = [
        FloorRule(module: "KhataBytes", forbidden: { $0.hasPrefix("Khata") || io.contains($0) }, reason: "the ground depends on nothing of Khata"),
        FloorRule(
            module: "KhataEd25519", forbidden: { ($0.hasPrefix("Khata") && !ground.contains($0)) || io.contains($0) },
            reason: "Ed25519 stands on the ground alone"),
        FloorRule(
            module: "KhataLog", forbidden: { ($0.hasPrefix("Khata") && !ground.contains($0)) || io.contains($0) },
            forbiddenImports: io, reason: "the log knows nothing of ledgers"),
        FloorRule(module: "KhataCore", forbidden: { io.contains($0) }, forbiddenImports: io, reason: "the core does no I/O"),
        FloorRule(module: "KhataLiabilities", forbidden: { io.contains($0) }, forbiddenImports: io, reason: "the liabilities tree does no I/O"),
        FloorRule(
            module: "KhataVerify", forbidden: { ["KhataStorage", "KhataEngine", "CSQLite", "KhataNode", "KhataClient"].contains($0) },
            reason: "verification reads logs through `LogSource`, never a journal"),
        FloorRule(
            module: "KhataClient", forbidden: { ["KhataStorage", "KhataEngine", "CSQLite", "KhataNode", "KhataBench"].contains($0) },
            reason: "a client links no storage"),
        FloorRule(
            module: "KhataAPI", forbidden: { ["KhataStorage", "KhataEngine", "CSQLite", "KhataNode", "KhataClient"].contains($0) },
            reason: "the wire models are shared by node and client"),
        FloorRule(
            module: "KhataStorage", forbidden: { ["KhataEngine", "KhataNode", "KhataClient", "KhataAPI"].contains($0) },
            reason: "a journal driver stores what the engine gives it"),
        FloorRule(
            module: "KhataEngine", forbidden: { ["KhataNode", "KhataClient", "KhataAPI", "Hummingbird", "NIOCore"].contains($0) },
            reason: "the engine serves no HTTP"),
        FloorRule(
            module: "KhataNode", forbidden: { ["KhataBench", "KhataCommands", "KhataWitnessServer"].contains($0) },
            reason: "the node carries no benchmarks, commands or witness server"),
    ]
}

/// What a directory's Swift files import.
enum Imports {
    /// The toolchain's own modules: nothing to declare.
    static let platformModules: Set<String> = [
        "Foundation", "FoundationNetworking", "FoundationEssentials", "Dispatch", "Glibc", "Darwin", "Musl", "Synchronization",
        "Testing", "XCTest", "Swift", "_Concurrency", "os",
    ]

    static func scan(directory: URL) throws -> [String: [String]] {
        var found: [String: [String]] = [:]
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return found }
        let pattern = try NSRegularExpression(
            pattern:
                #"^\s*(?:(?:@\w+(?:\([^)]*\))?|public|package|internal|fileprivate|private)\s+)*import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?([A-Za-z_][A-Za-z0-9_]*)"#,
            options: [.anchorsMatchLines])
        let root = repositoryRoot.path + "/"
        for case let url as URL in walker where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            let ns = text as NSString
            for match in pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                found[ns.substring(with: match.range(at: 1)), default: []].append(url.path.replacingOccurrences(of: root, with: ""))
            }
        }
        return found
    }
}

/// The generated block of docs/ARCHITECTURE.md.
enum FloorDiagram {
    static let begin = "<!-- floors:begin (generated from Package.swift by Tests/KhataFloorTests; do not edit) -->"
    static let end = "<!-- floors:end -->"

    static func block(in document: String) -> String? {
        guard let start = document.range(of: begin), let stop = document.range(of: end, range: start.upperBound..<document.endIndex) else {
            return nil
        }
        return document[start.upperBound..<stop.lowerBound].trimmingCharacters(in: .newlines)
    }

    static func replacing(in document: String, with block: String) -> String {
        guard let start = document.range(of: begin), let stop = document.range(of: end, range: start.upperBound..<document.endIndex) else {
            return document
        }
        return document.replacingCharacters(in: start.upperBound..<stop.lowerBound, with: "\n" + block + "\n")
    }
}
