import Foundation
import KhataAPI
import KhataBytes
import KhataCore
import KhataTestSupport
import Testing

/// OCF packages in memory: an export reads back as the same register, and
/// each kind of malformed package is refused with its file and field named.
/// (The export's validation against the OCF schemas is in the command tests.)
@Suite struct OCFTests {
    /// The fixture's ACME (1,000 authorised, 300 issued to Alice) plus 50 to Bob.
    private static func package() throws -> [String: [UInt8]] {
        var state = StockchainFixture.state()
        #expect(
            StockchainFixture.apply(
                &state, Fixture.transaction(900, [StockchainFixture.share(50, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey]))
                == .committed)
        let view = InstrumentView(state.securities.instruments[StockchainFixture.shares]!, state: state)
        let holdings = [(Fixture.alice, 250), (Fixture.bob, 50)].map { OCFHolding(account: $0.0, units: Amount($0.1), name: nil) }
        let export = try OCFExport(
            instrument: view, holdings: holdings, issuer: OCFIssuer(legalName: "Acme Tea Ltd", formationDate: "2019-04-01", country: "IN"),
            currencyScale: 2, asOf: Timestamp(milliseconds: 1_700_000_000_000), generatedAt: Timestamp(milliseconds: 1_700_000_000_000))
        return Dictionary(uniqueKeysWithValues: export.files.map { ($0.name, $0.bytes) })
    }

    private static func read(_ files: [String: [UInt8]], stockClass: String? = nil) throws(OCFError) -> OCFOpeningRegister {
        try OCFPackageReader.read(manifest: files[OCFExport.manifestName]!, scale: 0, stockClass: stockClass) { path in
            guard let bytes = files[path] else { throw CocoaError(.fileNoSuchFile) }
            return bytes
        }
    }

    /// Edits one file as JSON and, unless `keepingMD5`, lists its new MD5 in the manifest.
    private static func edit(
        _ files: [String: [UInt8]], _ name: String, keepingMD5: Bool = false, _ change: (inout [String: Any]) -> Void
    ) throws -> [String: [UInt8]] {
        var files = files
        var object = try JSONSerialization.jsonObject(with: Data(files[name]!)) as! [String: Any]
        change(&object)
        files[name] = Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        guard !keepingMD5, name != OCFExport.manifestName else { return files }
        return try edit(files, OCFExport.manifestName) { manifest in
            for key in manifest.keys where key.hasSuffix("_files") {
                manifest[key] = (manifest[key] as! [[String: String]]).map { entry in
                    entry["filepath"] == "./\(name)" ? ["filepath": "./\(name)", "md5": OCFPackageReader.md5(files[name]!)] : entry
                }
            }
        }
    }

    private static func editItem(_ files: [String: [UInt8]], _ name: String, _ index: Int, _ change: @escaping (inout [String: Any]) -> Void) throws
        -> [String: [UInt8]]
    {
        try edit(files, name) { file in
            var items = file["items"] as! [[String: Any]]
            change(&items[index])
            file["items"] = items
        }
    }

    /// OCF numbers are whole units: "10" of a currency with two decimals is 1000 minor units.
    @Test func numbersAreWholeUnits() throws {
        #expect(try OCFPackageReader.majorUnits("10", scale: 2) == Amount(1_000))
        #expect(try OCFPackageReader.majorUnits("10.5", scale: 2) == Amount(1_050))
        #expect(try OCFPackageReader.majorUnits("20.000", scale: 0) == Amount(20))
        #expect(throws: MalformedInput.self) { try OCFPackageReader.majorUnits("12.5", scale: 0) }
        #expect(throws: MalformedInput.self) { try OCFPackageReader.majorUnits("-1", scale: 0) }
        #expect(throws: MalformedInput.self) { try OCFPackageReader.majorUnits("1e3", scale: 0) }
        #expect(throws: MalformedInput.self) { try OCFPackageReader.majorUnits("99999999999999999999", scale: 0) }
    }

    @Test func anExportReadsBackAsTheSameRegister() throws {
        let register = try Self.read(try Self.package())
        #expect(register.issuerName == "Acme Tea Ltd" && register.stockClassID == "ACME" && register.classType == "COMMON")
        #expect(register.authorised == Amount(1_000))
        #expect(register.parValue?.amount == "10.00" && register.parValue?.currency == "INR")
        #expect(register.holdings.map(\.account) == [Fixture.alice, Fixture.bob] && register.holdings.map(\.units) == [Amount(250), Amount(50)])
    }

    /// Several issuances to one stakeholder are one holding; whole-number decimals ("20.000") are whole units.
    @Test func issuancesToOneStakeholderAddUp() throws {
        var files = try Self.package()
        files = try Self.edit(files, "Transactions.ocf.json") { file in
            var items = file["items"] as! [[String: Any]]
            var extra = items[0]
            extra["id"] = "ACME-3"
            extra["security_id"] = "ACME-3"
            extra["quantity"] = "20.000"
            items.append(extra)
            file["items"] = items
        }
        #expect(try Self.read(files).holdings.map(\.units) == [Amount(270), Amount(50)])
    }

