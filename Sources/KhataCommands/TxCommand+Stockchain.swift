import ArgumentParser
import Crypto
import Foundation
import KhataBytes
import KhataCore
import KhataEd25519

// The stockchain's transactions (docs/STOCKCHAIN.md).

extension TxCommand {
    struct RegisterInstrument: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register-instrument",
            abstract: "Register shares, a bond or fund units, signed by the issuer's own keys.",
            discussion: """
                Example (1,000,000 ordinary shares of ₹10.00 par, holders verified by kyc-provider):
                  khata tx register-instrument --data ./ledger --key acme --issuer acme --asset ACMEB --kind equity --name "Acme B shares" --document prospectus.pdf --authorised 1000000 --currency INR --class B --par 10.00 --identity-provider kyc-provider --minimum-tier 1
                A bond (₹1,000.00 face, 7.50 % paid every 6 months, 30/360, maturing at the end of 2029):
                  khata tx register-instrument --data ./ledger --key acme --issuer acme --asset ACME30 --kind bond --name "Acme 7.5% 2030" --document terms.pdf --authorised 100000 --currency INR --face 1000.00 --coupon-bps 750 --coupon-months 6 --maturity 2030-12-31 --day-count 30/360
                Issue with `khata tx transfer --from <the issuance account> --key <issuer>`; it never exceeds --authorised.
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The issuer account (id or participant name); its keys sign.")
        var issuer: String
        @Option(help: "The new asset code, for example ACME.")
        var asset: String
        @Option(help: "equity, bond or fund.")
        var kind: String
        @Option(help: "The display name (at most 64 bytes).")
        var name: String
        @Option(help: "The offering document: a file (hashed with SHA-256) or 64 hex digits of its hash.")
        var document: String
        @Option(help: "The most that may be outstanding (whole units, or with a decimal point if --scale > 0).")
        var authorised: String
        @Option(help: "The currency par values, face values and payments are in.")
        var currency: String = "INR"
        @Option(help: "Minor-unit digits of the instrument (0: whole shares).")
        var scale: UInt8 = 0
        @Option(help: "The id of its new issuance account (32 hex digits). Default: derived from the asset code.")
        var issuanceAccount: String?
        @Option(name: .customLong("class"), help: "Equity: the share class.")
        var shareClass = "ordinary"
        @Option(help: "Equity: the par value of one share, in the currency.")
        var par: String = "0"
        @Option(help: "Bond: the face value of one unit, in the currency.")
        var face: String?
        @Option(help: "Bond: the yearly coupon in basis points (750 = 7.50 %); 0 for a zero-coupon bond.")
        var couponBps: UInt32 = 0
        @Option(help: "Bond: months between coupons (1, 3, 6 or 12).")
        var couponMonths: UInt8 = 0
        @Option(help: "Bond: the maturity (YYYY-MM-DD, or milliseconds since 1970).")
        var maturity: String?
        @Option(help: "Bond: 30/360, actual/365 or actual/actual.")
        var dayCount = "30/360"
        @OptionGroup var rules: InstrumentRuleOptions

        func run() throws {
            try common.submit { state, participants in
                let code = try assetCode(asset)
                let currencyCode = try assetCode(currency)
                let currencyScale = try state.scale(of: currencyCode) ?? 0
                guard let assetKind = AssetKind(name: kind), assetKind.isSecurity else { throw CommandFailure("--kind is equity, bond or fund") }
                let terms: InstrumentTerms
                switch assetKind {
                case .equity:
                    terms = .equity(EquityTerms(shareClass: shareClass, parValue: try AmountText.parse(par, scale: currencyScale)))
                case .bond:
                    guard let face, let maturity else { throw CommandFailure("a bond needs --face and --maturity") }
                    guard let dayCount = DayCount(name: self.dayCount) else {
                        throw CommandFailure("--day-count is 30/360, actual/365 or actual/actual")
                    }
                    terms = .bond(
                        BondTerms(
                            faceValue: try AmountText.parse(face, scale: currencyScale), couponBasisPoints: couponBps, couponMonths: couponMonths,
                            maturity: try parseTime(maturity, "--maturity"), dayCount: dayCount))
                default:
                    terms = .fund
                }
                let issuance =
                    try issuanceAccount.map { text -> AccountID in
                        guard let id = AccountID(hex: text) else { throw CommandFailure("--issuance-account is 32 hex digits") }
                        return id
                    } ?? derivedAccount("issuance/\(code)")
                return [
                    .registerInstrument(
                        KhataCore.RegisterInstrument(
                            asset: code, scale: scale, issuer: try participants.account(issuer), issuanceAccount: issuance, name: name,
                            document: try documentDigest(document), authorised: try AmountText.parse(authorised, scale: scale),
                            currency: currencyCode, terms: terms, rules: try rules.rules(participants: participants)))
                ]
            }
        }
    }

    struct InstrumentRulesCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "instrument-rules",
            abstract: "Replace an instrument's transfer rules, signed by its issuer.",
            discussion: """
                Example (at most 2,000 holders, each verified to tier 1, none holding more than 50,000 shares):
                  khata tx instrument-rules --data ./ledger --key acme --asset ACME --agent acme-agent --identity-provider kyc-provider --minimum-tier 1 --max-holders 2000 --max-holding 50000
                The rules bind the next transfer; holdings that a new rule would forbid stay.
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The instrument's asset code.")
        var asset: String
        @OptionGroup var rules: InstrumentRuleOptions

