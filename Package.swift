// swift-tools-version:6.2
// The module graph is the architecture (docs/ARCHITECTURE.md):
//   KhataEd25519  RFC 8032 signature checks, with precomputed tables for keys that sign often.
//   KhataCore     pure ledger: types, limits, canonical encoding, state machine. No I/O, no clock.
//   KhataLog      the verifiable log: RFC 6962 tree math and proofs, C2SP notes, checkpoints, tiles.
//   KhataLiabilities  proof of liabilities: the salted, padded Merkle-sum tree and its proofs (pure).
//   KhataStorage  the journal behind the `JournalStore` protocol; SQLite driver; in-memory driver.
//   KhataEngine   the sequencer: verifies signatures, applies in order, group-commits, recovers.
//   KhataWitness  a C2SP tlog-witness: HTTP service (Hummingbird) and the client a ledger uses.
//   KhataAPI      the JSON shapes of the HTTP API, shared by node and client.
//   KhataClient   a Swift client that submits and verifies what a node tells it.
//   KhataNode     the HTTP node: API, sequencer service, checkpoint publisher, explorer, metrics.
//   KhataCommands the `khata` command line (swift-argument-parser), a library so tests can drive it.
//   khata         the executable: nothing but `Khata.main()`.
import PackageDescription

let package = Package(
    name: "khata",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "khata", targets: ["khata"]),
        .library(name: "KhataCore", targets: ["KhataCore"]),
        .library(name: "KhataEngine", targets: ["KhataEngine"]),
        .library(name: "KhataClient", targets: ["KhataClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "KhataEd25519",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            // Field arithmetic is 100× slower unoptimised, which would make the debug
            // builds the tests use slower than BoringSSL's C; this module is always optimised.
            // (Tools version 6.2 is what lets packages that depend on Khata by version
            // accept this flag; checked with a consumer of a tagged clone.)
            swiftSettings: [.unsafeFlags(["-O"])]
        ),
        .target(
            name: "KhataCore",
            dependencies: ["KhataEd25519", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "KhataLog",
            dependencies: ["KhataCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "KhataLiabilities",
            dependencies: ["KhataCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "KhataStorage",
            dependencies: ["KhataCore", "KhataLog", "CSQLite"]
        ),
        .target(
            name: "KhataEngine",
            dependencies: ["KhataCore", "KhataLog", "KhataStorage"]
        ),
        .target(
            name: "KhataWitness",
            dependencies: [
                "KhataCore", "KhataLog", "KhataStorage", "KhataClient",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .target(
            name: "KhataAPI",
            dependencies: ["KhataCore", "KhataLog", "KhataLiabilities"]
        ),
        .target(
            name: "KhataClient",
            dependencies: ["KhataCore", "KhataLog", "KhataLiabilities", "KhataAPI", "KhataEngine"]
        ),
        .target(
            name: "KhataNode",
            dependencies: [
                "KhataEd25519", "KhataCore", "KhataLog", "KhataLiabilities", "KhataAPI", "KhataStorage", "KhataEngine", "KhataWitness",
                "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Explorer")]
        ),
        .target(
            name: "KhataCommands",
            dependencies: [
                "KhataEd25519", "KhataCore", "KhataLog", "KhataLiabilities", "KhataAPI", "KhataClient", "KhataStorage", "KhataEngine",
                "KhataWitness", "KhataNode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "khata",
            dependencies: ["KhataCommands", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
        // Fuzzing (scripts/fuzz, Fuzz/README.md): the parsers of outside bytes as libFuzzer targets.
        .target(name: "KhataFuzzTargets", dependencies: ["KhataCore", "KhataLog", "KhataNode", "KhataCommands"], path: "Fuzz/Targets"),
        .executableTarget(
            name: "khata-fuzz", dependencies: ["KhataFuzzTargets"], path: "Fuzz/Driver", swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // The fault drills (scripts/crash-drill, scripts/stop-drill) against the real executable.
        .executableTarget(
            name: "khata-drill", dependencies: ["KhataClient", "KhataEngine", "KhataNode", "KhataAPI", "KhataCore", "KhataLog"],
            path: "Drills"),
        // Fixtures shared by the test targets: deterministic keys, a test genesis, a seeded generator,
        // journals that fail on demand, and an SQLite VFS that simulates power loss.
        .target(
            name: "KhataTestSupport",
            dependencies: ["KhataCore", "KhataLog", "KhataStorage", "KhataEngine", "CSQLite"],
            path: "Tests/KhataTestSupport"
        ),
        .testTarget(
            name: "KhataEd25519Tests", dependencies: ["KhataEd25519", "KhataTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Vectors")]),
        .testTarget(name: "KhataCoreTests", dependencies: ["KhataCore", "KhataTestSupport"], resources: [.copy("Golden")]),
        .testTarget(name: "KhataLogTests", dependencies: ["KhataLog", "KhataCore", "KhataTestSupport"], exclude: ["Vectors"]),
        .testTarget(name: "KhataFuzzTargetsTests", dependencies: ["KhataFuzzTargets"]),
        .testTarget(name: "KhataLiabilitiesTests", dependencies: ["KhataLiabilities", "KhataCore", "KhataTestSupport"]),
        .testTarget(name: "KhataStorageTests", dependencies: ["KhataStorage", "KhataCore", "KhataTestSupport"]),
        .testTarget(name: "KhataEngineTests", dependencies: ["KhataEngine", "KhataStorage", "KhataCore", "KhataTestSupport"]),
        .testTarget(
            name: "KhataWitnessTests",
            dependencies: ["KhataWitness", "KhataLog", "KhataStorage", "KhataCore", "KhataTestSupport"]
        ),
        .testTarget(
            name: "KhataNodeTests",
            dependencies: [
                "KhataNode", "KhataClient", "KhataAPI", "KhataLiabilities", "KhataEngine", "KhataLog", "KhataStorage", "KhataCore",
                "KhataTestSupport", .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "KhataCommandsTests",
            dependencies: [
                "KhataCommands", "KhataNode", "KhataEngine", "KhataEd25519", "KhataLiabilities", "KhataStorage", "KhataCore",
                "KhataTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
