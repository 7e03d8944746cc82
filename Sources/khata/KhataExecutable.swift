import KhataCommands

/// The `khata` executable: everything is in `KhataCommands`.
@main
enum KhataExecutable {
    static func main() async { await Khata.runFromCommandLine() }
}
