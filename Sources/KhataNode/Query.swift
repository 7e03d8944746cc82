import Hummingbird
import KhataCore

/// A request's query string, checked against what its route takes: every name
/// is one the route knows, none is repeated, and integers are decimal and in
/// range. Nothing is silently ignored or reinterpreted (`?start=-5` on a route
/// that takes `from` is a 400, not the first page).
struct Query {
    private let values: [String: String]

    /// Refuses names outside `allowed` and repeated names.
    init(_ request: Request, allowed: Set<String> = []) throws {
        var values: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            let key = String(name)
            guard allowed.contains(key) else {
                let known = allowed.isEmpty ? "this resource takes no query parameters" : "it takes \(allowed.sorted().joined(separator: ", "))"
                throw Problem(400, "unknown_parameter", "unknown query parameter \"\(key.prefix(40))\": \(known)")
            }
            guard values[key] == nil else { throw Problem(400, "repeated_parameter", "the query parameter \(key) is given twice") }
            values[key] = String(value)
        }
        self.values = values
    }

    /// The integer `name`, if given; a 400 naming the parameter and `range`
    /// unless it is decimal digits with a value in `range`.
    func integer(_ name: String, in range: ClosedRange<UInt64> = 0...Limits.maxQueryInteger) throws -> UInt64? {
        guard let text = values[name] else { return nil }
        guard let value = UInt64(text), text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), range.contains(value)
        else {
            throw Problem(
                400, "invalid_parameter", "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), got \"\(text.prefix(40))\"")
        }
        return value
    }

    /// The text of `name`, if given.
    func string(_ name: String) -> String? { values[name] }

    /// The integer `name`; a 400 if it is missing or out of range.
    func requiredInteger(_ name: String, in range: ClosedRange<UInt64> = 0...Limits.maxQueryInteger) throws -> UInt64 {
        guard let value = try integer(name, in: range) else {
            throw Problem(400, "missing_parameter", "pass ?\(name)=N, an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

/// A listing by asset code, a page at a time: `after` (the last code of the
/// previous page) and `limit` (default 100, at most 1000), so that no request
/// builds an answer in proportion to every asset or instrument the ledger has
/// (anyone may register one).
struct CodePage {
    static let defaultLimit = 100
    let after: AssetCode?
    let limit: Int

    init(_ request: Request) throws {
        let query = try Query(request, allowed: ["after", "limit"])
        limit = Int(try query.integer("limit", in: 1...UInt64(Limits.maxPageEntries)) ?? UInt64(Self.defaultLimit))
        if let text = query.string("after") {
            guard let code = AssetCode(text) else { throw Problem(400, "invalid_parameter", "after is an asset code") }
            after = code
        } else {
            after = nil
        }
    }

    /// The page's codes among `codes`, ascending.
    func select(_ codes: some Sequence<AssetCode>) -> [AssetCode] {
        var chosen = codes.filter { after == nil || $0 > after! }
        chosen.sort()
        return Array(chosen.prefix(limit))
    }
}
