import Foundation
import HTTPTypes
import Hummingbird
import KhataAPI
import KhataCore
import KhataEd25519
import KhataEngine
import KhataStorage
import NIOCore

// Payments (docs/PAYMENTS.md, docs/openapi.yaml): addresses, providers, live
// quotes, remittances, requests and mandates, pay URIs and their QR codes, and
// the corridor report.

extension NodeAPI {
    func registerPayments(on router: Router<NodeRequestContext>) {
        router.get("/v1/addresses/:address") { request, context in
            _ = try Query(request)
            let address = try addressParameter(try parameter(context, "address"))
            return try json(
                try durableState { ledger in
                    guard let binding = ledger.state.payments.addresses[address] else {
                        throw Problem(404, "address_not_found", "no account is bound to \(address)")
                    }
                    return AddressView(binding, provider: ledger.state.payments.providers[address.provider])
                })
        }
        router.get("/v1/providers") { request, _ in
            _ = try Query(request)
            return try json(
                try durableState { ledger in ledger.state.payments.providers.keys.sorted().map { ProviderView(ledger.state.payments.providers[$0]!) }
                })
        }
        router.post("/v1/quotes") { request, _ in try await publishQuote(request) }
        router.get("/v1/quotes") { request, _ in
            let query = try Query(request, allowed: ["from", "to", "amount", "sender", "recipient"])
            guard let from = query.string("from").flatMap({ AssetCode($0) }), let to = query.string("to").flatMap({ AssetCode($0) }) else {
                throw Problem(400, "invalid_parameter", "from and to are asset codes (from=USD&to=INR)")
            }
            let amount = Amount(try query.requiredInteger("amount", in: 1...UInt64.max))
            let sender = try query.string("sender").map { text in try resolveAccount(text) }
            let recipient = try query.string("recipient").map { text in try resolveAccount(text) }
            let live = quotes.live(from: from, to: to, at: try durableState { $0.clock() })
            return try json(
                try durableState { ledger in
                    let offers = live.compactMap { quote in
                        ledger.state.check(quote: quote, at: ledger.clock()).refusal == nil
                            ? QuoteOfferView(quote, amount: amount, sender: sender, recipient: recipient, state: ledger.state, at: ledger.clock())
                            : nil
                    }
                    // Cheapest first: the most delivered for the amount, then the lowest total.
                    let sorted = offers.sorted { ($0.delivered, $1.total) > ($1.delivered, $0.total) }
                    return QuoteListView(from: from, to: to, amount: amount, quotes: sorted)
                })
        }
        router.get("/v1/remittances/:transaction/:operation") { request, context in
            _ = try Query(request)
            let id = try operationRef(context, "remittance")
            return try json(
                try durableState { ledger in
                    guard let remittance = ledger.state.payments.remittances[id] else {
                        throw Problem(404, "remittance_not_found", "no remittance \(id)")
                    }
                    return RemittanceView(remittance)
                })
        }
        router.get("/v1/requests/:transaction/:operation") { request, context in
            _ = try Query(request)
            let id = try operationRef(context, "request")
            return try json(
                try durableState { ledger in
                    guard let found = ledger.state.payments.requests[id] else { throw Problem(404, "request_not_found", "no payment request \(id)") }
                    return RequestView(found, at: ledger.clock())
                })
        }
        router.get("/v1/mandates/:transaction/:operation") { request, context in
            _ = try Query(request)
            let id = try operationRef(context, "mandate")
            return try json(
                try durableState { ledger in
                    guard let mandate = ledger.state.payments.mandates[id] else { throw Problem(404, "mandate_not_found", "no mandate \(id)") }
                    return MandateView(mandate, at: ledger.clock())
                })
        }
        router.get("/v1/pay-uri") { request, _ in try payURI(request) }
        router.get("/v1/corridors") { request, _ in
            _ = try Query(request)
            let size = try durableState { $0.state.size }
            return try await readStore.read { journal in try json(try corridors.report(upTo: size, journal: journal)) }
        }
    }

    func addressParameter(_ text: String) throws -> PaymentAddress {
        guard let address = PaymentAddress(text: text.removingPercentEncoding ?? text) else {
            throw Problem(400, "invalid_parameter", "an address is handle@provider: lower-case letters, digits, '.', '_' or '-' (asha@kbank)")
        }
        return address
    }

    /// An account named by its id (32 hex digits) or by an address bound to it.
    func resolveAccount(_ text: String) throws -> AccountID {
        if let id = AccountID(hex: text) { return id }
        let decoded = text.removingPercentEncoding ?? text
        guard decoded.contains("@") else {
            throw Problem(400, "invalid_parameter", "an account is 32 hex digits or an address (handle@provider)")
        }
        let address = try addressParameter(decoded)
        guard let account = try durableState({ $0.state.payments.addresses[address]?.account }) else {
            throw Problem(404, "address_not_found", "no account is bound to \(address)")
        }
        return account
    }

    /// A request, mandate or remittance named in the path by its transaction and operation index.
    private func operationRef(_ context: NodeRequestContext, _ what: String) throws -> OperationRef {
        let text = "\(try parameter(context, "transaction"))/\(try parameter(context, "operation"))"
        guard let id = OperationRef(text: text) else {
            throw Problem(400, "invalid_parameter", "a \(what) is named <transaction id, 32 hex digits>/<operation index>")
        }
        return id
    }

