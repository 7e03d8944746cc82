import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEd25519
import KhataTestSupport
import Testing

private typealias P = PaymentFixture
private typealias F = Fixture

@Suite("Payments over HTTP", .serialized)
struct PaymentNodeTests {
    /// An address resolves to its account and verified name and stands for the
    /// account in the API; a published quote is priced with its levies, paid
    /// in one entry, and counted in the corridor report; pay URIs and their QR
    /// codes are served.
    @Test func addressesQuotesRemittancesAndPayURIs() async throws {
        try await withNode(genesis: P.genesis) { node in
            let bind = LedgerOperation.bindAddress(
                try BindAddress(address: PaymentAddress(text: "asha@kbank")!, account: F.alice, displayName: "Asha Verma"))
            #expect(
                try await offPool { try node.client.submit([F.transaction(1, [bind], signedBy: [P.kbankKey, F.aliceKey])])[0].outcome } == .committed)
            let address = try await offPool { try node.client.address(PaymentAddress(text: "asha@kbank")!) }
            #expect(address.account == F.alice && address.displayName == "Asha Verma" && address.providerName == "K Bank")
            #expect(try await offPool { try node.client.providers() }.map(\.name) == ["kbank", "remitco"])
            // Anything that takes an account takes its address.
            let account = try await offPool { try node.request("GET", "/v1/accounts/asha@kbank") }
            #expect(account.status == 200 && String(decoding: account.body, as: UTF8.self).contains(F.alice.hex))
            for (path, status) in [
                ("/v1/addresses/nobody@kbank", 404), ("/v1/addresses/no%20body", 400), ("/v1/accounts/nobody@kbank", 404), ("/v1/accounts/xyz", 400),
                ("/v1/remittances/x/0", 400), ("/v1/mandates/\(transactionID(9).hex)/01", 400), ("/v1/remittances/\(transactionID(9).hex)/0", 404),
                ("/v1/quotes?from=USD&to=INR", 400),
                ("/v1/pay-uri?pa=nobody@kbank", 404), ("/v1/pay-uri?pa=asha@kbank&am=1.234", 400), ("/v1/pay-uri?pa=asha@kbank&format=gif", 400),
            ] {
                #expect(try await offPool { try node.request("GET", path) }.status == status, "\(path)")
            }

            // A quote: refused unsigned by the exchange, taken when it is.
            let foreign = P.quote(signedBy: F.bobKey)
            await #expect(throws: ClientError.self) { try await offPool { try node.client.publish(foreign) } }
            var tampered = P.quote()
            tampered.rate += 1
            let body = Array(try JSONEncoder().encode(tampered))
            let refused = try await offPool { try node.request("POST", "/v1/quotes", body: body, type: "application/json") }
            #expect(refused.status == 400)
            try await offPool { try node.client.publish(P.quote()) }
            let offers = try await offPool { try node.client.quotes(from: usd, to: inr, amount: Amount(10_000), sender: P.priya, recipient: F.alice) }
            let offer = try #require(offers.quotes.first)
            #expect(offers.quotes.count == 1 && offer.converted == Amount(832_500) && offer.delivered == Amount(832_500))
            #expect(offer.levies.map(\.amount) == [Amount(50)] && offer.total == Amount(10_249))
            #expect(try await offPool { try node.client.quotes(from: usd, to: inr, amount: Amount(100_001)) }.quotes.isEmpty)

            // Paid as shown, in one entry.
            let remit = try Remit(quote: offer.quote, sender: P.priya, recipient: F.alice, amount: offer.amount)
            let operations = [LedgerOperation.remit(remit)] + offer.levies.map { .payLevy(PayLevy(operation: 0, zone: $0.zone, amount: $0.amount)) }
            #expect(try await offPool { try node.client.submit([F.transaction(2, operations, signedBy: [P.priyaKey])])[0].outcome } == .committed)
            let status = try await offPool { try node.client.remittance(OperationRef(transaction: transactionID(2), operation: 0)) }
            #expect(status.status == "completed" && status.delivered == Amount(832_500) && status.outboundLevy == Amount(50))
            let report = try await offPool { try node.client.corridors() }
            #expect(report.corridors.count == 1 && report.corridors[0].completed == 1 && report.corridors[0].volume == Amount(10_000))
            #expect(report.corridors[0].medianSecondsToComplete == 0 && report.corridors[0].from == usd)

            // A pay URI, with the provider's verified name, as text, JSON, PNG and SVG.
            let uri = try await offPool { try node.request("GET", "/v1/pay-uri?pa=asha@kbank&am=250&tn=tea") }
            #expect(String(decoding: uri.body, as: UTF8.self) == "upi://pay?pa=asha%40kbank&pn=Asha%20Verma&am=250.00&cu=INR&tn=tea\n")
            let png = try await offPool { try node.request("GET", "/v1/pay-uri?pa=asha@kbank&am=250&format=png") }
            #expect(png.status == 200 && Array(png.body.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
            let svg = try await offPool { try node.request("GET", "/v1/pay-uri?pa=asha@kbank&format=svg") }
            #expect(String(decoding: svg.body, as: UTF8.self).hasPrefix("<svg"))
        }
    }
}
