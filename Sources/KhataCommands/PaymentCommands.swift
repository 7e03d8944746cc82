import ArgumentParser
import Foundation
import KhataAPI
import KhataBytes
import KhataClient
import KhataCore
import KhataEd25519
import KhataEngine

// `khata address`, `khata pay-uri`, `khata quote`, `khata remittance`,
// `khata corridors`, and the payment operations of `khata tx` (docs/PAYMENTS.md).

struct AddressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "address",
        abstract: "Show, bind and unbind payment addresses (handle@provider).",
        discussion: """
            Examples:
              khata address show asha@kbank --data ./ledger
              khata address bind --data ./ledger --key kbank --key asha --address asha@kbank --account asha --name "Asha Verma"
              khata address unbind --data ./ledger --key asha --address asha@kbank
            """,
        subcommands: [Show.self, Bind.self, Unbind.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the account an address pays and the name its provider verified.",
            discussion: "Example:\n  khata address show asha@kbank --data ./ledger")
        @OptionGroup var source: ReadSource
        @OptionGroup var output: OutputOptions
        @Argument(help: "The address, handle@provider.")
        var address: String

        func run() throws {
            guard let parsed = PaymentAddress(text: address) else { throw CommandFailure("\"\(address)\" is not an address (handle@provider)") }
            let view = try source.read(
                local: { state in
                    guard let binding = state.payments.addresses[parsed] else { throw CommandFailure("no account is bound to \(parsed)") }
                    return AddressView(binding, provider: state.payments.providers[parsed.provider])
                }, remote: { try $0.address(parsed) })
            if output.json { return try printJSON(view) }
            print(
                "\(view.address) pays \(source.name(view.account)), verified by \(view.providerName) as “\(view.displayName)” (bound at entry \(view.boundAt))"
            )
        }
    }

    struct Bind: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bind an address to an account: the provider and the account's controllers both sign.",
            discussion:
                "Example:\n  khata address bind --data ./ledger --key kbank --key asha --address asha@kbank --account asha --name \"Asha Verma\"")
        @OptionGroup var common: TransactionOptions
        @Option(help: "The address, handle@provider (the provider must be registered for addresses).")
        var address: String
        @Option(help: "The account it pays (id or participant name).")
        var account: String
        @Option(help: "The holder's name as the provider verified it.")
        var name: String

        func run() throws {
            try common.submit { state, participants in
                guard let parsed = PaymentAddress(text: address) else { throw CommandFailure("\"\(address)\" is not an address (handle@provider)") }
                do {
                    return [.bindAddress(try BindAddress(address: parsed, account: try state.account(account, participants), displayName: name))]
                } catch let error as MalformedInput { throw CommandFailure(error.message) }
            }
        }
    }

    struct Unbind: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an address (signed by its provider or by the account it pays).",
            discussion: "Example:\n  khata address unbind --data ./ledger --key asha --address asha@kbank")
        @OptionGroup var common: TransactionOptions
        @Option(help: "The address.")
        var address: String

        func run() throws {
            try common.submit { _, _ in
                guard let parsed = PaymentAddress(text: address) else { throw CommandFailure("\"\(address)\" is not an address (handle@provider)") }
                return [.unbindAddress(UnbindAddress(address: parsed))]
            }
        }
    }
}

