import Foundation
import KhataAPI
import KhataCore
import KhataEd25519
import KhataEngine
import KhataFiles
import KhataNode

/// The named participants of a ledger directory (`participants.json`), written by
/// `khata init --dev` and by `--genesis` files that name their accounts. Lets the
/// command line accept `asha` wherever an account id or a key file is expected.
struct Participants: Codable {
    struct Participant: Codable {
        var name: String
        var role: String
        var account: AccountID
        /// The key file, relative to the ledger directory.
        var key: String?
    }

    var participants: [Participant]

    static func fileName(in directory: String) -> String { "\(directory)/participants.json" }

    static func load(from directory: String) -> Participants {
        guard let data = FileManager.default.contents(atPath: fileName(in: directory)),
            let decoded = try? JSONDecoder().decode(Participants.self, from: data)
        else { return Participants(participants: []) }
        return decoded
    }

    func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(self) + Data("\n".utf8)), to: Participants.fileName(in: directory))
    }

    func named(_ name: String) -> Participant? { participants.first { $0.name == name } }

    func name(of account: AccountID) -> String? { participants.first { $0.account == account }?.name }

    /// An account from 32 hex digits or a participant's name.
    func account(_ text: String) throws -> AccountID {
        if let id = AccountID(hex: text) { return id }
        if let participant = named(text) { return participant.account }
        let known = participants.isEmpty ? "" : " (known names: \(participants.map(\.name).joined(separator: ", ")))"
        throw CommandFailure("\"\(text)\" is neither an account id (32 hex digits) nor a participant's name\(known)")
    }

    /// A signing key from a key file path or a participant's name.
    func signingKey(_ text: String, directory: String?) throws -> SigningKey {
        if FileManager.default.fileExists(atPath: text) { return try KeyFile.read(text).signingKey(path: text) }
        if let directory, let participant = named(text), let key = participant.key {
            let path = "\(directory)/\(key)"
            return try KeyFile.read(path).signingKey(path: path)
        }
        throw CommandFailure("no key file \"\(text)\" and no participant of that name with a key; pass a key file made by `khata keys new`")
    }
}
