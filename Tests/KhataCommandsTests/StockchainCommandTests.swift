import ArgumentParser
import Foundation
import KhataBytes
import KhataCore
import KhataEngine
import KhataNode
import KhataTestSupport
import Testing

@testable import KhataCommands

/// The stockchain from the command line, on the dev ledger: its instruments,
/// the dividend settled without a node, a vote, a DvP simulated then made,
/// the rules refusing with their codes, a new instrument issued up to its cap.
extension CommandTests {
    @Test func stockchainFromTheCommandLine() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try khata(["init", "--dev", "--data", directory])
        let listed = try khata(["instrument", "list", "--data", directory])
        #expect(listed.contains("ACME") && listed.contains("ACME29") && listed.contains("501750"))
        // The genesis dividend, settled by the issuer: ₹0.50 a share, Asha's 1,000 earn ₹500.00,
        // of which the mainland's law withholds 10 % (₹50.00) for its treasury, as its own leg: from
        // all holders ₹25,087.50 (Acme's 4,00,000 shares ₹20,000.00, the bank's ₹5,000.00, the people's ₹87.50).
        let ashaBefore = try LedgerDirectory(directory).open().state.balance(of: DevGenesis.account("asha"), in: inr).posted
        #expect(try khata(["action", "settle", "1", "--data", directory]).contains("complete"))
        #expect(FileManager.default.fileExists(atPath: directory + "/registers/1.register"))
        // The register at its record date (entry 0, the genesis), from the node's copy in registers/.
        let atRecord = try khata(["instrument", "holders", "ACME", "--data", directory, "--at", "0"])
        #expect(atRecord.contains("register of action 1 at record date 0") && atRecord.contains("total 501750"), "\(atRecord)")
        #expect(throws: CommandFailure.self) { try khata(["instrument", "holders", "ACME", "--data", directory, "--at", "7"]) }
        // A copy that is not the committed register (one unit more) is refused, not shown beside the root.
        let registerPath = directory + "/registers/1.register"
        let kept = try #require(FileManager.default.contents(atPath: registerPath))
        var entries = try RegisterFile.decode(Array(kept), action: 1)
        entries[0] = RegisterEntry(account: entries[0].account, units: entries[0].units + 1)
        try RegisterFile.save(entries, action: 1, in: directory + "/registers")
        #expect(throws: CommandFailure.self) { try khata(["instrument", "holders", "ACME", "--data", directory, "--at", "0"]) }
        FileManager.default.createFile(atPath: registerPath, contents: kept)
        let settled = try LedgerDirectory(directory).open().state
        #expect(settled.balance(of: DevGenesis.account("asha"), in: inr).posted == ashaBefore + 45_000)
        #expect(settled.balance(of: DevGenesis.account("mainland-treasury"), in: inr).posted == 2_508_750)
        #expect(try khata(["action", "show", "1", "--data", directory]).contains("of which 2508750 withheld"))
        // A vote, by option name.
        try khata(["tx", "vote", "--data", directory, "--key", "ravi", "--ballot", "2", "--account", "ravi", "--option", "no"])
        #expect(try khata(["ballot", "show", "2", "--data", directory]).contains("no       500"))
        // DvP: simulated (exit 0, nothing logged), then made.
        let size = try LedgerDirectory(directory).open().state.size
        let dvp = [
            "tx", "dvp", "--data", directory, "--key", "asha", "--key", "ravi", "--seller", "asha", "--buyer", "ravi", "--asset", "ACME",
            "--quantity", "10",
            "--price", "250.00",
        ]
        #expect(try khata(dvp + ["--simulate"]).contains("simulated: committed"))
        #expect(try LedgerDirectory(directory).open().state.size == size)
        #expect(try khata(dvp).contains("committed"))
        let state = try LedgerDirectory(directory).open().state
        #expect(state.balance(of: DevGenesis.account("ravi"), in: DevGenesis.shares).posted == 510)
        // Matched now, settled later: both legs held and linked, then posted together.
        let held = try khata(dvp + ["--hold", "600", "--id", "0000000000000000000000000000d0d0"])
        #expect(held.contains("committed"))
        #expect(
            "posting one linked leg alone",
            performing: { try khata(["tx", "post", "--data", directory, "--key", "asha", "--pending", "0000000000000000000000000000d0d0/0"]) },
            throws: { ($0 as? ExitCode)?.rawValue == 3 })
        try khata(["tx", "dvp-post", "--data", directory, "--key", "asha", "--key", "ravi", "--matched", "0000000000000000000000000000d0d0"])
        #expect(try LedgerDirectory(directory).open().state.balance(of: DevGenesis.account("ravi"), in: DevGenesis.shares).posted == 520)
        // A receiver without an identity attestation: simulated, exit 3 with the rule's code.
        #expect(
            "an unverified receiver",
            performing: {
                try khata([
                    "tx", "transfer", "--data", directory, "--key", "asha", "--from", "asha", "--to", "rbi", "--asset", "ACME", "--amount", "1",
                    "--simulate",
                ])
            },
            throws: { ($0 as? ExitCode)?.rawValue == 3 })
        // A frozen holding: rejected holding_locked.
        try khata([
            "tx", "lock", "--data", directory, "--key", "acme-agent", "--asset", "ACME", "--account", "meera", "--amount", "all", "--reason",
            "order 7",
        ])
        #expect(
            "a frozen holding",
            performing: {
                try khata([
                    "tx", "transfer", "--data", directory, "--key", "meera", "--from", "meera", "--to", "asha", "--asset", "ACME", "--amount", "1",
                ])
            },
            throws: { ($0 as? ExitCode)?.rawValue == 3 })
        #expect(try khata(["instrument", "holders", "ACME", "--data", directory]).contains("meera     250     250"))
        // A new fund, issued up to its cap and not past it.
        let document = directory + "/fund.txt"
        FileManager.default.createFile(atPath: document, contents: Data("fund rules".utf8))
        try khata([
            "tx", "register-instrument", "--data", directory, "--key", "acme", "--issuer", "acme", "--asset", "ACMEF", "--kind", "fund", "--name",
            "Acme fund", "--document", document, "--authorised", "100", "--currency", "INR",
        ])
        let issuance = DevGenesis.account("issuance/ACMEF").hex
        try khata(["tx", "transfer", "--data", directory, "--key", "acme", "--from", issuance, "--to", "asha", "--asset", "ACMEF", "--amount", "100"])
        #expect(
            "past the cap",
            performing: {
                try khata([
                    "tx", "transfer", "--data", directory, "--key", "acme", "--from", issuance, "--to", "asha", "--asset", "ACMEF", "--amount", "1",
                ])
            },
            throws: { ($0 as? ExitCode)?.rawValue == 3 })
        let final = try LedgerDirectory(directory).open().state
        #expect(final.outstanding(of: AssetCode("ACMEF")!) == 100 && final.invariantViolations().isEmpty)
        #expect(final.securities.instruments[AssetCode("ACMEF")!]?.terms.document == Digest32.sha256(Array("fund rules".utf8)))
    }
}
