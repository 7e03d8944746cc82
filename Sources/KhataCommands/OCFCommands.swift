import ArgumentParser
import Foundation
import KhataAPI
import KhataBytes
import KhataClient
import KhataCore
import KhataFiles

// Cap tables out and in as Open Cap Format packages (docs/STOCKCHAIN.md, "Cap tables in OCF").

extension InstrumentCommand {
    struct ExportOCF: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-ocf",
            abstract: "Write an equity instrument's register as an Open Cap Format package.",
            discussion: """
                Writes Manifest.ocf.json, StockClasses.ocf.json, Stakeholders.ocf.json and Transactions.ocf.json: the instrument as one stock class, each holder as a stakeholder (its account in issuer_assigned_id), each holding as one stock issuance at the package's date.
                Example:
                  khata instrument export-ocf ACME --data ./ledger --out ./acme-ocf --legal-name "Acme Tea Ltd" --formation-date 2019-04-01
                  khata instrument export-ocf ACME --node http://127.0.0.1:7370 --data ./ledger --out ./acme-ocf
                """)
        @OptionGroup var source: ReadSource
        @Argument(help: "The equity instrument's asset code.")
        var asset: String
        @Option(
            help: ArgumentHelp("The directory to write the package to (created; existing files of the same names are replaced).", valueName: "dir"))
        var out: String
        @Option(help: "The issuer's legal name (default: its participant name, or its account id).")
        var legalName: String?
        @Option(help: "The issuer's formation date, YYYY-MM-DD, which OCF requires and the ledger does not record (default: the package's date).")
        var formationDate: String?
        @Option(help: "The issuer's country of formation (ISO 3166-1 alpha-2).")
        var country = "IN"

        func validate() throws {
            guard country.utf8.count == 2, country.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
                throw ValidationError("--country is two capital letters (ISO 3166-1 alpha-2), for example IN")
            }
            if let formationDate {
                guard formationDate.utf8.count == 10, let time = try? parseTime(formationDate, "--formation-date"),
                    OCFExport.date(time) == formationDate
                else { throw ValidationError("--formation-date is a date, YYYY-MM-DD") }
            }
        }

        func run() throws {
            let code = try assetCode(asset)
            let register = try source.read(
                local: { state in try Register(state: state, code: code) },
                remote: { client in try Register(client: client, code: code) })
            let holdings = register.lines.map {
                OCFHolding(account: $0.account, units: $0.units, name: source.ledger.participants.name(of: $0.account))
            }
            let asOf = register.time ?? Timestamp(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000))
            let issuerName = legalName ?? source.ledger.participants.name(of: register.view.issuer) ?? "account \(register.view.issuer.hex)"
            let package: OCFExport
            do {
                package = try OCFExport(
                    instrument: register.view, holdings: holdings,
                    issuer: OCFIssuer(legalName: issuerName, formationDate: formationDate ?? OCFExport.date(asOf), country: country),
                    currencyScale: register.currencyScale, asOf: asOf,
                    generatedAt: Timestamp(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000)))
            } catch { throw CommandFailure("\(error)") }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for file in package.files { try AtomicFile.write(file.bytes, to: "\(out)/\(file.name)") }
            print(
                "wrote \(package.files.count) files to \(out): \(register.view.asset) with \(holdings.count) holder(s), \(AmountText.format(register.view.outstanding, scale: register.view.scale)) outstanding, after \(register.size) entries"
            )
        }

        /// The instrument, every holder and the currency's scale, read at one
        /// ledger size (through a node, pages are read again if the ledger moved
        /// between them).
        struct Register {
            let view: InstrumentView
            let lines: [HolderPage.Line]
            let currencyScale: UInt8
            let size: UInt64
            /// The ledger's time, when read from the directory.
            let time: Timestamp?

            init(state: LedgerState, code: AssetCode) throws {
                guard let instrument = state.securities.instruments[code] else { throw CommandFailure("\(code) is not an instrument of this ledger") }
                view = InstrumentView(instrument, state: state)
                var lines: [HolderPage.Line] = []
                var from: UInt64? = 0
                while let start = from, let page = HolderPage(state, instrument: code, from: start, limit: Limits.maxPageEntries, at: state.time) {
                    lines += page.lines
                    from = page.next
                }
                self.lines = lines
                currencyScale = try state.scale(of: view.currency) ?? 0
                size = state.size
                time = state.time
            }

            init(client: KhataClient, code: AssetCode) throws {
                for _ in 0..<5 {
                    let view = try client.instrument(code)
                    var lines: [HolderPage.Line] = []
                    var page = try client.holders(of: code, from: 0, limit: Limits.maxPageEntries)
                    let size = page.size
                    lines += page.lines
                    while let next = page.next, page.size == size {
                        page = try client.holders(of: code, from: next, limit: Limits.maxPageEntries)
                        lines += page.lines
                    }
                    // The ledger moved (a page of another size, or the instrument changed): read it all again.
                    guard page.size == size else { continue }
                    let after = try client.instrument(code)
                    guard after.outstanding == view.outstanding, after.authorised == view.authorised, after.holders == lines.count else {
                        continue
                    }
                    self.view = view
                    self.lines = lines
                    currencyScale = try NodeFacts(client: client).scale(of: view.currency) ?? 0
                    self.size = size
                    time = nil
                    return
                }
                throw CommandFailure("the ledger kept changing while its holders were read; try again, or export from the ledger directory")
            }
        }
    }
}

