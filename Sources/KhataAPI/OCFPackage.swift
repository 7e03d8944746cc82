import Crypto
import Foundation
import KhataBytes
import KhataCore

// Cap tables out and in as Open Cap Format packages (docs/STOCKCHAIN.md,
// "Cap tables in OCF"): a manifest plus the files it lists, each a JSON object
// with a `file_type` and its `items`.

/// The Open Cap Format this writes and reads: the schemas kept in
/// Tests/KhataAPITests/OCF (Open Cap Table Coalition, version 1.2.1-alpha).
public enum OCF {
    /// The manifest's `ocf_version` (a constant of the schema).
    public static let version = "1.2.1-alpha+main"
    /// The largest file of a package an import reads.
    public static let maxFileBytes = 16 << 20
    /// The most holdings an import issues: they go in one transaction with the
    /// instrument's registration, so that it is created whole or not at all.
    public static let maxImportHoldings = 900
    /// The most files a manifest may list, and their most bytes together.
    public static let maxListedFiles = 64
    public static let maxPackageBytes = 64 << 20
}

/// What an OCF issuer needs that the ledger does not record.
public struct OCFIssuer: Sendable {
    public var legalName: String
    /// The company's formation date, YYYY-MM-DD.
    public var formationDate: String
    /// ISO 3166-1 alpha-2, for example IN.
    public var country: String

    public init(legalName: String, formationDate: String, country: String) {
        self.legalName = legalName
        self.formationDate = formationDate
        self.country = country
    }
}

/// One holder's position in an export: the account, its units, and the name
/// to show (a participant's name, or nil for the account id).
public struct OCFHolding: Sendable {
    public let account: AccountID
    public let units: Amount
    public let name: String?

    public init(account: AccountID, units: Amount, name: String?) {
        self.account = account
        self.units = units
        self.name = name
    }
}

/// A refusal of an OCF package, naming the file and the field.
public struct OCFError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let field: String
    public let message: String

    public init(_ file: String, _ field: String, _ message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String { field.isEmpty ? "\(file): \(message)" : "\(file): \(field): \(message)" }
}

/// An equity instrument's register now, as an OCF package: the issuer (id
/// `issuer-` and its account) and the package's date in the manifest, the
/// instrument as one stock class
/// (authorised, par value), every holder as a stakeholder (its Khata account in
/// `issuer_assigned_id`), and every holding as one stock issuance of its units
/// at the package's date (the ledger keeps positions, not the price each was
/// bought at: the issuance's price is the par value).
public struct OCFExport {
    /// File names and contents, the manifest first.
    public let files: [(name: String, bytes: [UInt8])]

    public static let manifestName = "Manifest.ocf.json"
    static let stakeholdersName = "Stakeholders.ocf.json"
    static let stockClassesName = "StockClasses.ocf.json"
    static let transactionsName = "Transactions.ocf.json"

