import ArgumentParser

/// The `khata` command: the root of every subcommand.
public struct Khata: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "khata",
        abstract: "An open, verifiable ledger for money and assets.",
        discussion: """
            Start a development ledger with demo participants, then pay:

              khata init --dev --data ./ledger
              khata tx transfer --data ./ledger --key asha --from asha --to ravi --amount 250.00 --asset INR
              khata account show asha --data ./ledger

            Every command works on a ledger directory (--data). See docs/ for the design.
            """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, KeysCommand.self, TxCommand.self, AccountCommand.self, LogCommand.self,
            StateCommand.self, CheckpointCommand.self, ProofCommand.self, AuditCommand.self, BenchCommand.self,
        ]
    )

    public init() {}
}

/// A command failure with a message that says what was wrong and what to do.
public struct CommandFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
