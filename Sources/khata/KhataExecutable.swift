import KhataCommands
import NIOCore
import NIOPosix

/// The `khata` executable: everything is in `KhataCommands`.
@main
enum KhataExecutable {
    static func main() async {
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await Khata.runFromCommandLine()
    }
}
