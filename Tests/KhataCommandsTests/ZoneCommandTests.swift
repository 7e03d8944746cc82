import ArgumentParser
import Foundation
import KhataBytes
import KhataCore
import KhataEngine
import KhataTestSupport
import Testing

@testable import KhataCommands

/// Zones and laws from the command line, on the dev ledger: the zones and
/// their laws shown, a payment across the border paying its levies as its own
/// legs, a law change proposed from the template, shown with its effect,
/// vetoed by a governor and cancelled by the guardian (not by a governor), and
/// the exit in both directions.
extension CommandTests {
    @Test func zonesFromTheCommandLine() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try khata(["init", "--dev", "--data", directory])
        let zones = try khata(["zone", "list", "--data", directory])
        #expect(zones.contains("Mainland") && zones.contains("Khata SEZ"), "\(zones)")
        let sez = try khata(["zone", "show", "1", "--data", directory])
        #expect(sez.contains("may receive: ACME, ACME29, INR") && sez.contains("to move in: tier 1"), "\(sez)")
        #expect(throws: CommandFailure.self) { try khata(["zone", "show", "9", "--data", directory]) }

        // ₹500.00 from Asha (mainland) to Kiran (SEZ): 0.25 % to the mainland's treasury, as its own leg.
        #expect(
            try khata([
                "tx", "transfer", "--data", directory, "--key", "asha", "--from", "asha", "--to", "kiran", "--asset", "INR", "--amount", "500.00",
            ]).contains("committed"))
        var state = try LedgerDirectory(directory).open().state
        #expect(state.balance(of: DevGenesis.account("mainland-treasury"), in: inr).posted == 125)
        #expect(try khata(["log", "list", "--data", directory]).contains("levy of zone 0 on operation 0: 1.25"))

        // A proposal made from the law in force, with a higher tier-0 daily cap.
        let template = try khata(["law", "template", "0", "--data", directory])
        var law = try JSONDecoder().decode(Law.self, from: Data(template.utf8))
        law.tiers[0].daily = Amount(7_500_000)
        let lawPath = directory + "/law.json"
        try JSONEncoder().encode(law).write(to: URL(fileURLWithPath: lawPath))
        #expect(try khata(["law", "hash", lawPath]).trimmingCharacters(in: .whitespacesAndNewlines) == law.hash.hex)
        #expect(
            try khata(["proposal", "new", "--data", directory, "--key", "zone-governor-1", "--zone", "0", "--law", lawPath]).contains("committed"))
        #expect(try khata(["proposal", "list", "--data", directory, "--zone", "0"]).contains("proposal 2 for zone 0"))
        let shown = try khata(["proposal", "show", "2", "--data", directory])
        #expect(
            shown.contains("tiers.0.daily: 5000000 → 7500000") && shown.contains("simulated effect")
                && shown.contains("levies on the last 30 days' 1 payment(s)"), "\(shown)")
        #expect(try khata(["proposal", "vote", "2", "--data", directory, "--key", "zone-governor-2", "--choice", "veto"]).contains("committed"))
        #expect(try khata(["proposal", "show", "2", "--data", directory]).contains("if voting ended now: vetoed"))
        // Only the guardian cancels: a governor's cancel is refused before the log (exit 4).
        #expect { try khata(["proposal", "cancel", "2", "--data", directory, "--key", "zone-governor-1"]) } throws: { $0 is TransactionRefused }
        #expect(try khata(["proposal", "cancel", "2", "--data", directory, "--key", "zone-guardian"]).contains("committed"))
        #expect(try khata(["proposal", "show", "2", "--data", directory]).contains("cancelled at entry"))

        // The exit: Ravi (tier 1) moves into the SEZ; Kiran leaves it, paying the 1 % its law declared when Kiran entered.
        #expect(try khata(["zone", "move", "--data", directory, "--key", "ravi", "--account", "ravi", "--zone", "1"]).contains("committed"))
        let kiranBefore = try LedgerDirectory(directory).open().state.balance(of: DevGenesis.account("kiran"), in: inr).available
        #expect(try khata(["zone", "move", "--data", directory, "--key", "kiran", "--account", "kiran", "--zone", "0"]).contains("committed"))
        state = try LedgerDirectory(directory).open().state
        #expect(state.accounts[DevGenesis.account("ravi")]?.zone == 1 && state.accounts[DevGenesis.account("kiran")]?.zone == 0)
        #expect(state.balance(of: DevGenesis.account("sez-treasury"), in: inr).posted == kiranBefore / 100)
        // Acme (tier 0 on the mainland) may not send more than ₹10,000.00 at once: exit 3, and the
        // logged outcome names the rule and the law.
        let id = "000000000000000000000000000000a1"
        #expect {
            try khata([
                "tx", "transfer", "--data", directory, "--key", "acme", "--from", "acme", "--to", "asha", "--asset", "INR", "--amount", "10000.01",
                "--id", id,
            ])
        } throws: { ($0 as? ExitCode)?.rawValue == 3 }
        state = try LedgerDirectory(directory).open().state
        let mainland = try #require(state.zones.zones[0]).law.hash
        #expect(state.record(of: TransactionID(hex: id)!)?.outcome == .rejected(.lawPaymentCap, operation: 0, law: mainland))
        // A new zone, registered by the ledger's issuer with a law file; a governor cannot.
        var portLaw = law
        portLaw.withholdingBasisPoints = 0
        try JSONEncoder().encode(portLaw).write(to: URL(fileURLWithPath: lawPath))
        let register = [
            "zone", "register", "--data", directory, "--zone", "3", "--name", "Port zone", "--governor", "zone-governor-1",
            "--governor", "zone-governor-2", "--guardian", "zone-guardian", "--quorum", "2", "--threshold", "2", "--law", lawPath,
        ]
        #expect { try khata(register + ["--key", "zone-governor-1"]) } throws: { $0 is TransactionRefused }
        #expect(try khata(register + ["--key", "rbi"]).contains("committed"))
        #expect(try khata(["zone", "list", "--data", directory]).contains("Port zone"))
        let json = try khata(["law", "show", "1", "--data", directory, "--json"])
        let shownLaw = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(shownLaw["version"] as? Int == 1 && (shownLaw["law"] as? [String: Any])?["entry_minimum_tier"] as? Int == 1)
    }
}
