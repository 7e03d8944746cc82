import ArgumentParser
import Foundation
import KhataCore
import KhataEngine
import KhataTestSupport
import Testing

@testable import KhataCommands

/// Cap tables out and in: the dev ledger's ACME register exported as an OCF
/// package (checked against the OCF schemas where Python's jsonschema is
/// installed: CI installs it), imported as a new instrument with the same
/// holders; a malformed package is refused with its file and field named, and
/// nothing is created.
extension CommandTests {
    @Test func capTablesOutAndInAsOCF() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        try khata(["init", "--dev", "--data", directory])
        let package = directory + "/acme-ocf"
        let written = try khata([
            "instrument", "export-ocf", "ACME", "--data", directory, "--out", package, "--legal-name", "Acme Tea Ltd", "--formation-date",
            "2019-04-01",
        ])
        #expect(written.contains("ACME with 5 holder(s)"))
        #expect(throws: CommandFailure.self) { try khata(["instrument", "export-ocf", "ACME29", "--data", directory, "--out", package + "-bond"]) }

        // CI installs jsonschema, so there the check always runs.
        #expect(OCFSchemaCheck.isAvailable || ProcessInfo.processInfo.environment["CI"] == nil, "CI lacks python3's jsonschema")
        if OCFSchemaCheck.isAvailable {
            let (status, report) = try OCFSchemaCheck.validate(package)
            #expect(status == 0, "\(report)")
            #expect(report.contains("Transactions.ocf.json: valid (OCF_TRANSACTIONS_FILE, 5 items)"), "\(report)")
        }

        // Imported as a new class: the same holders with the same units, in one entry.
        let before = try LedgerDirectory(directory).open().state
        #expect(
            try khata(["tx", "import-ocf", package, "--data", directory, "--key", "acme", "--issuer", "acme", "--asset", "ACMEC"]).contains(
                "committed"))
        let after = try LedgerDirectory(directory).open().state
        #expect(after.size == before.size + 1)
        let (old, new) = (DevGenesis.shares, AssetCode("ACMEC")!)
        for name in ["acme", "bank-one", "asha", "ravi", "meera"] {
            let account = DevGenesis.account(name)
            #expect(after.balance(of: account, in: new).posted == before.balance(of: account, in: old).posted, "\(name)")
        }
        #expect(after.outstanding(of: new) == before.outstanding(of: old))
        #expect(after.securities.instruments[new]?.authorised == before.securities.instruments[old]?.authorised)
        #expect(after.invariantViolations().isEmpty)

        // A malformed package: refused before anything is signed, naming file and field.
        let transactions = package + "/Transactions.ocf.json"
        var text = try String(contentsOfFile: transactions, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"quantity\" : \"1000\"", with: "\"quantity\" : \"1000.5\"")
        try text.write(toFile: transactions, atomically: true, encoding: .utf8)
        do {
            try khata(["tx", "import-ocf", package, "--data", directory, "--key", "acme", "--issuer", "acme", "--asset", "ACMED"])
            Issue.record("a package whose file no longer matches its MD5 was imported")
        } catch let failure as CommandFailure {
            #expect("\(failure)".contains("Transactions.ocf.json") && "\(failure)".contains("MD5"), "\(failure)")
        }
        #expect(try LedgerDirectory(directory).open().state.size == after.size)
    }
}

/// Runs scripts/ocf-validate.py, which checks a package against the OCF
/// schemas kept in Tests/KhataAPITests/OCF, when python3 has jsonschema.
enum OCFSchemaCheck {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    static let isAvailable: Bool = {
        (try? run(["python3", "-c", "import jsonschema, referencing"]).status) == 0
    }()

    static func validate(_ package: String) throws -> (status: Int32, report: String) {
        try run(["python3", root + "/scripts/ocf-validate.py", package])
    }

    private static func run(_ arguments: [String]) throws -> (status: Int32, report: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