struct PayURICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pay-uri",
        abstract: "Make a payment request as a upi://pay URI and QR code, or read one back.",
        discussion: """
            Examples:
              khata pay-uri --data ./ledger --to asha@kbank --amount 250 --note tea --png asha.png
              khata pay-uri --data ./ledger --parse "upi://pay?pa=asha%40kbank&pn=Asha%20Verma&am=250.00&cu=INR"
            The amount is in major units (250 or 250.50); an address's name is the one its provider verified.
            """
    )
    @OptionGroup var source: ReadSource
    @OptionGroup var output: OutputOptions
    @Option(help: "The payee: an address (asha@kbank) or an account id.")
    var to: String?
    @Option(help: "The payee's name (taken from the address's binding when there is one).")
    var name: String?
    @Option(help: "The amount, in major units (250 or 250.50); leave it out to let the payer choose.")
    var amount: String?
    @Option(help: "The asset code.")
    var currency: String = "INR"
    @Option(help: "A note for the payment (at most 64 bytes).")
    var note: String = ""
    @Option(help: "The payee's reference (at most 35 letters, digits or '-').")
    var reference: String = ""
    @Option(help: "Write the QR code as a PNG file here.")
    var png: String?
    @Option(help: "Write the QR code as an SVG file here.")
    var svg: String?
    @Option(help: "Read this URI back instead, checking every field.")
    var parse: String?

    func run() throws {
        if let parse {
            let intent: PaymentIntent
            do {
                intent = try source.read(
                    local: { state in try PaymentIntent.parse(parse, scaleOf: { state.assets[$0]?.scale }) },
                    remote: { client in try PaymentIntent.parse(parse, scaleOf: { try? client.asset($0).scale }) })
            } catch let error as PaymentIntent.Invalid { throw CommandFailure("not a valid pay URI: \(error)") }
            return try printJSON(intent)
        }
        guard let to, let payee = PaymentIntent.Payee(text: to) else { throw CommandFailure("pass --to: an address (asha@kbank) or an account id") }
        guard let code = AssetCode(currency) else { throw CommandFailure("\"\(currency)\" is not an asset code") }
        let (scale, verified) = try source.read(
            local: { state -> (UInt8?, String?) in
                let name: String? = if case .address(let address) = payee { state.payments.addresses[address]?.displayName } else { nil }
                return (state.assets[code]?.scale, name)
            },
            remote: { client -> (UInt8?, String?) in
                let name: String? = if case .address(let address) = payee { try client.address(address).displayName } else { nil }
                return (try client.asset(code).scale, name)
            })
        guard let scale else { throw CommandFailure("this ledger has no asset \(code)") }
        if case .address(let address) = payee, verified == nil { throw CommandFailure("no account is bound to \(address)") }
        guard let payeeName = verified ?? name else { throw CommandFailure("pass --name: a payee named by account id names itself") }
        let intent: PaymentIntent
        do {
            intent = try PaymentIntent(
                payee: payee, name: payeeName,
                amount: try amount.map { text throws(PaymentIntent.Invalid) in try PaymentIntent.majorUnits(text, scale: scale) },
                currency: code, note: note, reference: reference)
        } catch { throw CommandFailure(error.description) }
        let uri = intent.uri(scale: scale)
        if png != nil || svg != nil {
            let code = try QRCode(bytes: Array(uri.utf8))
            if let png { try Data(code.png()).write(to: URL(fileURLWithPath: png)) }
            if let svg { try Data(code.svg().utf8).write(to: URL(fileURLWithPath: svg)) }
        }
        if output.json { return try printJSON(["uri": uri]) }
        print(uri)
    }
}