extension TxCommand {
    struct ImportOCF: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-ocf",
            abstract: "Register a new equity instrument with its opening register from an Open Cap Format package.",
            discussion: """
                Reads the package's manifest and files, checks every row (a problem is named by file and field, and nothing is created), then registers the instrument and issues each stakeholder's holding in one transaction signed by the issuer. Each stakeholder's issuer_assigned_id must be its Khata account (32 hex digits); transactions must be stock issuances of the one stock class (or of --stock-class); at most 900 holders.
                Example:
                  khata tx import-ocf ./acme-ocf --data ./ledger --key acme --issuer acme --asset ACMEC --simulate
                  khata tx import-ocf ./acme-ocf --data ./ledger --key acme --issuer acme --asset ACMEC --identity-provider kyc-provider --minimum-tier 1
                """)
        @OptionGroup var common: TransactionOptions
        @Argument(help: ArgumentHelp("The package's directory (holding Manifest.ocf.json) or its manifest file.", valueName: "package"))
        var package: String
        @Option(help: "The issuer account (id or participant name); its keys sign.")
        var issuer: String
        @Option(help: "The new asset code, for example ACMEC.")
        var asset: String
        @Option(help: "The stock class to import, by its OCF id (needed when the package has several).")
        var stockClass: String?
        @Option(help: "The display name (default: the stock class's name; at most 64 bytes).")
        var name: String?
        @Option(help: "The offering document: a file or 64 hex digits of its SHA-256 (default: a SHA-256 over every file of the package).")
        var document: String?
        @Option(help: "The currency par values are in; a package whose par value is in another currency is refused unless --par is given.")
        var currency = "INR"
        @Option(help: "The par value of one share in the currency (default: the package's, or 0 if it has none).")
        var par: String?
        @Option(help: "The instrument's issuance account (32 hex digits). Default: derived from the asset code.")
        var issuanceAccount: String?
        @OptionGroup var rules: InstrumentRuleOptions

        func run() throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: package, isDirectory: &isDirectory) else { throw CommandFailure("no package at \(package)") }
            let root = isDirectory.boolValue ? package : (package as NSString).deletingLastPathComponent
            let manifestPath = isDirectory.boolValue ? "\(package)/\(OCFExport.manifestName)" : package
            let manifest = try readFile(manifestPath)
            let register: OCFOpeningRegister
            do {
                let base = URL(fileURLWithPath: root.isEmpty ? "." : root).resolvingSymlinksInPath().path
                register = try OCFPackageReader.read(manifest: manifest, scale: 0, stockClass: stockClass) { path in
                    // The listed path is already relative and free of `..`; a symbolic link must not lead out either.
                    let resolved = URL(fileURLWithPath: "\(base)/\(path)").resolvingSymlinksInPath().path
                    guard resolved.hasPrefix(base + "/") else { throw CommandFailure("\(path) leads out of the package") }
                    return try readFile(resolved)
                }
            } catch { throw CommandFailure("the package was not imported: \(error)") }
            try common.submit { state, participants in
                let code = try assetCode(asset)
                let currencyCode = try assetCode(currency)
                guard let currencyScale = try state.scale(of: currencyCode) else {
                    throw CommandFailure("\(currencyCode) is not an asset of this ledger")
                }
                let parValue: Amount
                if let par {
                    parValue = try AmountText.parse(par, scale: currencyScale)
                } else if let packaged = register.parValue {
                    guard packaged.currency == currency else {
                        throw CommandFailure(
                            "the package's par value is in \(packaged.currency), not \(currency): pass --currency \(packaged.currency) (an asset of this ledger) or --par"
                        )
                    }
                    parValue = try OCFPackageReader.majorUnits(packaged.amount, scale: currencyScale)
                } else {
                    parValue = .zero
                }
                let displayName = name ?? register.className
                guard displayName.utf8.count <= Limits.maxInstrumentNameBytes else {
                    throw CommandFailure("the stock class's name is longer than \(Limits.maxInstrumentNameBytes) bytes; pass --name")
                }
                let shareClass = register.className.utf8.count <= Limits.maxShareClassBytes ? register.className : register.classType.lowercased()
                let issuance =
                    try issuanceAccount.map { text -> AccountID in
                        guard let id = AccountID(hex: text) else { throw CommandFailure("--issuance-account is 32 hex digits") }
                        return id
                    } ?? derivedAccount("issuance/\(code)")
                let registration = LedgerOperation.registerInstrument(
                    KhataCore.RegisterInstrument(
                        asset: code, scale: 0, issuer: try participants.account(issuer), issuanceAccount: issuance, name: displayName,
                        document: try document.map(documentDigest) ?? register.packageDigest, authorised: register.authorised,
                        currency: currencyCode, terms: .equity(EquityTerms(shareClass: shareClass, parValue: parValue)),
                        rules: try rules.rules(participants: participants)))
                return [registration]
                    + register.holdings.map {
                        .transfer(KhataCore.Transfer(asset: code, debit: issuance, credit: $0.account, amount: $0.units))
                    }
            }
        }

        /// A regular file's bytes, at most `OCF.maxFileBytes` (a FIFO or device is refused, not waited on).
        private func readFile(_ path: String) throws -> [UInt8] {
            let type = (try? FileManager.default.attributesOfItem(atPath: path)[.type]) as? FileAttributeType
            guard type == .typeRegular else { throw CommandFailure("\(path) is not a regular file") }
            guard let handle = FileHandle(forReadingAtPath: path) else { throw CommandFailure("cannot read \(path)") }
            defer { try? handle.close() }
            let data = try handle.read(upToCount: OCF.maxFileBytes + 1) ?? Data()
            guard data.count <= OCF.maxFileBytes else { throw CommandFailure("\(path) is larger than \(OCF.maxFileBytes) bytes") }
            return Array(data)
        }
    }
}
