// swift-tools-version:6.2
// Micro-benchmarks of Khata's hot paths with ordo-one/benchmark, as a package of
// its own (as Hummingbird keeps its benchmarks) so that the main package's build
// and tests never compile the benchmark harness. See README.md.
import PackageDescription

let package = Package(
    name: "khata-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "khata", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KhataMicro",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KhataBytes", package: "khata"),
                .product(name: "KhataEd25519", package: "khata"),
                .product(name: "KhataLog", package: "khata"),
                .product(name: "KhataCore", package: "khata"),
                .product(name: "KhataAPI", package: "khata"),
                .product(name: "KhataBench", package: "khata"),
            ],
            path: "Benchmarks/KhataMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