struct QuoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quote",
        abstract: "Make and publish an exchange's firm quote; list the live quotes for a remittance with its full cost.",
        discussion: """
            Examples:
              khata quote new --data ./ledger --key remitco --provider remitco --id 1 --from USD --to INR --rate 83.25 --fee 1.99 --min 1.00 --max 1000.00 --capacity 5000.00 --expires-in 600 --publish http://127.0.0.1:7370
              khata quote list --node http://127.0.0.1:7370 --data ./ledger --from USD --to INR --amount 100.00 --sender priya --recipient asha@kbank --save quote.json
            """,
        subcommands: [New.self, List.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a firm quote with one of the exchange's keys; print it as JSON and optionally publish it to a node.",
            discussion:
                "Example:\n  khata quote new --data ./ledger --key remitco --provider remitco --id 1 --from USD --to INR --rate 83.25 --fee 1.99 --min 1.00 --max 1000.00 --capacity 5000.00 --expires-in 600"
        )
        @OptionGroup var ledger: LedgerOptions
        @Option(help: "A key of the exchange (key file or participant name).")
        var key: String
        @Option(help: "The exchange's registered name.")
        var provider: String
        @Option(help: "The quote's number (one number, one set of terms).")
        var id: UInt64
        @Option(help: "The asset the sender sends.")
        var from: String
        @Option(help: "The asset the recipient gets.")
        var to: String
        @Option(help: "Whole units of --to per whole unit of --from, up to 8 decimals (83.25).")
        var rate: String
        @Option(help: "The fee, in --from (major units with a point, or minor units).")
        var fee: String
        @Option(help: "The smallest amount, in --from.")
        var min: String
        @Option(help: "The largest amount, in --from.")
        var max: String
        @Option(help: "The most all remittances at this quote may send, in --from.")
        var capacity: String
        @Option(help: "Seconds from now until it expires.")
        var expiresIn: UInt32
        @Option(help: "Publish it to the node at this URL.")
        var publish: String?

        func run() throws {
            let session = try ledger.openForReading()
            let state = session.ledger.state
            let participants = ledger.participants
            let (fromCode, toCode) = (try assetCode(from), try assetCode(to))
            guard let fromScale = state.assets[fromCode]?.scale, let toScale = state.assets[toCode]?.scale else {
                throw CommandFailure("this ledger must have both \(fromCode) and \(toCode)")
            }
            // Whole units per whole unit, as minor units of `to` per 10^8 minor units of `from`.
            let perWhole = try AmountText.parse(rate.contains(".") ? rate : rate + ".0", scale: 8)
            let scaled = UInt128(perWhole.units) * Self.power(toScale)
            guard scaled % Self.power(fromScale) == 0, let units = UInt64(exactly: scaled / Self.power(fromScale)), units > 0 else {
                throw CommandFailure("rate \(rate) cannot be stated exactly in minor units per 10^8; give fewer decimals")
            }
            let signer = try participants.signingKey(key, directory: ledger.data)
            let expiry = Timestamp(milliseconds: session.ledger.clock().milliseconds + UInt64(expiresIn) * 1_000)
            let quote: Quote
            do {
                quote = try Quote(
                    provider: provider, id: id, from: fromCode, to: toCode, rate: units, fee: try AmountText.parse(fee, scale: fromScale),
                    minAmount: try AmountText.parse(min, scale: fromScale), maxAmount: try AmountText.parse(max, scale: fromScale),
                    capacity: try AmountText.parse(capacity, scale: fromScale), expiresAt: expiry, key: signer.publicKey
                ).signed(by: signer, origin: session.ledger.origin)
            } catch { throw CommandFailure(error.message) }
            if let publish { try NodeClientOptions.client(url: publish, directory: ledger.data).publish(quote) }
            try printJSON(quote)
        }

        static func power(_ scale: UInt8) -> UInt128 { (0..<scale).reduce(UInt128(1)) { value, _ in value * 10 } }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a node's live quotes for sending an amount, cheapest first, each with everything the sender pays and the recipient gets.",
            discussion:
                "Example:\n  khata quote list --node http://127.0.0.1:7370 --data ./ledger --from USD --to INR --amount 100.00 --sender priya --recipient asha@kbank"
        )
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The node's URL (live quotes are published to nodes).")
        var node: String
        @Option(help: "The asset sent.")
        var from: String
        @Option(help: "The asset received.")
        var to: String
        @Option(help: "The amount sent, fee not included.")
        var amount: String
        @Option(help: "The sender, to count its zone's levy.")
        var sender: String?
        @Option(help: "The recipient, to count its zone's levy.")
        var recipient: String?
        @Option(help: "Write the cheapest quote, signed, to this file (for `khata tx remit --quote`).")
        var save: String?

        func run() throws {
            let client = try NodeClientOptions.client(url: node, directory: ledger.data)
            let facts = NodeFacts(client: client)
            let participants = ledger.participants
            let (fromCode, toCode) = (try assetCode(from), try assetCode(to))
            let fromScale = try facts.scale(of: fromCode) ?? 0
            let toScale = try facts.scale(of: toCode) ?? 0
            let list = try client.quotes(
                from: fromCode, to: toCode, amount: try AmountText.parse(amount, scale: fromScale),
                sender: try sender.map { try facts.account($0, participants) }, recipient: try recipient.map { try facts.account($0, participants) })
            if let save, let cheapest = list.quotes.first {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(cheapest.quote).write(to: URL(fileURLWithPath: save))
            }
            if output.json { return try printJSON(list) }
            if list.quotes.isEmpty { return print("no live quote of \(fromCode) → \(toCode) takes that amount") }
            let f = { (amount: Amount, scale: UInt8) in AmountText.format(amount, scale: scale) }
            print(
                table(
                    [["quote", "you pay", "fee", "levies", "they get", "all-in cost", "expires"]]
                        + list.quotes.map { offer in
                            [
                                "\(offer.quote.provider)/\(offer.quote.id)", "\(f(offer.total, fromScale)) \(fromCode)", f(offer.fee, fromScale),
                                f(Amount(offer.levies.reduce(0) { $0 + $1.amount.units }), fromScale), "\(f(offer.delivered, toScale)) \(toCode)",
                                offer.allInCostPercent.map { String(format: "%.2f %%", $0) } ?? "no mid rate",
                                "\(offer.quote.expiresAt.milliseconds / 1_000)",
                            ]
                        }))
        }
    }
}

