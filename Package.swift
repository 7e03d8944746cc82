// swift-tools-version:6.2
// The module graph is the architecture (docs/ARCHITECTURE.md, "Modules and floors";
// Tests/KhataFloorTests checks that every import runs downward and that the
// diagram there matches this file). From the ground up:
//   KhataBytes        canonical bytes: big-endian reader and writer, hex, SHA-256 digests, MalformedInput.
//   KhataEd25519      Ed25519 keys; RFC 8032 verification with precomputed tables for keys that sign often.
//   KhataLog          a generic verifiable log: RFC 6962 tree math and proofs, C2SP signed notes,
//                     checkpoints, tiles, the tlog-witness rules. Knows nothing of ledgers.
//   KhataCore         the ledger state machine: types, limits, canonical encoding, apply and replay. No I/O, no clock.
//   KhataLiabilities  proof of liabilities: the salted, padded Merkle-sum tree and its proofs (pure).
//   KhataFiles        files replaced atomically (write, fsync, rename, fsync the directory) or created exclusively.
//   KhataVerify       checks what comes from outside on every core: transaction signatures, logged
//                     entries, whole logs (the auditor) from any `LogSource`.
//   KhataStorage      the journal protocol (`JournalStore`), its SQLite and in-memory drivers, the SQLite wrapper.
//   KhataEngine       the ledger engine: applies verified batches in order, group-commits, recovers, restores.
//   KhataAPI          the JSON shapes of the HTTP API, shared by node and client.
//   KhataClient       submits, verifies receipts and proofs, audits over HTTP, asks witnesses to cosign. No storage.
//   KhataWitnessServer  the tlog-witness over HTTP (Hummingbird) with its SQLite store.
//   KhataNode         the HTTP node: API, batching sequencer service, checkpoint publisher, explorer, metrics.
//   KhataBench        benchmarks and load generation behind `khata bench`.
//   KhataCommands     the `khata` command line (swift-argument-parser), a library so tests can drive it.
//   khata             the executable: nothing but `Khata.main()`.
import PackageDescription