    @Test func malformedPackagesAreRefusedNamingFileAndField() throws {
        let files = try Self.package()
        let cases: [(String, [String: [UInt8]], String, String)] = [
            (
                "a file changed after the manifest was written", try Self.edit(files, "Stakeholders.ocf.json", keepingMD5: true) { _ in },
                OCFExport.manifestName, "stakeholders_files[0].md5"
            ),
            (
                "a path out of the package",
                try Self.edit(files, OCFExport.manifestName) {
                    $0["stakeholders_files"] = [["filepath": "../etc/passwd", "md5": String(repeating: "0", count: 32)]]
                },
                OCFExport.manifestName, "stakeholders_files[0].filepath"
            ),
            (
                "another OCF version", try Self.edit(files, OCFExport.manifestName) { $0["ocf_version"] = "0.9" }, OCFExport.manifestName,
                "ocf_version"
            ),
            (
                "a stakeholder without its account", try Self.editItem(files, "Stakeholders.ocf.json", 0) { $0["issuer_assigned_id"] = nil },
                "Stakeholders.ocf.json", "items[0].issuer_assigned_id"
            ),
            (
                "an account that is not one", try Self.editItem(files, "Stakeholders.ocf.json", 1) { $0["issuer_assigned_id"] = "bob" },
                "Stakeholders.ocf.json", "items[1].issuer_assigned_id"
            ),
            (
                "a fraction of a share", try Self.editItem(files, "Transactions.ocf.json", 1) { $0["quantity"] = "12.5" },
                "Transactions.ocf.json", "items[1].quantity"
            ),
            (
                "a negative quantity", try Self.editItem(files, "Transactions.ocf.json", 1) { $0["quantity"] = "-5" },
                "Transactions.ocf.json", "items[1].quantity"
            ),
            (
                "a transfer, not an issuance", try Self.editItem(files, "Transactions.ocf.json", 0) { $0["object_type"] = "TX_STOCK_TRANSFER" },
                "Transactions.ocf.json", "items[0].object_type"
            ),
            (
                "an unknown stakeholder", try Self.editItem(files, "Transactions.ocf.json", 0) { $0["stakeholder_id"] = "nobody" },
                "Transactions.ocf.json", "items[0].stakeholder_id"
            ),
            (
                "another stock class", try Self.editItem(files, "Transactions.ocf.json", 0) { $0["stock_class_id"] = "PREF" },
                "Transactions.ocf.json", "items[0].stock_class_id"
            ),
            (
                "more than authorised", try Self.editItem(files, "StockClasses.ocf.json", 0) { $0["initial_shares_authorized"] = "299" },
                OCFExport.manifestName, "stock_classes_files"
            ),
            (
                "an unlimited class", try Self.editItem(files, "StockClasses.ocf.json", 0) { $0["initial_shares_authorized"] = "UNLIMITED" },
                "StockClasses.ocf.json", "items[0].initial_shares_authorized"
            ),
            (
                "a wrong file type", try Self.edit(files, "Stakeholders.ocf.json") { $0["file_type"] = "OCF_STOCK_CLASSES_FILE" },
                "Stakeholders.ocf.json", "file_type"
            ),
            (
                "shares that vest", try Self.editItem(files, "Transactions.ocf.json", 1) { $0["vesting_terms_id"] = "four-years" },
                "Transactions.ocf.json", "items[1].vesting_terms_id"
            ),
            (
                "a quantity written as a JSON number", try Self.editItem(files, "Transactions.ocf.json", 0) { $0["quantity"] = 250 },
                "Transactions.ocf.json", "items[0].quantity"
            ),
            (
                "a file listed twice",
                try Self.edit(files, OCFExport.manifestName) {
                    $0["transactions_files"] = ($0["transactions_files"] as! [Any]) + ($0["transactions_files"] as! [Any])
                },
                OCFExport.manifestName, "transactions_files[1].filepath"
            ),
        ]
        for (what, package, file, field) in cases {
            do {
                _ = try Self.read(package)
                Issue.record("\(what): read without complaint")
            } catch {
                #expect(error.file.hasSuffix(file) && error.field == field, "\(what): \(error)")
            }
        }
    }

    /// Two stock classes: the reader wants one named, and takes the one named.
    @Test func severalStockClassesNeedOneNamed() throws {
        let files = try Self.edit(try Self.package(), "StockClasses.ocf.json") { file in
            var items = file["items"] as! [[String: Any]]
            var preferred = items[0]
            preferred["id"] = "PREF"
            preferred["class_type"] = "PREFERRED"
            items.append(preferred)
            file["items"] = items
        }
        #expect { try Self.read(files) } throws: { "\($0)".contains("name one with --stock-class") }
        #expect(try Self.read(files, stockClass: "ACME").holdings.count == 2)
        // The other class's issuances are not this import's: PREF has none.
        #expect(try Self.read(files, stockClass: "PREF").holdings.isEmpty)
        #expect { try Self.read(files, stockClass: "NONE") } throws: { "\($0)".contains("no stock class has id \"NONE\"") }
    }
}