    /// `currencyScale`: the scale of the instrument's currency (for the par value).
    public init(
        instrument: InstrumentView, holdings: [OCFHolding], issuer: OCFIssuer, currencyScale: UInt8, asOf: Timestamp, generatedAt: Timestamp
    ) throws(OCFError) {
        guard let equity = instrument.terms.equity else {
            throw OCFError(
                instrument.asset.description, "kind", "OCF describes share classes; \(instrument.asset) is \(instrument.kind.name), not equity")
        }
        guard instrument.scale <= 10, currencyScale <= 10 else {
            throw OCFError(instrument.asset.description, "scale", "OCF numbers carry at most 10 decimals")
        }
        let date = OCFDate.format(asOf)
        let classID = instrument.asset.description
        var stockClass: [String: Any] = [
            "object_type": "STOCK_CLASS", "id": classID, "name": instrument.name, "class_type": "COMMON",
            "default_id_prefix": "\(classID)-", "initial_shares_authorized": AmountText.format(instrument.authorised, scale: instrument.scale),
            "votes_per_share": "1", "seniority": "1",
            "comments": ["Khata instrument \(classID), share class \"\(equity.shareClass)\", issued by account \(instrument.issuer.hex)"],
        ]
        let currency = instrument.currency.description
        let isISOCurrency = currency.utf8.count == 3 && currency.utf8.allSatisfy { $0 >= 65 && $0 <= 90 }
        let par = AmountText.format(equity.parValue, scale: currencyScale)
        if isISOCurrency { stockClass["par_value"] = ["amount": par, "currency": currency] }
        var stakeholders: [[String: Any]] = []
        var issuances: [[String: Any]] = []
        for (number, holding) in holdings.enumerated() {
            let account = holding.account.hex
            stakeholders.append([
                "object_type": "STAKEHOLDER", "id": account, "name": ["legal_name": holding.name ?? "account \(account)"],
                "stakeholder_type": "INDIVIDUAL", "issuer_assigned_id": account,
            ])
            let id = "\(classID)-\(number + 1)"
            issuances.append([
                "object_type": "TX_STOCK_ISSUANCE", "id": id, "security_id": id, "custom_id": id, "date": date,
                "stakeholder_id": account, "stock_class_id": classID, "quantity": AmountText.format(holding.units, scale: instrument.scale),
                "share_price": ["amount": isISOCurrency ? par : "0", "currency": isISOCurrency ? currency : "XXX"],
                "stock_legend_ids": [] as [String], "security_law_exemptions": [] as [Any],
                "comments": ["the position held at \(date); the ledger does not record the price it was bought at"],
            ])
        }
        let parts: [(String, String, [[String: Any]])] = [
            (OCFExport.stockClassesName, "OCF_STOCK_CLASSES_FILE", [stockClass]),
            (OCFExport.stakeholdersName, "OCF_STAKEHOLDERS_FILE", stakeholders),
            (OCFExport.transactionsName, "OCF_TRANSACTIONS_FILE", issuances),
        ]
        var written: [(name: String, bytes: [UInt8])] = []
        var listed: [String: [[String: String]]] = [:]
        for (name, type, items) in parts {
            let bytes = try OCFExport.json(["file_type": type, "items": items], name)
            written.append((name, bytes))
            let key = [
                OCFExport.stockClassesName: "stock_classes_files", OCFExport.stakeholdersName: "stakeholders_files",
                OCFExport.transactionsName: "transactions_files",
            ][name]!
            listed[key] = [["filepath": "./\(name)", "md5": OCFPackageReader.md5(bytes)]]
        }
        var manifest: [String: Any] = [
            "ocf_version": OCF.version, "file_type": "OCF_MANIFEST_FILE", "as_of": date,
            "generated_at": OCFDate.formatTime(generatedAt),
            "issuer": [
                "object_type": "ISSUER", "id": "issuer-\(instrument.issuer.hex)", "legal_name": issuer.legalName,
                "formation_date": issuer.formationDate, "country_of_formation": issuer.country,
            ],
            "comments": [
                "Exported by khata from the register of \(classID): \(AmountText.format(instrument.outstanding, scale: instrument.scale)) outstanding; issuer account \(instrument.issuer.hex); every stakeholder is written as INDIVIDUAL (the ledger does not record which holders are institutions)"
            ],
        ]
        for key in [
            "stock_plans_files", "stock_legend_templates_files", "stock_classes_files", "vesting_terms_files", "valuations_files",
            "transactions_files", "stakeholders_files",
        ] {
            manifest[key] = listed[key] ?? []
        }
        files = [(OCFExport.manifestName, try OCFExport.json(manifest, OCFExport.manifestName))] + written
    }

    /// A ledger time as an OCF date (YYYY-MM-DD, UTC).
    public static func date(_ time: Timestamp) -> String { OCFDate.format(time) }

