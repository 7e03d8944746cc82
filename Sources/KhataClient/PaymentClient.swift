import Foundation
import KhataAPI
import KhataCore

// Payments (docs/PAYMENTS.md): addresses, providers, quotes, remittances,
// requests, mandates, pay URIs and the corridor report.

extension KhataClient {
    /// Who `address` pays, and the name its provider verified.
    public func address(_ address: PaymentAddress) throws -> AddressView {
        try decodeJSON(
            AddressView.self,
            try get("/v1/addresses/\(address.description.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? address.description)"))
    }
    public func providers() throws -> [ProviderView] { try decodeJSON([ProviderView].self, try get("/v1/providers")) }
    /// Publishes an exchange's signed quote to the node's book of live quotes.
    public func publish(_ quote: Quote) throws {
        _ = try post("/v1/quotes", Array(try JSONEncoder().encode(quote)), type: "application/json")
    }
    /// The live quotes for sending `amount` of `from` as `to`, cheapest first;
    /// with `sender` and `recipient`, the levies they owe are counted.
    public func quotes(from: AssetCode, to: AssetCode, amount: Amount, sender: AccountID? = nil, recipient: AccountID? = nil) throws -> QuoteListView
    {
        var path = "/v1/quotes?from=\(from)&to=\(to)&amount=\(amount.units)"
        if let sender { path += "&sender=\(sender.hex)" }
        if let recipient { path += "&recipient=\(recipient.hex)" }
        return try decodeJSON(QuoteListView.self, try get(path))
    }
    public func remittance(_ id: OperationRef) throws -> RemittanceView { try decodeJSON(RemittanceView.self, try get("/v1/remittances/\(id)")) }
    public func request(_ id: OperationRef) throws -> RequestView { try decodeJSON(RequestView.self, try get("/v1/requests/\(id)")) }
    public func mandate(_ id: OperationRef) throws -> MandateView { try decodeJSON(MandateView.self, try get("/v1/mandates/\(id)")) }
    public func corridors() throws -> CorridorReportView { try decodeJSON(CorridorReportView.self, try get("/v1/corridors")) }
}