let package = Package(
    name: "khata",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "khata", targets: ["khata"]),
        .library(name: "KhataBytes", targets: ["KhataBytes"]),
        .library(name: "KhataEd25519", targets: ["KhataEd25519"]),
        .library(name: "KhataLog", targets: ["KhataLog"]),
        .library(name: "KhataCore", targets: ["KhataCore"]),
        .library(name: "KhataEngine", targets: ["KhataEngine"]),
        .library(name: "KhataAPI", targets: ["KhataAPI"]),
        .library(name: "KhataClient", targets: ["KhataClient"]),
        // For the micro-benchmarks (Benchmarks/, a package of its own).
        .library(name: "KhataBench", targets: ["KhataBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
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
        .target(name: "KhataBytes", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "KhataEd25519",
            dependencies: ["KhataBytes", .product(name: "Crypto", package: "swift-crypto")],
            // Field arithmetic is 100× slower unoptimised, which would make the debug
            // builds the tests use slower than BoringSSL's C; this module is always optimised.
            // (Tools version 6.2 is what lets packages that depend on Khata by version
            // accept this flag; checked with a consumer of a tagged clone.)
            swiftSettings: [.unsafeFlags(["-O"])]
        ),
        .target(name: "KhataLog", dependencies: ["KhataBytes", "KhataEd25519", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "KhataCore",
            dependencies: ["KhataBytes", "KhataEd25519", "KhataLog", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "KhataLiabilities",
            dependencies: ["KhataBytes", "KhataCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "KhataFiles"),
        .target(name: "KhataVerify", dependencies: ["KhataBytes", "KhataCore", "KhataLog"]),
        .target(name: "KhataStorage", dependencies: ["KhataBytes", "KhataCore", "KhataLog", "CSQLite"]),
        .target(
            name: "KhataEngine", dependencies: ["KhataBytes", "KhataEd25519", "KhataCore", "KhataLog", "KhataVerify", "KhataStorage", "KhataFiles"]),
        .target(
            name: "KhataAPI",
            dependencies: [
                "KhataBytes", "KhataEd25519", "KhataCore", "KhataLog", "KhataLiabilities", "CZlib", .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(
            name: "KhataClient",
            dependencies: ["KhataBytes", "KhataEd25519", "KhataCore", "KhataLog", "KhataLiabilities", "KhataVerify", "KhataAPI", "KhataFiles"]
        ),
        .target(
            name: "KhataWitnessServer",
            dependencies: [
                "KhataBytes", "KhataLog", "KhataStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "KhataNode",
            dependencies: [
                "KhataBytes", "KhataEd25519", "KhataCore", "KhataLog", "KhataLiabilities", "KhataVerify", "KhataStorage", "KhataEngine",
                "KhataAPI", "KhataClient", "KhataFiles", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: [.copy("Explorer")]
        ),
        .target(
            name: "KhataBench",
            dependencies: [
                "KhataBytes", "KhataEd25519", "KhataCore", "KhataLog", "KhataLiabilities", "KhataVerify", "KhataStorage", "KhataEngine",
                "KhataAPI", "KhataClient", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .target(
            name: "KhataCommands",
            dependencies: [
                "KhataBytes", "KhataEd25519", "KhataCore", "KhataLog", "KhataLiabilities", "KhataVerify", "KhataStorage", "KhataEngine",
                "KhataAPI", "KhataClient", "KhataFiles", "KhataWitnessServer", "KhataNode", "KhataBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "khata",
            dependencies: ["KhataCommands", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
        // Fuzzing (scripts/fuzz, Fuzz/README.md): the parsers of outside bytes as libFuzzer targets.
        .target(
            name: "KhataFuzzTargets",
            dependencies: ["KhataBytes", "KhataEd25519", "KhataCore", "KhataLog", "KhataNode", "KhataCommands", "KhataTestSupport"],
            path: "Fuzz/Targets"),
        .executableTarget(
            name: "khata-fuzz", dependencies: ["KhataFuzzTargets"], path: "Fuzz/Driver", swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        // The fault drills (scripts/crash-drill, scripts/stop-drill) against the real executable.
        .executableTarget(
            name: "khata-drill",
            dependencies: [
                "KhataBytes", "KhataEd25519", "KhataCore", "KhataLog", "KhataVerify", "KhataEngine", "KhataAPI", "KhataClient", "KhataNode",
            ],
            path: "Drills"),
        // Fixtures shared by the test targets: deterministic keys, a test genesis, a seeded generator,
        // journals that fail on demand, and an SQLite VFS that simulates power loss.
        .target(
            name: "KhataTestSupport",
            dependencies: ["KhataBytes", "KhataEd25519", "KhataCore", "KhataLog", "KhataVerify", "KhataStorage", "KhataEngine", "CSQLite"],
            path: "Tests/KhataTestSupport"
        ),
        .testTarget(
            name: "KhataEd25519Tests", dependencies: ["KhataEd25519", "KhataTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Vectors")]),
        .testTarget(
            name: "KhataCoreTests", dependencies: ["KhataBytes", "KhataEd25519", "KhataCore", "KhataTestSupport"], resources: [.copy("Golden")]),
        .testTarget(name: "KhataLogTests", dependencies: ["KhataBytes", "KhataLog", "KhataCore", "KhataTestSupport"], exclude: ["Vectors"]),
        .testTarget(name: "KhataFuzzTargetsTests", dependencies: ["KhataFuzzTargets"]),
        // OCF/ holds the Open Cap Format schemas the export is validated against (scripts/ocf-validate.py).
        .testTarget(
            name: "KhataAPITests", dependencies: ["KhataBytes", "KhataEd25519", "KhataCore", "KhataAPI", "KhataTestSupport"], exclude: ["OCF"]),
        // The floors: Package.swift and every import, read as text (docs/ARCHITECTURE.md).
        .testTarget(name: "KhataFloorTests"),
        .testTarget(name: "KhataLiabilitiesTests", dependencies: ["KhataLiabilities", "KhataCore", "KhataTestSupport"]),
        .testTarget(name: "KhataBenchTests", dependencies: ["KhataBench"]),
        .testTarget(name: "KhataStorageTests", dependencies: ["KhataBytes", "KhataStorage", "KhataCore", "KhataTestSupport"]),
        .testTarget(
            name: "KhataEngineTests",
            dependencies: ["KhataBytes", "KhataEd25519", "KhataLog", "KhataVerify", "KhataEngine", "KhataStorage", "KhataCore", "KhataTestSupport"]
        ),
        .testTarget(
            name: "KhataWitnessServerTests",
            dependencies: [
                "KhataWitnessServer", "KhataClient", "KhataLog", "KhataStorage", "KhataCore", "KhataBytes", "KhataEd25519", "KhataTestSupport",
            ]
        ),
        .testTarget(
            name: "KhataNodeTests",
            dependencies: [
                "KhataBytes", "KhataEd25519", "KhataCore", "KhataLog", "KhataLiabilities", "KhataVerify", "KhataStorage", "KhataEngine",
                "KhataAPI", "KhataClient", "KhataNode", "KhataBench", "KhataTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "KhataCommandsTests",
            dependencies: [
                "KhataBytes", "KhataEd25519", "KhataCore", "KhataLiabilities", "KhataStorage", "KhataEngine", "KhataNode", "KhataBench",
                "KhataCommands", "KhataTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)
