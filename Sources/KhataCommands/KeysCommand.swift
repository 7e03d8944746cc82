import ArgumentParser
import Foundation
import KhataAPI
import KhataCore
import KhataEd25519
import KhataNode

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make and inspect Ed25519 signing keys.",
        subcommands: [New.self, Show.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a new Ed25519 key and write it to a key file (mode 0600).",
            discussion: """
                Example:
                  khata keys new --name treasury --out treasury.key
                Prints the public key, which is what goes into an account's controllers.
                """
        )

        @Option(help: ArgumentHelp("Where to write the key file; an existing file is kept unless --force.", valueName: "file"))
        var out: String

        @Flag(help: "Replace an existing key file at --out (its old key is lost).")
        var force = false

        @Option(help: "A name for the key, stored in the file.")
        var name: String?

        func run() throws {
            let key = SigningKey()
            let name = name ?? URL(fileURLWithPath: out).deletingPathExtension().lastPathComponent
            try KeyFile(name: name, key: key).write(to: out, replace: force)
            print(key.publicKey.hex)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the public key of a key file.",
            discussion: "Example:\n  khata keys show treasury.key"
        )

        @Argument(help: ArgumentHelp("The key file.", valueName: "file"))
        var file: String

        func run() throws {
            let key = try KeyFile.read(file).signingKey(path: file)
            print(key.publicKey.hex)
        }
    }
}
