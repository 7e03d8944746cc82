import ArgumentParser
import Foundation

/// The `khata` command: the root of every subcommand.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct Khata: AsyncParsableCommand {
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
            InitCommand.self, DevCommand.self, NodeCommand.self, KeysCommand.self, TxCommand.self, AccountCommand.self, LogCommand.self,
            StateCommand.self, CheckpointCommand.self, ProofCommand.self, AuditCommand.self, ReservesCommand.self, InstrumentCommand.self,
            ActionCommand.self, BallotCommand.self, ZoneCommand.self, LawCommand.self, ProposalCommand.self, AddressCommand.self, PayURICommand.self,
            QuoteCommand.self, RemittanceCommand.self, CorridorsCommand.self, WitnessCommand.self, RestoreCommand.self, BenchCommand.self,
        ]
    )

    public init() {}
}

/// A command failure with a message that says what was wrong and what to do.
public struct CommandFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A transaction the ledger refused before its log: its signers were not
/// enough. Exits with `TxCommand.refusedExitCode` (4), not 3: nothing was
/// logged and the id is still free.
public struct TransactionRefused: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Khata {
    /// Parses the process's arguments and runs the command. Asynchronous, so that
    /// commands that serve (`khata witness serve`) can run their servers.
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot(nil)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let refused as TransactionRefused {
            FileHandle.standardError.write(Data("Error: \(refused)\n".utf8))
            exit(withError: ExitCode(TxCommand.refusedExitCode))
        } catch {
            exit(withError: error)
        }
    }
}