struct RemittanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remittance",
        abstract: "Show a remittance: its amounts, levies and status (pending, completed, refunded) with times.",
        discussion: "Example:\n  khata remittance 5f0c…9a21/0 --data ./ledger")
    @OptionGroup var source: ReadSource
    @OptionGroup var output: OutputOptions
    @Argument(help: "The remittance: <transaction id>/<operation index> of its remit.")
    var id: String

    func run() throws {
        let ref = try parsePending(id, "a remittance")
        let view = try source.read(
            local: { state in
                guard let remittance = state.payments.remittances[ref] else { throw CommandFailure("no remittance \(ref)") }
                return RemittanceView(remittance)
            }, remote: { try $0.remittance(ref) })
        if output.json { return try printJSON(view) }
        print("remittance \(view.id): \(view.status)")
        print(
            "  \(source.name(view.sender)) sent \(view.amount.units) + fee \(view.fee.units) (minor units of \(view.from)), levy \(view.outboundLevy.units)"
        )
        print("  \(source.name(view.recipient)) gets \(view.delivered.units) of \(view.converted.units) \(view.to) (levy \(view.inboundLevy.units))")
        print(
            "  submitted \(view.submittedAt)" + (view.completedAt.map { ", completed \($0)" } ?? "")
                + (view.refundedAt.map { ", refunded \($0)" } ?? ""))
    }
}

struct CorridorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corridors",
        abstract: "Report, per corridor, remittances completed, volume, and median and p95 cost and time, computed from the log.",
        discussion: "Example:\n  khata corridors --data ./ledger\n  khata corridors --node http://127.0.0.1:7370 --data ./ledger --json")
    @OptionGroup var source: ReadSource
    @OptionGroup var output: OutputOptions

    func run() throws {
        let report: CorridorReportView
        if let node = source.node {
            report = try NodeClientOptions.client(url: node, directory: source.ledger.data).corridors()
        } else {
            let session = try source.ledger.openForReading()
            var builder = CorridorReport()
            let end = session.ledger.state.size
            while builder.size < end {
                let entries = try session.ledger.journal.entries(from: LeafIndex(builder.size), limit: Int(Swift.min(16_384, end - builder.size)))
                guard !entries.isEmpty else { break }
                try builder.add(encoded: entries.map(\.bytes))
            }
            report = builder.view()
        }
        if output.json { return try printJSON(report) }
        if report.corridors.isEmpty { return print("no remittances in the \(report.entries) entries") }
        let percent = { (value: Double?) in value.map { String(format: "%.2f %%", $0) } ?? "-" }
        let seconds = { (value: Double?) in value.map { String(format: "%.1f s", $0) } ?? "-" }
        print(
            table(
                [["corridor", "completed", "volume (minor units)", "median cost", "p95 cost", "median time", "p95 time"]]
                    + report.corridors.map {
                        [
                            "\($0.from) → \($0.to)", String($0.completed), String($0.volume.units), percent($0.medianCostPercent),
                            percent($0.p95CostPercent), seconds($0.medianSecondsToComplete), seconds($0.p95SecondsToComplete),
                        ]
                    }))
    }
}

// MARK: - Transactions