    private static func json(_ object: [String: Any], _ name: String) throws(OCFError) -> [UInt8] {
        do {
            return Array(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
        } catch {
            throw OCFError(name, "", "cannot be written as JSON: \(error)")
        }
    }
}

/// The opening register an OCF package describes for a new instrument: one
/// stock class and the holdings issued in it, each holder a Khata account.
public struct OCFOpeningRegister: Sendable, Equatable {
    public struct Holding: Sendable, Equatable {
        public let account: AccountID
        public let units: Amount
        /// The stakeholder's legal name in the package.
        public let name: String
    }

    public let issuerName: String
    public let stockClassID: String
    public let className: String
    /// COMMON or PREFERRED.
    public let classType: String
    public let authorised: Amount
    /// The par value's amount and currency as written, if the class has one.
    public let parValue: (amount: String, currency: String)?
    /// One per account, in the package's order of first issuance; several
    /// issuances to one stakeholder are added up.
    public let holdings: [Holding]
    /// SHA-256 over every file read, in order: for each, its path, a newline,
    /// its SHA-256 in hex and a newline (the default offering-document hash of
    /// an import, pinning the whole package, not only through MD5).
    public let packageDigest: Digest32

    public static func == (a: OCFOpeningRegister, b: OCFOpeningRegister) -> Bool {
        a.issuerName == b.issuerName && a.stockClassID == b.stockClassID && a.className == b.className && a.classType == b.classType
            && a.authorised == b.authorised && a.parValue?.amount == b.parValue?.amount && a.parValue?.currency == b.parValue?.currency
            && a.holdings == b.holdings && a.packageDigest == b.packageDigest
    }
}

/// Reads an OCF package as an opening register, checking every row: the
/// manifest's version, type and issuer; each listed file's path (inside the
/// package), size, MD5 and type; the stock class (exactly one, or the one
/// named); every stakeholder (an id, a legal name, and a Khata account in
/// `issuer_assigned_id`); every transaction (stock issuances only, of that
/// class, to a known stakeholder, of a positive quantity in the instrument's
/// units); and that the holdings fit the authorised amount. The first problem
/// found is thrown with its file and field; nothing is returned partly.
public enum OCFPackageReader {
    /// `read(path)` returns a file's bytes given its path relative to the
    /// manifest (already checked to stay inside the package); `scale` is the
    /// new instrument's.
    public static func read(
        manifest manifestBytes: [UInt8], scale: UInt8, stockClass wanted: String? = nil, file read: (String) throws -> [UInt8]
    ) throws(OCFError) -> OCFOpeningRegister {
        let manifestName = OCFExport.manifestName
        var digested = "\(manifestName)\n\(Digest32.sha256(manifestBytes).hex)\n"
        var seen = Set<String>()
        var packageBytes = manifestBytes.count
        let manifest = try object(manifestBytes, manifestName)
        try expect(manifest, "ocf_version", in: manifestName) { $0 as? String == OCF.version }
        try expect(manifest, "file_type", in: manifestName) { $0 as? String == "OCF_MANIFEST_FILE" }
        guard let issuer = manifest["issuer"] as? [String: Any] else { throw OCFError(manifestName, "issuer", "is missing") }
        let issuerName = try text(issuer, "legal_name", in: manifestName, path: "issuer.")
        func items(_ key: String, _ type: String) throws(OCFError) -> [(file: String, index: Int, item: [String: Any])] {
            guard let listed = manifest[key] as? [Any] else { throw OCFError(manifestName, key, "is missing or not a list") }
            var result: [(String, Int, [String: Any])] = []
            for (position, entry) in listed.enumerated() {
                let field = "\(key)[\(position)]"
                guard let entry = entry as? [String: Any], let path = entry["filepath"] as? String, let md5 = entry["md5"] as? String else {
                    throw OCFError(manifestName, field, "needs a filepath and an md5")
                }
                let name = try checkedPath(path, field: field)
                guard seen.insert(name).inserted else { throw OCFError(manifestName, field + ".filepath", "\(name) is listed twice") }
                guard seen.count <= OCF.maxListedFiles else {
                    throw OCFError(manifestName, key, "the manifest lists more than \(OCF.maxListedFiles) files")
                }
                let bytes: [UInt8]
                do { bytes = try read(name) } catch { throw OCFError(name, "", "cannot be read: \(error)") }
                guard bytes.count <= OCF.maxFileBytes else { throw OCFError(name, "", "is larger than \(OCF.maxFileBytes) bytes") }
                packageBytes += bytes.count
                guard packageBytes <= OCF.maxPackageBytes else {
                    throw OCFError(manifestName, key, "the package's files add up to more than \(OCF.maxPackageBytes) bytes")
                }
                digested += "\(name)\n\(Digest32.sha256(bytes).hex)\n"
                guard self.md5(bytes) == md5.lowercased() else {
                    throw OCFError(manifestName, field + ".md5", "is \(md5), but \(name)'s MD5 is \(self.md5(bytes)): the file changed")
                }
                let file = try object(bytes, name)
                try expect(file, "file_type", in: name) { $0 as? String == type }
                guard let list = file["items"] as? [Any] else { throw OCFError(name, "items", "is missing or not a list") }
                for (index, item) in list.enumerated() {
                    guard let item = item as? [String: Any] else { throw OCFError(name, "items[\(index)]", "is not an object") }
                    result.append((name, index, item))
                }
            }
            return result
        }

        let classes = try items("stock_classes_files", "OCF_STOCK_CLASSES_FILE")
        for entry in classes {
            try expect(entry.item, "object_type", in: entry.file, path: "items[\(entry.index)].") { $0 as? String == "STOCK_CLASS" }
        }
        let candidates = classes.filter { wanted == nil || $0.item["id"] as? String == wanted }
        guard candidates.count == 1, let chosen = candidates.first else {
            let ids = classes.compactMap { $0.item["id"] as? String }
            throw OCFError(
                manifestName, "stock_classes_files",
                wanted.map { "no stock class has id \"\($0)\" (there are: \(ids.joined(separator: ", ")))" }
                    ?? "the package has \(classes.count) stock classes (\(ids.joined(separator: ", "))); name one with --stock-class")
        }
        let at = "items[\(chosen.index)]."
        let classID = try text(chosen.item, "id", in: chosen.file, path: at)
        let className = try text(chosen.item, "name", in: chosen.file, path: at)
        let classType = try text(chosen.item, "class_type", in: chosen.file, path: at)
        guard ["COMMON", "PREFERRED"].contains(classType) else {
            throw OCFError(chosen.file, at + "class_type", "is \(classType), not COMMON or PREFERRED")
        }
        let authorisedText = try numeric(chosen.item, "initial_shares_authorized", in: chosen.file, path: at)
        let authorised = try quantity(authorisedText, scale: scale, file: chosen.file, field: at + "initial_shares_authorized")
        let classIDs = Set(classes.compactMap { $0.item["id"] as? String })
        var parValue: (String, String)?
        if let par = chosen.item["par_value"] {
            guard let par = par as? [String: Any], let amount = par["amount"] as? String, let currency = par["currency"] as? String,
                isNumeric(amount), currency.utf8.count == 3
            else { throw OCFError(chosen.file, at + "par_value", "needs a numeric amount and a three-letter currency") }
            parValue = (amount, currency)
        }

        var stakeholders: [String: (account: AccountID, name: String)] = [:]
        var accounts: [AccountID: String] = [:]
        for entry in try items("stakeholders_files", "OCF_STAKEHOLDERS_FILE") {
            let at = "items[\(entry.index)]."
            try expect(entry.item, "object_type", in: entry.file, path: at) { $0 as? String == "STAKEHOLDER" }
            let id = try text(entry.item, "id", in: entry.file, path: at)
            guard let name = (entry.item["name"] as? [String: Any])?["legal_name"] as? String, !name.isEmpty else {
                throw OCFError(entry.file, at + "name.legal_name", "is missing")
            }
            guard let assigned = entry.item["issuer_assigned_id"] as? String else {
                throw OCFError(entry.file, at + "issuer_assigned_id", "is missing: it must name the stakeholder's Khata account (32 hex digits)")
            }
            guard let account = AccountID(hex: assigned) else {
                throw OCFError(entry.file, at + "issuer_assigned_id", "\"\(assigned)\" is not a Khata account id (32 hex digits)")
            }
            guard stakeholders[id] == nil else { throw OCFError(entry.file, at + "id", "stakeholder \"\(id)\" appears twice") }
            if let other = accounts[account] {
                throw OCFError(entry.file, at + "issuer_assigned_id", "account \(assigned) is also stakeholder \"\(other)\"")
            }
            stakeholders[id] = (account, name)
            accounts[account] = id
        }

        var order: [AccountID] = []
        var units: [AccountID: Amount] = [:]
        var securities = Set<String>()
        var total = Amount.zero
        for entry in try items("transactions_files", "OCF_TRANSACTIONS_FILE") {
            let at = "items[\(entry.index)]."
            let type = entry.item["object_type"] as? String ?? "(none)"
            guard type == "TX_STOCK_ISSUANCE" else {
                throw OCFError(
                    entry.file, at + "object_type",
                    "\(type) is not taken: an opening register is stock issuances only (export the positions as they stand)")
            }
            let security = try text(entry.item, "security_id", in: entry.file, path: at)
            guard securities.insert(security).inserted else { throw OCFError(entry.file, at + "security_id", "\"\(security)\" is issued twice") }
            let classOf = try text(entry.item, "stock_class_id", in: entry.file, path: at)
            guard classOf == classID else {
                // Another class of the package (one was named): not this import's.
                if wanted != nil, classIDs.contains(classOf) { continue }
                throw OCFError(entry.file, at + "stock_class_id", "\"\(classOf)\" is not a stock class of the package")
            }
            for key in ["vesting_terms_id", "vestings", "stock_plan_id"] where entry.item[key] != nil {
                throw OCFError(
                    entry.file, at + key, "is not taken: the ledger has no vesting or plans, so these shares would arrive fully vested")
            }
            let holder = try text(entry.item, "stakeholder_id", in: entry.file, path: at)
            guard let stakeholder = stakeholders[holder] else {
                throw OCFError(entry.file, at + "stakeholder_id", "\"\(holder)\" is not a stakeholder of the package")
            }
            let quantityText = try numeric(entry.item, "quantity", in: entry.file, path: at)
            let amount = try quantity(quantityText, scale: scale, file: entry.file, field: at + "quantity")
            guard !amount.isZero else { throw OCFError(entry.file, at + "quantity", "is zero") }
            guard let sum = total.adding(amount), let held = (units[stakeholder.account] ?? .zero).adding(amount) else {
                throw OCFError(entry.file, at + "quantity", "the holdings add up past \(UInt64.max) units")
            }
            total = sum
            if units[stakeholder.account] == nil { order.append(stakeholder.account) }
            units[stakeholder.account] = held
        }
        guard total <= authorised else {
            throw OCFError(
                manifestName, "stock_classes_files",
                "the issuances add up to \(AmountText.format(total, scale: scale)), more than the \(AmountText.format(authorised, scale: scale)) authorised"
            )
        }
        guard order.count <= OCF.maxImportHoldings else {
            throw OCFError(
                manifestName, "transactions_files",
                "\(order.count) holders: an import issues to at most \(OCF.maxImportHoldings), in one transaction with the registration")
        }
        return OCFOpeningRegister(
            issuerName: issuerName, stockClassID: classID, className: className, classType: classType, authorised: authorised,
            parValue: parValue,
            holdings: order.map { OCFOpeningRegister.Holding(account: $0, units: units[$0]!, name: stakeholders[accounts[$0]!]!.name) },
            packageDigest: Digest32.sha256(Array(digested.utf8)))
    }

