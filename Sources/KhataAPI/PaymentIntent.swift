import Foundation
import KhataCore

/// A request to be paid, in the fields of UPI's payment intent (NPCI's UPI
/// linking specification): `pa` the payee's address, `pn` its name, `am` the
/// amount in major units, `cu` the currency, `tn` a note, `tr` the payee's
/// reference. Written as a `upi://pay?…` URI (docs/PAYMENTS.md, "Pay URIs").
public struct PaymentIntent: Hashable, Sendable, Codable {
    /// The payee: an address (`asha@kbank`) or, for a payee without one, an account id.
    public var payee: Payee
    public var name: String
    /// In minor units of `currency`; nil lets the payer choose.
    public var amount: Amount?
    public var currency: AssetCode
    public var note: String
    public var reference: String

    public enum Payee: Hashable, Sendable {
        case address(PaymentAddress)
        case account(AccountID)

        public var text: String {
            switch self {
            case .address(let address): address.description
            case .account(let id): id.hex
            }
        }

        public init?(text: some StringProtocol) {
            if let address = PaymentAddress(text: text) {
                self = .address(address)
            } else if let id = AccountID(hex: text) {
                self = .account(id)
            } else {
                return nil
            }
        }
    }

    /// Bytes of a reference: UPI's `tr` holds up to 35.
    public static let maxReferenceBytes = 35
    /// The longest URI produced or read.
    public static let maxURIBytes = 512

    public struct Invalid: Error, Hashable, CustomStringConvertible {
        /// The field at fault (`pa`, `am`, …), or `uri`.
        public let field: String
        public let message: String
        public var description: String { "\(field): \(message)" }
    }

    public init(payee: Payee, name: String, amount: Amount?, currency: AssetCode, note: String = "", reference: String = "") throws(Invalid) {
        self.payee = payee
        self.name = name
        self.amount = amount
        self.currency = currency
        self.note = note
        self.reference = reference
        try validate()
    }

    func validate() throws(Invalid) {
        guard (1...Limits.maxDisplayNameBytes).contains(name.utf8.count) else {
            throw Invalid(field: "pn", message: "the payee's name has 1 to \(Limits.maxDisplayNameBytes) bytes of UTF-8")
        }
        if amount?.isZero == true { throw Invalid(field: "am", message: "an amount is more than zero (leave it out to let the payer choose)") }
        guard note.utf8.count <= Limits.maxMemoBytes else {
            throw Invalid(field: "tn", message: "a note has at most \(Limits.maxMemoBytes) bytes of UTF-8 (it becomes the payment's memo)")
        }
        guard reference.utf8.count <= Self.maxReferenceBytes,
            reference.utf8.allSatisfy({
                $0 < 0x80 && (Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber || $0 == UInt8(ascii: "-"))
            })
        else {
            throw Invalid(field: "tr", message: "a reference has at most \(Self.maxReferenceBytes) ASCII letters, digits or '-'")
        }
    }

    /// The URI, amounts in major units with the asset's `scale` digits after the point.
    public func uri(scale: UInt8) -> String {
        var items = [("pa", payee.text), ("pn", name)]
        if let amount { items.append(("am", AmountText.format(amount, scale: scale))) }
        items.append(("cu", currency.description))
        if !note.isEmpty { items.append(("tn", note)) }
        if !reference.isEmpty { items.append(("tr", reference)) }
        return "upi://pay?" + items.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
    }