    /// Takes a provider's signed quote into the node's book of live quotes
    /// (memory only: a quote lives minutes, and a provider republishes after a restart).
    private func publishQuote(_ request: Request) async throws -> Response {
        let reader = try await readBody(request)
        defer { reader.release() }
        let quote: Quote
        do { quote = try JSONDecoder().decode(Quote.self, from: Data(reader.bytes)) } catch {
            throw Problem(400, "malformed_json", "the body is not a quote: \(error)")
        }
        guard quote.key.isValidSignature(quote.signature, for: quote.signingBytes(origin: origin)) else {
            throw Problem(400, "bad_signature", "the quote's signature by \(quote.key) does not match its terms on ledger \"\(origin)\"")
        }
        let (refusal, now) = try durableState { ledger in (ledger.state.check(quote: quote, at: ledger.clock()).refusal, ledger.clock()) }
        if let refusal { throw Problem(422, refusal.name, refusal.rule) }
        try quotes.add(quote, at: now)
        return try json(quote)
    }

    private func payURI(_ request: Request) throws -> Response {
        let query = try Query(request, allowed: ["pa", "pn", "am", "cu", "tn", "tr", "format"])
        let format = query.string("format") ?? "uri"
        guard ["uri", "json", "png", "svg"].contains(format) else { throw Problem(400, "invalid_parameter", "format is uri, json, png or svg") }
        guard let pa = query.string("pa"), let payee = PaymentIntent.Payee(text: pa) else {
            throw Problem(400, "invalid_parameter", "pa is the payee: an address (asha@kbank) or an account id")
        }
        let currency =
            try query.string("cu").map { text in
                guard let code = AssetCode(text) else { throw Problem(400, "invalid_parameter", "cu is an asset code (INR)") }
                return code
            } ?? AssetCode("INR")!
        let (scale, verifiedName) = try durableState { ledger -> (UInt8?, String?) in
            let name: String? = if case .address(let address) = payee { ledger.state.payments.addresses[address]?.displayName } else { nil }
            return (ledger.state.assets[currency]?.scale, name)
        }
        guard let scale else { throw Problem(404, "asset_not_found", "no asset \(currency)") }
        if case .address(let address) = payee, verifiedName == nil { throw Problem(404, "address_not_found", "no account is bound to \(address)") }
        // The name is the provider's verified one for an address; a payee by account id names itself.
        guard let name = verifiedName ?? query.string("pn") else {
            throw Problem(400, "invalid_parameter", "pn (the payee's name) is needed for an account id")
        }
        let intent: PaymentIntent
        do {
            let amount = try query.string("am").map { text throws(PaymentIntent.Invalid) in try PaymentIntent.majorUnits(text, scale: scale) }
            intent = try PaymentIntent(
                payee: payee, name: name, amount: amount, currency: currency, note: query.string("tn") ?? "", reference: query.string("tr") ?? "")
        } catch {
            throw Problem(400, "invalid_parameter", error.description)
        }
        let uri = intent.uri(scale: scale)
        switch format {
        case "json": return try json(PayURIView(uri: uri, intent: intent))
        case "uri": return text(uri + "\n")
        default:
            let code: QRCode
            do { code = try QRCode(bytes: Array(uri.utf8)) } catch { throw Problem(400, "invalid_parameter", error.description) }
            if format == "svg" { return text(code.svg(), type: "image/svg+xml") }
            return Response(status: .ok, headers: [.contentType: "image/png"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: code.png())))
        }
    }
}

/// `GET /v1/pay-uri?format=json`.
struct PayURIView: Codable {
    let uri: String
    let intent: PaymentIntent
}

/// The live quotes providers published (`POST /v1/quotes`), in memory, bounded:
/// at most `perProvider` per provider and `total` in all; expired ones are dropped.
final class QuoteBook: @unchecked Sendable {
    private let lock = NSLock()
    private var quotes: [QuoteKey: Quote] = [:]
    let perProvider: Int
    let total: Int

    init(perProvider: Int = 64, total: Int = 4_096) {
        self.perProvider = perProvider
        self.total = total
    }

    func add(_ quote: Quote, at time: Timestamp) throws {
        try lock.withLock {
            quotes = quotes.filter { $0.value.expiresAt > time }
            let key = QuoteKey(provider: quote.provider, id: quote.id)
            if quotes[key] == nil {
                guard quotes.keys.filter({ $0.provider == quote.provider }).count < perProvider else {
                    throw Problem(429, "too_many_quotes", "provider \(quote.provider) has \(perProvider) live quotes on this node; let some expire")
                }
                guard quotes.count < total else { throw Problem(429, "too_many_quotes", "this node holds \(total) live quotes") }
            }
            quotes[key] = quote
        }
    }

    func live(from: AssetCode, to: AssetCode, at time: Timestamp) -> [Quote] {
        lock.withLock {
            quotes.values.filter { $0.from == from && $0.to == to && $0.expiresAt > time }.sorted { ($0.provider, $0.id) < ($1.provider, $1.id) }
        }
    }
}

/// The corridor report (`CorridorReport`), fed the log incrementally: each
/// request reads only the entries since the last.
final class CorridorService: @unchecked Sendable {
    private let lock = NSLock()
    private var report = CorridorReport()

    func report(upTo size: UInt64, journal: any JournalStore) throws -> CorridorReportView {
        try lock.withLock {
            let end = min(size, journal.entryCount)
            while report.size < end {
                let stored = try journal.entries(from: LeafIndex(report.size), limit: Int(min(16_384, end - report.size)))
                guard !stored.isEmpty else { break }
                try report.add(encoded: stored.map(\.bytes))
            }
            return report.view()
        }
    }
}