    /// Lower-case hex MD5 of `bytes`, as OCF manifests list their files.
    public static func md5(_ bytes: [UInt8]) -> String { Hex.encode(Insecure.MD5.hash(data: bytes)) }

    /// A path relative to the manifest that stays inside the package: no
    /// absolute path, no `..`, no empty part; "./" is dropped.
    static func checkedPath(_ path: String, field: String) throws(OCFError) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "." { parts.removeFirst() }
        guard !path.hasPrefix("/"), !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw OCFError(OCFExport.manifestName, field + ".filepath", "\"\(path)\" must be a path inside the package")
        }
        return parts.joined(separator: "/")
    }

    /// An OCF Numeric (`^[+-]?[0-9]+(\.[0-9]{1,10})?$`), always in whole
    /// units ("1" is one share, or one rupee), as minor units at `scale`: no
    /// sign, and no non-zero digit past the scale.
    static func quantity(_ text: String, scale: UInt8, file: String, field: String) throws(OCFError) -> Amount {
        do { return try majorUnits(text, scale: scale) } catch {
            throw OCFError(file, field, "\"\(text)\": \(error.message)")
        }
    }

    /// An OCF Numeric in whole units as minor units at `scale` ("10" at scale
    /// 2 is 1000; "20.000" at scale 0 is 20; "12.5" at scale 0 is refused).
    public static func majorUnits(_ text: String, scale: UInt8) throws(MalformedInput) -> Amount {
        guard isNumeric(text), !text.hasPrefix("-"), !text.hasPrefix("+") else {
            throw MalformedInput(.invalidValue, "is not a non-negative OCF number")
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        var fraction = parts.count == 2 ? parts[1] : ""
        while fraction.hasSuffix("0") { fraction.removeLast() }
        guard fraction.count <= Int(scale) else {
            throw MalformedInput(.invalidValue, "has \(fraction.count) decimals but the instrument's units have \(scale)")
        }
        let padded = String(parts[0]) + "." + fraction + String(repeating: "0", count: Int(scale) - fraction.count)
        return try AmountText.parse(scale == 0 ? String(parts[0]) : padded, scale: scale)
    }

    static func isNumeric(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasPrefix("+") || body.hasPrefix("-") { body.removeFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        let digits = { (part: Substring) in !part.isEmpty && part.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        return (parts.count == 1 && digits(parts[0])) || (parts.count == 2 && digits(parts[0]) && digits(parts[1]) && parts[1].count <= 10)
    }

    private static func object(_ bytes: [UInt8], _ name: String) throws(OCFError) -> [String: Any] {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            throw OCFError(name, "", "is not JSON: \(error.localizedDescription)")
        }
        guard let object = parsed as? [String: Any] else { throw OCFError(name, "", "is not a JSON object") }
        return object
    }

    /// A field that must be an OCF Numeric, which OCF writes as a JSON string.
    private static func numeric(_ object: [String: Any], _ key: String, in file: String, path: String) throws(OCFError) -> String {
        guard let value = object[key] else { throw OCFError(file, path + key, "is missing") }
        guard let text = value as? String else { throw OCFError(file, path + key, "must be a string (an OCF Numeric such as \"1000\")") }
        return text
    }

    private static func text(_ object: [String: Any], _ key: String, in file: String, path: String = "") throws(OCFError) -> String {
        guard let value = object[key] as? String, !value.isEmpty else { throw OCFError(file, path + key, "is missing or not text") }
        return value
    }

    private static func expect(
        _ object: [String: Any], _ key: String, in file: String, path: String = "", _ isValid: (Any?) -> Bool
    ) throws(OCFError) {
        guard isValid(object[key]) else {
            throw OCFError(file, path + key, object[key].map { "\(String(describing: $0).prefix(80)) is not what this reader takes" } ?? "is missing")
        }
    }
}

/// OCF dates (YYYY-MM-DD) and times (RFC 3339), in UTC, from ledger times.
enum OCFDate {
    static func format(_ time: Timestamp) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(time.milliseconds) / 1000))
    }

    static func formatTime(_ time: Timestamp) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(time.milliseconds) / 1000))
    }
}
