import Foundation
import KhataFuzzTargets

#if KHATA_FUZZING
    // libFuzzer's entry point (built with -sanitize=fuzzer by scripts/fuzz); the
    // target is named by KHATA_FUZZ_TARGET.
    private let target: @Sendable ([UInt8]) -> Void = {
        let name = ProcessInfo.processInfo.environment["KHATA_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTargets.target(named: name) else {
            fatalError("set KHATA_FUZZ_TARGET to one of: \(FuzzTargets.all.map(\.name).joined(separator: ", "))")
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        target(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    // SwiftPM links an executable's entry point as `<module>_main`; libFuzzer's
    // own `main` would be unreachable, so this one hands over to its driver.
    @_cdecl("khata_fuzz_main")
    public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
        var count = argc
        var arguments = argv
        return runFuzzerDriver(&count, &arguments) { data, size in testOneInput(data, size) }
    }
#else
    /// Without the fuzzer: `khata-fuzz TARGET FILE…` runs files through a target
    /// (to replay a crash); `khata-fuzz --write-seeds DIR` writes the seed corpus.
    @main struct Replay {
        static func main() throws {
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments.first == "--write-seeds", arguments.count == 2 {
                for seed in FuzzTargets.seeds() {
                    let folder = "\(arguments[1])/\(seed.target)"
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                    try Data(seed.bytes).write(to: URL(fileURLWithPath: "\(folder)/\(seed.name)"))
                }
                print("wrote \(FuzzTargets.seeds().count) seeds to \(arguments[1])")
                return
            }
            guard let name = arguments.first, name != "--list", let target = FuzzTargets.target(named: name) else {
                print("usage: khata-fuzz TARGET FILE…   (targets: \(FuzzTargets.all.map(\.name).joined(separator: ", ")))")
                print("Fuzzing itself: scripts/fuzz [SECONDS] [TARGET…]")
                return
            }
            for path in arguments.dropFirst() {
                target(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
                print("ok  \(path)")
            }
        }
    }
#endif