    /// Reads a URI back, field by field: `scale` is the scale of the asset
    /// `scaleOf` names for `cu` (nil: the ledger has no such asset).
    public static func parse(_ uri: String, scaleOf: (AssetCode) -> UInt8?) throws(Invalid) -> PaymentIntent {
        guard uri.utf8.count <= maxURIBytes else { throw Invalid(field: "uri", message: "a pay URI has at most \(maxURIBytes) bytes") }
        let prefix = "upi://pay?"
        guard uri.lowercased().hasPrefix(prefix) else { throw Invalid(field: "uri", message: "a pay URI starts upi://pay?") }
        var fields: [String: String] = [:]
        for pair in uri.dropFirst(prefix.count).split(separator: "&", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let value = String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                throw Invalid(field: "uri", message: "\"\(pair.prefix(40))\" is not name=value with valid %-escapes")
            }
            let key = String(parts[0])
            // UPI's other fields (merchant code, transaction id, …) mean nothing here and are passed over.
            guard !ignoredFields.contains(key) else { continue }
            guard knownFields.contains(key) else {
                throw Invalid(
                    field: String(key.prefix(16)), message: "not a pay URI field; the fields are \(knownFields.sorted().joined(separator: ", "))")
            }
            guard fields[key] == nil else { throw Invalid(field: key, message: "given twice") }
            fields[key] = value
        }
        guard let pa = fields["pa"] else { throw Invalid(field: "pa", message: "missing: the payee's address") }
        guard let payee = Payee(text: pa) else {
            throw Invalid(field: "pa", message: "\"\(pa.prefix(80))\" is neither an address (handle@provider) nor an account id")
        }
        guard let name = fields["pn"] else { throw Invalid(field: "pn", message: "missing: the payee's name") }
        let currencyText = fields["cu"] ?? "INR"
        guard let currency = AssetCode(currencyText) else {
            throw Invalid(field: "cu", message: "\"\(currencyText.prefix(16))\" is not an asset code")
        }
        guard let scale = scaleOf(currency) else { throw Invalid(field: "cu", message: "this ledger has no asset \(currency)") }
        let amount = try fields["am"].map { text throws(Invalid) in try majorUnits(text, scale: scale) }
        return try PaymentIntent(
            payee: payee, name: name, amount: amount, currency: currency, note: fields["tn"] ?? "", reference: fields["tr"] ?? "")
    }

    private static let knownFields: Set = ["pa", "pn", "am", "cu", "tn", "tr"]
    private static let ignoredFields: Set = ["mc", "tid", "url", "mode", "purpose", "orgid", "sign", "mam"]

    /// An amount in major units: digits without a leading zero (or 0), then
    /// optionally a point and 1 to `scale` digits. "250" is ₹250.00.
    public static func majorUnits(_ text: String, scale: UInt8) throws(Invalid) -> Amount {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let digits = { (part: Substring) in !part.isEmpty && part.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        guard parts.count <= 2, parts.allSatisfy(digits), parts[0] == "0" || parts[0].first != "0",
            parts.count == 1 || parts[1].count <= Int(scale)
        else {
            throw Invalid(
                field: "am", message: "\"\(text.prefix(32))\" is not an amount in major units with at most \(scale) decimals (250, 250.5, 250.50)")
        }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        let whole = String(parts[0]) + fraction + String(repeating: "0", count: Int(scale) - fraction.count)
        guard let units = UInt64(whole) else { throw Invalid(field: "am", message: "\(text.prefix(32)) is too large") }
        guard units > 0 else { throw Invalid(field: "am", message: "an amount is more than zero") }
        return Amount(units)
    }

    /// %-escapes everything but unreserved characters (RFC 3986), so that `@`, `&`, `=` and spaces survive.
    private static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    private enum CodingKeys: String, CodingKey { case payee, name, amount, currency, note, reference }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .payee)
        guard let payee = Payee(text: text) else {
            throw DecodingError.dataCorruptedError(forKey: .payee, in: c, debugDescription: "a payee is an address or an account id")
        }
        do {
            try self.init(
                payee: payee, name: try c.decode(String.self, forKey: .name), amount: try c.decodeIfPresent(Amount.self, forKey: .amount),
                currency: try c.decode(AssetCode.self, forKey: .currency), note: try c.decodeIfPresent(String.self, forKey: .note) ?? "",
                reference: try c.decodeIfPresent(String.self, forKey: .reference) ?? "")
        } catch let error as Invalid {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(payee.text, forKey: .payee)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(amount, forKey: .amount)
        try c.encode(currency, forKey: .currency)
        try c.encode(note, forKey: .note)
        try c.encode(reference, forKey: .reference)
    }
}