        func run() throws {
            try common.submit { _, participants in
                [.setInstrumentRules(SetInstrumentRules(asset: try assetCode(asset), rules: try rules.rules(participants: participants)))]
            }
        }
    }

    struct AttestIdentityCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "attest-identity",
            abstract: "As an identity provider, verify an account's holder to a tier until a date (tier 0 withdraws).",
            discussion: """
                Example (kyc-provider verifies Meera to tier 2 for a year):
                  khata tx attest-identity --data ./ledger --key kyc-provider --provider kyc-provider --account meera --tier 2 --expires 2027-12-31
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The provider's account (its keys sign).")
        var provider: String
        @Option(help: "The account verified.")
        var account: String
        @Option(help: "The tier, 1 to 255; 0 withdraws the provider's attestation.")
        var tier: UInt8
        @Option(help: "When it expires (YYYY-MM-DD, or milliseconds since 1970). Not with --tier 0.")
        var expires: String?

        func run() throws {
            try common.submit { _, participants in
                let expiry = try expires.map { try parseTime($0, "--expires") } ?? Timestamp(milliseconds: 0)
                return [
                    .attestIdentity(
                        AttestIdentity(
                            provider: try participants.account(provider), account: try participants.account(account), tier: tier, expiresAt: expiry))
                ]
            }
        }
    }

    struct Lock: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "As the instrument's agent, lock part of a holding (a freeze, or a lock-up until a date).",
            discussion: """
                Examples (the acme-agent key):
                  khata tx lock --data ./ledger --key acme-agent --asset ACME --account ravi --amount all --reason "court order 42/2026"
                  khata tx lock --data ./ledger --key acme-agent --asset ACME --account meera --amount 250 --until 2027-06-30 --reason "employee lock-up"
                  khata tx lock --data ./ledger --key acme-agent --asset ACME --account ravi --amount 0 --reason "order lifted"
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The instrument's asset code.")
        var asset: String
        @Option(help: "The holder's account.")
        var account: String
        @Option(help: "How much to lock: an amount, `all` (a freeze of everything, now and later), or 0 to lift the lock.")
        var amount: String
        @Option(help: "When the lock ends (YYYY-MM-DD, or milliseconds since 1970). Default: until lifted.")
        var until: String?
        @Option(help: "Why, for the holder and the public (at most 64 bytes).")
        var reason: String

        func run() throws {
            try common.submit { state, participants in
                let code = try assetCode(asset)
                let locked = amount == "all" ? Amount(.max) : try AmountText.parse(amount, scale: try state.scale(of: code) ?? 0)
                return [
                    .lockHolding(
                        LockHolding(
                            asset: code, account: try participants.account(account), amount: locked,
                            until: try until.map { try parseTime($0, "--until") },
                            reason: reason))
                ]
            }
        }
    }

    struct Force: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "As the instrument's agent, move a holding without its holder's signature, stating why.",
            discussion: """
                Example (recovery to a new account after lost keys):
                  khata tx force --data ./ledger --key acme-agent --asset ACME --from ravi --to ravi-new --amount 500 --reason "recovery: lost keys, ticket 1881"
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The instrument's asset code.")
        var asset: String
        @Option(help: "The account the holding leaves.")
        var from: String
        @Option(help: "The account it goes to (its identity and holding limits still apply).")
        var to: String
        @Option(help: "The amount.")
        var amount: String
        @Option(help: "Why (logged, at most 64 bytes).")
        var reason: String

        func run() throws {
            try common.submit { state, participants in
                let code = try assetCode(asset)
                let transfer = KhataCore.Transfer(
                    asset: code, debit: try participants.account(from), credit: try participants.account(to),
                    amount: try AmountText.parse(amount, scale: try state.scale(of: code) ?? 0), memo: reason)
                return [.forcedTransfer(ForcedTransfer(transfer: transfer))]
            }
        }
    }

    struct DVP: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dvp",
            abstract: "Delivery versus payment: a security one way and payment the other, in one transaction signed by both.",
            discussion: """
                Example (Asha sells 10 ACME to Ravi for ₹250.00; both keys sign; either leg failing fails both):
                  khata tx dvp --data ./ledger --key asha --key ravi --seller asha --buyer ravi --asset ACME --quantity 10 --price 250.00
                Check first with --simulate. Matched now, settled later (both legs held and linked for an hour;
                then `khata tx dvp-post --matched <this transaction's id>` posts both, or they expire together):
                  khata tx dvp --data ./ledger --key asha --key ravi --seller asha --buyer ravi --asset ACME --quantity 10 --price 250.00 --hold 3600
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The account delivering the security.")
        var seller: String
        @Option(help: "The account paying.")
        var buyer: String
        @Option(help: "The security's asset code.")
        var asset: String
        @Option(help: "How much of the security.")
        var quantity: String
        @Option(help: "The whole price, in --currency.")
        var price: String
        @Option(help: "The payment asset.")
        var currency = "INR"
        @Option(help: "Hold both legs, linked, for this many seconds instead of moving them now (post with `tx dvp-post`).")
        var hold: UInt32?

        func run() throws {
            try common.submit(identified: { state, participants, id in
                let security = try assetCode(asset)
                let money = try assetCode(currency)
                let sellerID = try participants.account(seller)
                let buyerID = try participants.account(buyer)
                let delivery = KhataCore.Transfer(
                    asset: security, debit: sellerID, credit: buyerID,
                    amount: try AmountText.parse(quantity, scale: try state.scale(of: security) ?? 0), memo: "delivery")
                let payment = KhataCore.Transfer(
                    asset: money, debit: buyerID, credit: sellerID, amount: try AmountText.parse(price, scale: try state.scale(of: money) ?? 0),
                    memo: "payment")
                guard let hold else { return [.transfer(delivery), .transfer(payment)] }
                return [
                    .pendingTransfer(PendingTransfer(transfer: delivery, timeoutSeconds: hold)),
                    .pendingTransfer(PendingTransfer(transfer: payment, timeoutSeconds: hold)),
                    .linkPending(LinkPending(pendings: [PendingID(transaction: id, operation: 0), PendingID(transaction: id, operation: 1)])),
                ]
            })
        }
    }

    struct DVPPost: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dvp-post",
            abstract: "Settle a held delivery versus payment: post both linked legs, signed by both payers.",
            discussion: """
                Example (the trade matched by transaction 5f0c…9a21):
                  khata tx dvp-post --data ./ledger --key asha --key ravi --matched 5f0c…9a21
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The id of the transaction that held and linked the two legs.")
        var matched: String
        @Option(help: "Through a node: the delivery leg's amount, in the security's minor units (read from the ledger otherwise).")
        var delivery: UInt64?
        @Option(help: "Through a node: the payment leg's amount, in the currency's minor units (read from the ledger otherwise).")
        var payment: UInt64?

        func run() throws {
            try common.submit { state, _ in
                guard let id = TransactionID(hex: matched) else { throw CommandFailure("--matched is a transaction id, 32 hex digits") }
                return try [delivery, payment].enumerated().map { leg, given -> LedgerOperation in
                    let pending = PendingID(transaction: id, operation: UInt16(leg))
                    guard let amount = state.pending(pending)?.transfer.amount ?? given.map(Amount.init) else {
                        throw CommandFailure("the held leg \(pending) is not known here: pass --delivery and --payment (minor units)")
                    }
                    return .postPending(PostPending(pending: pending, amount: amount))
                }
            }
        }
    }

    struct Dividend: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Declare a cash dividend per share; the register is fixed at this entry and every holder is paid by rule.",
            discussion: """
                Example (₹2.50 a share, from Acme's account):
                  khata tx dividend --data ./ledger --key acme --asset ACME --per-share 2.50
                Each holder gets ⌊holding × rate⌋; the remainder returns to the issuer. A node settles it by itself;
                without one, `khata action settle ID` (with the ledger key named in khata.json).
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The instrument's asset code.")
        var asset: String
        @Option(help: "The amount per whole unit, in the instrument's currency (2.50), or paise with a decimal point as far as its scale allows.")
        var perShare: String
        @Option(help: "The id of the new escrow account (32 hex digits). Default: random.")
        var escrowAccount: String?

        func run() throws {
            try common.submit { state, _ in
                let code = try assetCode(asset)
                let (amount, per) = try perUnitRate(perShare, instrument: code, state: state)
                return [
                    .declareAction(
                        DeclareAction(asset: code, terms: .cashDividend(amount: amount, per: per), escrowAccount: try escrow(escrowAccount)))
                ]
            }
        }
    }

    struct Split: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Declare a split or reverse split (NEW:OLD), paying fractions in cash at a price per new share.",
            discussion: """
                Examples:
                  khata tx split --data ./ledger --key acme --asset ACME --ratio 2:1
                  khata tx split --data ./ledger --key acme --asset ACME --ratio 1:3 --cash-in-lieu 30.00
                The instrument's transfers wait until every holder is settled.
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The instrument's asset code.")
        var asset: String
        @Option(help: "New units for old ones, NEW:OLD.")
        var ratio: String
        @Option(help: "The price of one new share, paid for fractions, in the instrument's currency.")
        var cashInLieu: String = "0"
        @Option(help: "The id of the new escrow account (32 hex digits). Default: random.")
        var escrowAccount: String?

        func run() throws {
            try common.submit { state, _ in
                let code = try assetCode(asset)
                let parts = ratio.split(separator: ":")
                guard parts.count == 2, let numerator = UInt32(parts[0]), let denominator = UInt32(parts[1]) else {
                    throw CommandFailure("--ratio is NEW:OLD, for example 2:1")
                }
                let currency = try state.instrumentCurrency(code)
                let cash = try AmountText.parse(cashInLieu, scale: try state.scale(of: currency) ?? 0)
                return [
                    .declareAction(
                        DeclareAction(
                            asset: code, terms: .split(numerator: numerator, denominator: denominator, cashInLieu: cash),
                            escrowAccount: try escrow(escrowAccount)))
                ]
            }
        }
    }

    struct Coupon: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Declare a bond's coupon for one period, computed from its terms.",
            discussion: """
                Example:
                  khata tx coupon --data ./ledger --key acme --asset ACME29
                For an actual/365 bond, give the period's days: --days 182.
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The bond's asset code.")
        var asset: String
        @Option(help: "Actual/365 only: the days of the period.")
        var days: UInt16 = 0
        @Option(help: "The id of the new escrow account (32 hex digits). Default: random.")
        var escrowAccount: String?

        func run() throws {
            try common.submit { _, _ in
                [.declareAction(DeclareAction(asset: try assetCode(asset), terms: .coupon(days: days), escrowAccount: try escrow(escrowAccount)))]
            }
        }
    }

    struct Redeem: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Redeem (at maturity) or call (before it) every unit at a price per unit; the instrument then closes.",
            discussion: """
                Example (at the ₹1,000.00 face value):
                  khata tx redeem --data ./ledger --key acme --asset ACME29 --price 1000.00
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The instrument's asset code.")
        var asset: String
        @Option(help: "The price per whole unit, in the instrument's currency.")
        var price: String
        @Option(help: "The id of the new escrow account (32 hex digits). Default: random.")
        var escrowAccount: String?

        func run() throws {
            try common.submit { state, _ in
                let code = try assetCode(asset)
                let (amount, per) = try perUnitRate(price, instrument: code, state: state)
                return [
                    .declareAction(
                        DeclareAction(asset: code, terms: .redemption(amount: amount, per: per), escrowAccount: try escrow(escrowAccount)))
                ]
            }
        }
    }

    struct Ballot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a question to an instrument's holders; votes weigh their holding at this entry.",
            discussion: """
                Example:
                  khata tx ballot --data ./ledger --key acme --asset ACME --question "Re-appoint the auditors?" --option yes --option no --option abstain --closes 2027-01-31
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The instrument's asset code.")
        var asset: String
        @Option(help: "The question (at most 200 bytes).")
        var question: String
        @Option(name: .customLong("option"), help: "An option (2 to 16; repeatable).")
        var options: [String]
        @Option(help: "When voting ends (YYYY-MM-DD, or milliseconds since 1970).")
        var closes: String

        func run() throws {
            try common.submit { _, _ in
                let terms = BallotTerms(question: question, options: options, closesAt: try parseTime(closes, "--closes"))
                return [.declareAction(DeclareAction(asset: try assetCode(asset), terms: .ballot(terms), escrowAccount: nil))]
            }
        }
    }

    struct VoteCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "vote",
            abstract: "Vote in a ballot (a later vote replaces an earlier one until it closes).",
            discussion: """
                Example:
                  khata tx vote --data ./ledger --key asha --ballot 2 --account asha --option yes
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The ballot's action id.")
        var ballot: UInt64
        @Option(help: "The voting account.")
        var account: String
        @Option(help: "The option: its text or its number (from 0).")
        var option: String

        func run() throws {
            try common.submit { state, participants in
                let index: UInt8
                if let number = UInt8(option) {
                    index = number
                } else {
                    guard let options = try state.ballotOptions(ballot), let found = options.firstIndex(of: option) else {
                        throw CommandFailure("ballot \(ballot) has no option \"\(option)\"; give its number instead")
                    }
                    index = UInt8(found)
                }
                return [.castVote(CastVote(action: ballot, account: try participants.account(account), option: index))]
            }
        }
    }
}

/// The transfer-rule flags of `register-instrument` and `instrument-rules`.
struct InstrumentRuleOptions: ParsableArguments {
    @Option(help: "The agent's key (key file, participant name or 64-hex key) who may lock and force; default the issuer's keys.")
    var agent: String?
    @Option(help: "The identity tier a receiver must hold (0: none).")
    var minimumTier: UInt8 = 0
    @Option(name: .customLong("identity-provider"), help: "An identity provider's account whose attestations count (repeatable, at most 8).")
    var identityProviders: [String] = []
    @Option(help: "The most holders at once (0: no limit).")
    var maxHolders: UInt32 = 0
    @Option(help: "The most one holder may hold, in minor units (0: no limit).")
    var maxHolding: UInt64 = 0

    func rules(participants: Participants) throws -> InstrumentRules {
        let agentKeys = try agent.map { text -> KeySet in
            if let key = PublicKey(hex: text) { return KeySet(single: key) }
            return KeySet(single: try participants.signingKey(text, directory: nil).publicKey)
        }
        let providers = try identityProviders.map { try participants.account($0) }.sorted()
        do {
            return try InstrumentRules(
                agent: agentKeys, minimumTier: minimumTier, identityProviders: providers, maxHolders: maxHolders, maxHolding: Amount(maxHolding))
        } catch {
            throw CommandFailure(error.message)
        }
    }
}

/// A time given as YYYY-MM-DD (midnight UTC), an ISO 8601 time, or milliseconds since 1970.
func parseTime(_ text: String, _ option: String) throws -> Timestamp {
    if let milliseconds = UInt64(text), milliseconds <= Limits.maxTimestampMilliseconds { return Timestamp(milliseconds: milliseconds) }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = text.count == 10 ? [.withFullDate] : [.withInternetDateTime]
    guard let date = formatter.date(from: text), date.timeIntervalSince1970 >= 0 else {
        throw CommandFailure("\(option) is a date (2027-12-31), an ISO 8601 time or milliseconds since 1970, not \"\(text)\"")
    }
    return Timestamp(milliseconds: UInt64(date.timeIntervalSince1970 * 1_000))
}

/// A document's SHA-256: 64 hex digits as given, or the hash of the file.
func documentDigest(_ text: String) throws -> Digest32 {
    if text.utf8.count == 64, let bytes = Hex.decode(text), let digest = Digest32(bytes: bytes) { return digest }
    guard let data = FileManager.default.contents(atPath: text) else {
        throw CommandFailure("--document is a file to hash or 64 hex digits of a SHA-256; cannot read \(text)")
    }
    return Digest32(bytes: Array(SHA256.hash(data: data)))!
}

/// An account id derived from a label, as `khata init --dev` derives its accounts.
func derivedAccount(_ label: String) -> AccountID { DevGenesis.account(label) }

func escrow(_ text: String?) throws -> AccountID {
    guard let text else { return .random() }
    guard let id = AccountID(hex: text) else { throw CommandFailure("--escrow-account is 32 hex digits") }
    return id
}

/// A per-unit price in the instrument's currency as an exact rate: currency
/// minor units per instrument minor units (2.50 a share of scale 0 is 250 per 1).
func perUnitRate(_ text: String, instrument code: AssetCode, state: any LedgerFacts) throws -> (Amount, Amount) {
    let currency = try state.instrumentCurrency(code)
    let amount = try AmountText.parse(text, scale: try state.scale(of: currency) ?? 0)
    var per: UInt64 = 1
    for _ in 0..<(try state.scale(of: code) ?? 0) { per *= 10 }
    return (amount, Amount(per))
}