extension TxCommand {
    struct RegisterProviderCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register-provider",
            abstract: "Register a payment provider (addresses) or an exchange (quotes), signed by the ledger's issuer keys.",
            discussion:
                "Example:\n  khata tx register-provider --data ./ledger --key rbi --name kbank --display-name \"K Bank\" --account kbank --role addresses"
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "Its name, the part of addresses after @ (lower-case letters, digits, '-').")
        var name: String
        @Option(help: "The name people are shown.")
        var displayName: String
        @Option(help: "Its account (id or participant name): its controllers are its keys.")
        var account: String
        @Option(help: "addresses or exchange (repeatable).")
        var role: [String]

        func run() throws {
            try common.submit { state, participants in
                var roles: ProviderRoles = []
                for name in role {
                    switch name {
                    case "addresses": roles.insert(.addresses)
                    case "exchange": roles.insert(.exchange)
                    default: throw CommandFailure("a role is addresses or exchange, not \(name)")
                    }
                }
                do {
                    return [
                        .registerProvider(
                            try RegisterProvider(
                                name: name, displayName: displayName, account: try state.account(account, participants), roles: roles))
                    ]
                } catch let error as MalformedInput { throw CommandFailure(error.message) }
            }
        }
    }

    struct RequestCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request",
            abstract: "Ask a payer to pay you; the payer answers with `tx answer`.",
            discussion:
                "Example:\n  khata tx request --data ./ledger --key ravi --payee ravi --payer asha@kbank --asset INR --amount 250.00 --memo dinner --expires-in 3600"
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "You, the payee.")
        var payee: String
        @Option(help: "Who is asked to pay (id, participant name or address).")
        var payer: String
        @Option(help: "The asset code.")
        var asset: String
        @Option(help: "Minor units (250) or major units with a point (2.50).")
        var amount: String
        @Option(help: "What it is for.")
        var memo: String = ""
        @Option(help: "Seconds it stays open (1 to 2592000).")
        var expiresIn: UInt32 = 86_400

        func run() throws {
            try common.submit { state, participants in
                let code = try assetCode(asset)
                do {
                    return [
                        .requestPayment(
                            try RequestPayment(
                                payee: try state.account(payee, participants), payer: try state.account(payer, participants), asset: code,
                                amount: try AmountText.parse(amount, scale: try state.scale(of: code) ?? 0), memo: memo, expiresInSeconds: expiresIn))
                    ]
                } catch let error as MalformedInput { throw CommandFailure(error.message) }
            }
        }
    }

    struct AnswerCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "answer",
            abstract: "Pay or decline a payment request made to you.",
            discussion: "Example:\n  khata tx answer --data ./ledger --key asha --request 5f0c…9a21/0 --pay")
        @OptionGroup var common: TransactionOptions
        @Option(help: "The request: <transaction id>/<operation index>.")
        var request: String
        @Flag(help: "Pay it.")
        var pay = false
        @Flag(help: "Decline it.")
        var decline = false

        func run() throws {
            guard pay != decline else { throw CommandFailure("pass exactly one of --pay and --decline") }
            try common.submit { state, _ in
                let id = try parsePending(request, "--request")
                let answer = LedgerOperation.answerRequest(AnswerRequest(request: id, accept: pay))
                guard pay else { return [answer] }
                // Paying owes what the same transfer would; the levies are its legs.
                let payment: (AssetCode, AccountID, AccountID, Amount)? =
                    if let local = state as? LedgerState {
                        local.payments.requests[id].map { ($0.asset, $0.payer, $0.payee, $0.amount) }
                    } else if let remote = state as? NodeFacts {
                        try { (view: RequestView) in (view.asset, view.payer, view.payee, view.amount) }(try remote.client.request(id))
                    } else {
                        nil
                    }
                guard let (asset, payer, payee, amount) = payment else { throw CommandFailure("no payment request \(id)") }
                let legs = try state.withLevies(.transfer(KhataCore.Transfer(asset: asset, debit: payer, credit: payee, amount: amount)))
                return [answer] + legs.dropFirst()
            }
        }
    }

    struct MandateCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mandate",
            abstract: "Let a payee collect from you up to a maximum, once a period, between two dates; revoke it any time.",
            discussion: """
                Examples:
                  khata tx mandate --data ./ledger --key asha --payer asha --payee ravi --asset INR --max 500.00 --period 2592000 --days 365 --memo rent
                  khata tx mandate --data ./ledger --key asha --revoke 5f0c…9a21/0
                """)
        @OptionGroup var common: TransactionOptions
        @Option(help: "You, the payer.")
        var payer: String?
        @Option(help: "Who may collect (id, participant name or address).")
        var payee: String?
        @Option(help: "The asset code.")
        var asset: String?
        @Option(help: "The most one debit may take.")
        var max: String?
        @Option(help: "Seconds in a period: at most one debit in each (60 to 31622400).")
        var period: UInt32 = 2_592_000
        @Option(help: "Days from now until it ends.")
        var days: UInt32 = 365
        @Option(help: "What it is for.")
        var memo: String = ""
        @Option(help: "Revoke this mandate instead: <transaction id>/<operation index>.")
        var revoke: String?

        func run() throws {
            try common.submit { state, participants in
                if let revoke { return [.revokeMandate(RevokeMandate(mandate: try parsePending(revoke, "--revoke")))] }
                guard let payer, let payee, let asset, let max else { throw CommandFailure("pass --payer, --payee, --asset and --max (or --revoke)") }
                let code = try assetCode(asset)
                let start = Ledger.systemClock()
                do {
                    return [
                        .createMandate(
                            try CreateMandate(
                                payer: try state.account(payer, participants), payee: try state.account(payee, participants), asset: code,
                                maxPerDebit: try AmountText.parse(max, scale: try state.scale(of: code) ?? 0), periodSeconds: period, start: start,
                                end: start.adding(seconds: days * 86_400), memo: memo))
                    ]
                } catch let error as MalformedInput { throw CommandFailure(error.message) }
            }
        }
    }

    struct CollectCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "collect",
            abstract: "Collect under a mandate, as its payee (no signature of the payer's needed).",
            discussion: "Example:\n  khata tx collect --data ./ledger --key ravi --mandate 5f0c…9a21/0 --amount 500.00 --asset INR")
        @OptionGroup var common: TransactionOptions
        @Option(help: "The mandate: <transaction id>/<operation index>.")
        var mandate: String
        @Option(help: "Minor units (250) or major units with a point (2.50).")
        var amount: String
        @Option(help: "The mandate's asset (for the amount's scale).")
        var asset: String = "INR"
        @Option(help: "A note.")
        var memo: String = ""

        func run() throws {
            try common.submit { state, _ in
                let code = try assetCode(asset)
                do {
                    return [
                        .collectMandate(
                            try CollectMandate(
                                mandate: try parsePending(mandate, "--mandate"),
                                amount: try AmountText.parse(amount, scale: try state.scale(of: code) ?? 0), memo: memo))
                    ]
                } catch let error as MalformedInput { throw CommandFailure(error.message) }
            }
        }
    }

    struct RemitCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remit",
            abstract: "Send money across currencies at an exchange's firm quote: FX, fee and levies settle in one entry.",
            discussion: """
                The quote is a file written by `khata quote new` (or one of `khata quote list --json`'s quotes).
                The levy the sender's zone takes on leaving is added as its own leg and named on standard error.
                Example:
                  khata tx remit --data ./ledger --key priya --from priya --to asha@kbank --quote quote.json --amount 100.00
                With --timeout the payment waits for the exchange (or the recipient) to complete it, and lapses back to you after that many seconds.
                """)
        @OptionGroup var common: TransactionOptions
        @Option(help: "The sender.")
        var from: String
        @Option(help: "The recipient (id, participant name or address).")
        var to: String
        @Option(help: "The signed quote, a JSON file.")
        var quote: String
        @Option(help: "The amount sent, in the quote's from asset, fee not included.")
        var amount: String
        @Option(help: "Seconds it may wait for completion (0: at once; up to 604800).")
        var timeout: UInt32 = 0
        @Option(help: "A note.")
        var memo: String = ""

        func run() throws {
            let signed: Quote
            do { signed = try JSONDecoder().decode(Quote.self, from: Data(contentsOf: URL(fileURLWithPath: quote))) } catch {
                throw CommandFailure("\(quote) is not a signed quote: \(error)")
            }
            try common.submit { state, participants in
                let sender = try state.account(from, participants)
                let recipient = try state.account(to, participants)
                let sent = try AmountText.parse(amount, scale: try state.scale(of: signed.from) ?? 0)
                let remit: Remit
                do {
                    remit = try Remit(quote: signed, sender: sender, recipient: recipient, amount: sent, timeoutSeconds: timeout, memo: memo)
                } catch let
                    error as MalformedInput
                {
                    throw CommandFailure(error.message)
                }
                let levies = try state.leavingLevies(of: remit)
                for levy in levies {
                    FileHandle.standardError.write(
                        Data("levy: \(levy.amount.units) minor units of \(levy.asset) to zone \(levy.zone)'s treasury\n".utf8))
                }
                return [.remit(remit)] + levies.map { .payLevy(PayLevy(operation: 0, zone: $0.zone, amount: $0.amount)) }
            }
        }
    }

    struct CompleteRemittanceCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "complete-remittance",
            abstract: "Complete a waiting remittance (as its exchange or its recipient).",
            discussion: "Example:\n  khata tx complete-remittance --data ./ledger --key remitco --remittance 5f0c…9a21/0")
        @OptionGroup var common: TransactionOptions
        @Option(help: "The remittance: <transaction id>/<operation index>.")
        var remittance: String

        func run() throws {
            try common.submit { _, _ in [.completeRemittance(CompleteRemittance(remittance: try parsePending(remittance, "--remittance")))] }
        }
    }

    struct RefundRemittanceCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "refund-remittance",
            abstract: "Refund a remittance's sender (as its exchange): a waiting one in full, a completed one up to what was paid.",
            discussion: "Example:\n  khata tx refund-remittance --data ./ledger --key remitco --remittance 5f0c…9a21/0 --amount 1.99 --asset USD")
        @OptionGroup var common: TransactionOptions
        @Option(help: "The remittance: <transaction id>/<operation index>.")
        var remittance: String
        @Option(help: "The amount, in what the sender sent.")
        var amount: String
        @Option(help: "The asset the sender sent (for the amount's scale).")
        var asset: String

        func run() throws {
            try common.submit { state, _ in
                let code = try assetCode(asset)
                let id = try parsePending(remittance, "--remittance")
                let refund: LedgerOperation
                do {
                    refund = .refundRemittance(
                        try RefundRemittance(remittance: id, amount: try AmountText.parse(amount, scale: try state.scale(of: code) ?? 0)))
                } catch let error as MalformedInput { throw CommandFailure(error.message) }
                // A refund after completion is a payment from the exchange to the sender: it owes what such a transfer would.
                let found: RemittanceView? =
                    if let local = state as? LedgerState { local.payments.remittances[id].map(RemittanceView.init) } else {
                        try (state as? NodeFacts)?.client.remittance(id)
                    }
                guard let found, found.status == "completed", case .refundRemittance(let op) = refund else { return [refund] }
                let payment = KhataCore.Transfer(asset: found.from, debit: try providerAccount(found, state), credit: found.sender, amount: op.amount)
                return [refund] + (try state.withLevies(.transfer(payment))).dropFirst()
            }
        }

        /// The exchange's account, by its registered name.
        private func providerAccount(_ found: RemittanceView, _ state: any LedgerFacts) throws -> AccountID {
            if let local = state as? LedgerState, let provider = local.payments.providers[found.provider] { return provider.account }
            if let remote = state as? NodeFacts, let provider = try remote.client.providers().first(where: { $0.name == found.provider }) {
                return provider.account
            }
            throw CommandFailure("no provider \(found.provider) on this ledger")
        }
    }
}

extension LedgerFacts {
    /// The levies a remittance owes leaving its sender's zone (its `pay_levy` legs).
    func leavingLevies(of remit: Remit) throws -> [LevyDue] {
        if let state = self as? LedgerState {
            return QuoteOfferView(
                remit.quote, amount: remit.amount, sender: remit.sender, recipient: remit.recipient, state: state, at: Ledger.systemClock())?
                .levies.map(\.due) ?? []
        }
        guard let facts = self as? NodeFacts else { return [] }
        let offers = try facts.client.quotes(
            from: remit.quote.from, to: remit.quote.to, amount: remit.amount, sender: remit.sender, recipient: remit.recipient)
        guard let offer = offers.quotes.first(where: { $0.quote == remit.quote }) else {
            throw CommandFailure(
                "the node does not hold quote \(remit.quote.provider)/\(remit.quote.id), or it does not take this amount: publish it first")
        }
        return offer.levies.map(\.due)
    }
}
