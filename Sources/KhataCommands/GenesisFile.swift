import Crypto
import Foundation
import KhataAPI
import KhataBytes
import KhataCore
import KhataEd25519
import KhataNode

/// The JSON form of a genesis, read by `khata init --genesis FILE`.
///
/// ```json
/// {
///   "origin": "khata.example/dev",
///   "ledger_key": "<64 hex: the key that will sign checkpoints>",
///   "issuer": {"threshold": 1, "keys": ["<64 hex>"]},
///   "operations": [{"type": "create_account", …}, …],
///   "participants": [{"name": "asha", "role": "person", "account": "<32 hex>", "key": "keys/asha.key"}]
/// }
/// ```
/// `participants` is optional: it only gives names to accounts for the command line.
public struct GenesisFile: Codable {
    var origin: String
    var ledgerKey: PublicKey
    var issuer: KeySet
    var operations: [LedgerOperation]
    var participants: [Participants.Participant]?

    enum CodingKeys: String, CodingKey {
        case origin
        case ledgerKey = "ledger_key"
        case issuer, operations, participants
    }

    func genesis() throws -> Genesis {
        do {
            return try Genesis(origin: origin, ledgerKey: ledgerKey, issuer: issuer, operations: operations)
        } catch {
            throw CommandFailure("the genesis is invalid: \(error.message)")
        }
    }

    static func read(_ path: String) throws -> GenesisFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read genesis file \(path)") }
        return try parse(data, named: path)
    }

    static func parse(_ data: Data, named name: String) throws -> GenesisFile {
        do {
            return try JSONDecoder().decode(GenesisFile.self, from: data)
        } catch {
            throw CommandFailure("\(name) is not a valid genesis file: \(describeDecodingError(error))")
        }
    }

    /// The genesis a genesis file's bytes describe, checked as `khata init --genesis` checks it
    /// (for the fuzzer, which feeds it arbitrary bytes).
    public static func genesis(fromJSON data: Data) throws -> Genesis { try parse(data, named: "the genesis file").genesis() }
}

/// The development ledger: an issuer (the central bank) whose INR is backed by
/// BTC and gold under a monetary policy governed 2 of 3, two banks, a BTC
/// custodian and a gold custodian, three price oracles, a company and three
/// people, with keys in `DIR/keys/`. The company, Acme Tea Ltd, has issued
/// shares (ACME) and a bond (ACME29) held by the people and a bank, verified by
/// an identity provider; it has declared a dividend (which a node pays as soon
/// as it starts) and opened a shareholders' ballot. Two zones with their own
/// laws (docs/LAWS.md): the mainland and a special economic zone, where Kiran
/// lives; a law change is open for votes.
enum DevGenesis {
    struct Member {
        let name: String
        let role: String
        /// Opening INR balance in paise.
        let openingINR: UInt64
    }

    static let members = [
        Member(name: "rbi", role: "issuer (central bank)", openingINR: 0),
        Member(name: "governor-1", role: "monetary policy governor", openingINR: 0),
        Member(name: "governor-2", role: "monetary policy governor", openingINR: 0),
        Member(name: "governor-3", role: "monetary policy governor", openingINR: 0),
        Member(name: "bank-one", role: "bank", openingINR: 1_000_000_000),
        Member(name: "bank-two", role: "bank", openingINR: 1_000_000_000),
        Member(name: "btc-vault", role: "custodian (BTC)", openingINR: 0),
        Member(name: "gold-vault", role: "custodian (gold)", openingINR: 0),
        Member(name: "oracle-1", role: "price oracle", openingINR: 0),
        Member(name: "oracle-2", role: "price oracle", openingINR: 0),
        Member(name: "oracle-3", role: "price oracle", openingINR: 0),
        Member(name: "acme", role: "company (Acme Tea Ltd, issuer of ACME and ACME29)", openingINR: 50_000_000),
        Member(name: "acme-agent", role: "Acme's transfer agent (locks, forced transfers)", openingINR: 0),
        Member(name: "kyc-provider", role: "identity provider", openingINR: 0),
        Member(name: "asha", role: "person", openingINR: 1_000_000),
        Member(name: "ravi", role: "person", openingINR: 500_000),
        Member(name: "meera", role: "person", openingINR: 250_000),
        Member(name: "zone-governor-1", role: "governor of both zones' laws", openingINR: 0),
        Member(name: "zone-governor-2", role: "governor of both zones' laws", openingINR: 0),
        Member(name: "zone-governor-3", role: "governor of both zones' laws", openingINR: 0),
        Member(name: "zone-guardian", role: "guardian of both zones (may only cancel a pending law change)", openingINR: 0),
        Member(name: "mainland-treasury", role: "treasury of the mainland (levies, withholding)", openingINR: 0),
        Member(name: "sez-treasury", role: "treasury of the SEZ (levies)", openingINR: 0),
        Member(name: "us-bank", role: "issuer of USD (a dollar deposit token)", openingINR: 0),
        Member(name: "remitco", role: "exchange (quotes USD → INR, settles remittances)", openingINR: 0),
        Member(name: "overseas-treasury", role: "treasury of the Overseas zone (levies)", openingINR: 0),
    ]

    /// The reserves at genesis: 3 BTC at ₹80,00,000 and 1 kg of gold at ₹9,500 a
    /// gram. After haircuts (20 % and 5 %) they are worth ₹2,82,25,000 against
    /// ₹2,05,67,500 of opening balances: 137 % coverage, 100 % required.
    static let reserveBTC: UInt64 = 3 * 100_000_000
    static let reserveGoldMilligrams: UInt64 = 1_000_000
    static let btcPrice: UInt64 = 80_00_000_00
    static let goldPricePerGram: UInt64 = 9_500_00

    /// A dev account's id: the first 16 bytes of SHA-256("khata/dev/" + name), so
    /// that ids are stable across `init --dev` runs while keys are fresh.
    static func account(_ name: String) -> AccountID {
        let digest = Array(SHA256.hash(data: Array("khata/dev/\(name)".utf8)))
        var reader = ByteReader(Array(digest.prefix(16)))
        return try! reader.readID(AccountID.self, "dev account")
    }

    /// The development monetary policy.
    static func policy(governors: [PublicKey]) throws -> MonetaryPolicy {
        let btc = AssetCode("BTC")!
        let xau = AssetCode("XAU")!
        return MonetaryPolicy(
            version: 1, currency: AssetCode("INR")!, governance: try KeySet(threshold: 2, keys: governors.sorted()),
            requiredCoverageBasisPoints: 10_000, maxAttestationAgeSeconds: 7 * 86_400, maxPriceAgeSeconds: 3_600, minimumPrices: 2,
            reserves: [ReserveRule(asset: btc, haircutBasisPoints: 2_000), ReserveRule(asset: xau, haircutBasisPoints: 500)],
            custodians: [Attestor(account: account("btc-vault"), assets: [btc]), Attestor(account: account("gold-vault"), assets: [xau])]
                .sorted { $0.account < $1.account },
            oracles: ["oracle-1", "oracle-2", "oracle-3"].map { Attestor(account: account($0), assets: [btc, AssetCode("USD")!, xau]) }
                .sorted { $0.account < $1.account })
    }

    /// Writes fresh keys under `directory/keys` and returns the genesis file.
    /// Attestations and prices are dated `now`.
    static func make(origin: String, directory: String, now: Timestamp) throws -> GenesisFile {
        let keysDirectory = "\(directory)/keys"
        try FileManager.default.createDirectory(atPath: keysDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let ledgerKey = SigningKey()
        try KeyFile(name: "ledger", key: ledgerKey).write(to: "\(keysDirectory)/ledger.key")
        var keys: [String: SigningKey] = [:]
        var participants: [Participants.Participant] = []
        var operations: [LedgerOperation] = []
        for member in members {
            let key = SigningKey()
            keys[member.name] = key
            try KeyFile(name: member.name, key: key).write(to: "\(keysDirectory)/\(member.name).key")
            participants.append(.init(name: member.name, role: member.role, account: account(member.name), key: "keys/\(member.name).key"))
            operations.append(.createAccount(CreateAccount(account: account(member.name), controllers: KeySet(single: key.publicKey))))
        }
        let issuer = account("rbi")
        let assets: [(String, AssetKind, UInt8)] = [("INR", .currency, 2), ("BTC", .reserve, 8), ("XAU", .reserve, 3), ("USD", .currency, 2)]
        for (code, kind, scale) in assets {
            let issuance = account("issuance/\(code)")
            operations.append(
                .registerAsset(
                    RegisterAsset(
                        asset: AssetCode(code)!, kind: kind, scale: scale, issuer: code == "USD" ? account("us-bank") : issuer,
                        issuanceAccount: issuance)))
            participants.append(.init(name: "issuance-\(code.lowercased())", role: "issuance account of \(code)", account: issuance, key: nil))
        }
        let governors = ["governor-1", "governor-2", "governor-3"].map { keys[$0]!.publicKey }
        operations.append(.setMonetaryPolicy(SetMonetaryPolicy(policy: try policy(governors: governors))))
        operations += reserveUpdates(now: now, btcPrice: btcPrice, goldPrice: goldPricePerGram, attest: true)
        for member in members where member.openingINR > 0 {
            operations.append(
                .transfer(
                    Transfer(
                        asset: AssetCode("INR")!, debit: account("issuance/INR"), credit: account(member.name),
                        amount: Amount(member.openingINR), memo: "opening balance")))
        }
        let (stockchain, named) = stockchain(agent: keys["acme-agent"]!.publicKey, now: now)
        operations += stockchain
        participants += named
        let kiran = SigningKey()
        try KeyFile(name: "kiran", key: kiran).write(to: "\(keysDirectory)/kiran.key")
        participants.append(.init(name: "kiran", role: "person (in the SEZ)", account: account("kiran"), key: "keys/kiran.key"))
        operations += try zones(
            governors: (1...3).map { keys["zone-governor-\($0)"]!.publicKey }, guardian: keys["zone-guardian"]!.publicKey, kiran: kiran.publicKey,
            now: now)
        let priya = SigningKey()
        try KeyFile(name: "priya", key: priya).write(to: "\(keysDirectory)/priya.key")
        participants.append(
            .init(name: "priya", role: "person abroad (in the Overseas zone, holds USD)", account: account("priya"), key: "keys/priya.key"))
        operations += try payments(
            governors: (1...3).map { keys["zone-governor-\($0)"]!.publicKey }, guardian: keys["zone-guardian"]!.publicKey, priya: priya.publicKey,
            remitco: keys["remitco"]!, origin: origin, now: now, position: operations.count)
        return GenesisFile(
            origin: origin, ledgerKey: ledgerKey.publicKey, issuer: KeySet(single: keys["rbi"]!.publicKey),
            operations: operations, participants: participants)
    }

    static let shares = AssetCode("ACME")!
    static let bond = AssetCode("ACME29")!
    /// Share holdings at genesis: Acme keeps a treasury, the rest is with a bank and three people.
    static let shareholders: [(String, UInt64)] = [("acme", 400_000), ("bank-one", 100_000), ("asha", 1_000), ("ravi", 500), ("meera", 250)]
    static let bondholders: [(String, UInt64)] = [("bank-one", 1_000), ("asha", 5)]

    /// Acme's instruments, its holders' identity attestations and holdings, a
    /// dividend of ₹0.50 a share (open: a node settles it when it starts) and a
    /// ballot closing in 14 days.
    static func stockchain(agent: PublicKey, now: Timestamp) -> ([LedgerOperation], [Participants.Participant]) {
        let inr = AssetCode("INR")!
        let acme = account("acme")
        let provider = account("kyc-provider")
        let rules = try! InstrumentRules(agent: KeySet(single: agent), minimumTier: 1, identityProviders: [provider])
        let year = Timestamp(milliseconds: now.milliseconds + 365 * 86_400_000)
        var operations: [LedgerOperation] = [
            .registerInstrument(
                RegisterInstrument(
                    asset: shares, issuer: acme, issuanceAccount: account("issuance/ACME"), name: "Acme Tea Ltd ordinary shares",
                    document: Digest32.sha256(Array("Acme Tea Ltd prospectus (development ledger)".utf8)), authorised: Amount(1_000_000),
                    currency: inr, terms: .equity(EquityTerms(shareClass: "ordinary", parValue: Amount(1_000))), rules: rules)),
            .registerInstrument(
                RegisterInstrument(
                    asset: bond, issuer: acme, issuanceAccount: account("issuance/ACME29"), name: "Acme Tea 7.50% 2029",
                    document: Digest32.sha256(Array("Acme Tea 7.50% 2029 term sheet (development ledger)".utf8)), authorised: Amount(100_000),
                    currency: inr,
                    terms: .bond(
                        BondTerms(
                            faceValue: Amount(100_000), couponBasisPoints: 750, couponMonths: 6, maturity: Timestamp(milliseconds: 1_893_369_600_000),
                            dayCount: .thirty360)), rules: rules)),
        ]
        for name in ["asha", "ravi", "meera", "bank-one"] {
            operations.append(
                .attestIdentity(AttestIdentity(provider: provider, account: account(name), tier: name == "bank-one" ? 3 : 1, expiresAt: year)))
        }
        for (name, units) in shareholders {
            operations.append(
                .transfer(Transfer(asset: shares, debit: account("issuance/ACME"), credit: account(name), amount: Amount(units), memo: "allotment")))
        }
        for (name, units) in bondholders {
            operations.append(
                .transfer(Transfer(asset: bond, debit: account("issuance/ACME29"), credit: account(name), amount: Amount(units), memo: "allotment")))
        }
        operations.append(
            .declareAction(
                DeclareAction(asset: shares, terms: .cashDividend(amount: Amount(50), per: Amount(1)), escrowAccount: account("escrow/dividend-1"))))
        let ballot = BallotTerms(
            question: "Re-appoint Rao & Co as auditors for 2027?", options: ["yes", "no", "abstain"],
            closesAt: Timestamp(milliseconds: now.milliseconds + 14 * 86_400_000))
        operations.append(.declareAction(DeclareAction(asset: shares, terms: .ballot(ballot), escrowAccount: nil)))
        let named: [Participants.Participant] = [
            .init(name: "issuance-acme", role: "issuance account of ACME", account: account("issuance/ACME"), key: nil),
            .init(name: "issuance-acme29", role: "issuance account of ACME29", account: account("issuance/ACME29"), key: nil),
            .init(name: "dividend-escrow-1", role: "escrow of Acme's first dividend", account: account("escrow/dividend-1"), key: nil),
        ]
        return (operations, named)
    }

    static let sez: ZoneID = 1

    /// The mainland's law: KYC tiers from the identity provider (tier 0 pays at
    /// most ₹10,000 at once, ₹50,000 a day, ₹2,00,000 a month and holds
    /// ₹2,00,000; tier 1 ten times that and no balance cap; tiers 2 and 3 no limits), 10 %
    /// withheld on dividends and interest, and 0.25 % (₹1 to ₹500) on value
    /// sent to the SEZ. India's time, UTC+5:30.
    static func mainlandLaw() throws -> Law {
        let inr = AssetCode("INR")!
        return try Law(
            document: Digest32.sha256(Array("Mainland payments and securities law (development ledger)".utf8)),
            url: "https://khata.example/laws/mainland", utcOffsetMinutes: 330, currency: inr,
            providers: [ProviderGrant(account: account("kyc-provider"), maxTier: 3)],
            tiers: [
                TierLimits(perPayment: Amount(1_000_000), daily: Amount(5_000_000), monthly: Amount(20_000_000), balance: Amount(20_000_000)),
                TierLimits(perPayment: Amount(10_000_000), daily: Amount(50_000_000), monthly: Amount(200_000_000)),
                TierLimits(),
            ],
            withholdingBasisPoints: 1_000, treasury: account("mainland-treasury"),
            corridors: [Corridor(direction: .outbound, zone: sez, levyBasisPoints: 25, levyFloor: Amount(100), levyCap: Amount(50_000))])
    }

    /// The SEZ's law: it holds INR and Acme's securities only (no BTC or gold),
    /// withholds nothing, levies nothing on value coming in, 0.5 % (₹1 to
    /// ₹1,000) on value going out, at most ₹5,00,000 a payment out, 1 % of
    /// the INR balance on leaving, and needs tier 1 to enter.
    static func sezLaw() throws -> Law {
        let inr = AssetCode("INR")!
        return try Law(
            document: Digest32.sha256(Array("Special economic zone charter (development ledger)".utf8)),
            url: "https://khata.example/laws/sez", utcOffsetMinutes: 330, currency: inr,
            providers: [ProviderGrant(account: account("kyc-provider"), maxTier: 3)],
            tiers: [TierLimits(perPayment: Amount(5_000_000), daily: Amount(20_000_000), balance: Amount(100_000_000)), TierLimits()],
            allowedAssets: [shares, bond, inr].sorted(), treasury: account("sez-treasury"),
            corridors: [
                Corridor(
                    direction: .outbound, zone: Corridor.anyZone, levyBasisPoints: 50, levyFloor: Amount(100), levyCap: Amount(100_000),
                    maxPerPayment: Amount(50_000_000))
            ],
            exitLevyBasisPoints: 100, entryMinimumTier: 1)
    }

    /// The two zones, Kiran in the SEZ with ₹50,000, the banks verified to tier
    /// 3, and an open proposal to raise the mainland's tier-0 daily cap to
    /// ₹1,00,000 (voting for 14 days, then a 1-day time lock).
    static func zones(governors: [PublicKey], guardian: PublicKey, kiran: PublicKey, now: Timestamp) throws -> [LedgerOperation] {
        let governance = Governance(votingSeconds: 14 * 86_400, quorum: 2, threshold: 2, vetoes: 1, timelockSeconds: 86_400)
        let provider = account("kyc-provider")
        let year = Timestamp(milliseconds: now.milliseconds + 365 * 86_400_000)
        var raised = try mainlandLaw()
        raised.tiers[0].daily = Amount(10_000_000)
        raised.document = Digest32.sha256(Array("Mainland payments and securities law, amendment 1 (development ledger)".utf8))
        return [
            .attestIdentity(AttestIdentity(provider: provider, account: account("bank-two"), tier: 3, expiresAt: year)),
            .registerZone(
                try RegisterZone(zone: 0, name: "Mainland", governors: governors, guardian: guardian, governance: governance, law: mainlandLaw())),
            .registerZone(
                try RegisterZone(zone: sez, name: "Khata SEZ", governors: governors, guardian: guardian, governance: governance, law: sezLaw())),
            .createAccount(CreateAccount(account: account("kiran"), controllers: KeySet(single: kiran), zone: sez)),
            .attestIdentity(AttestIdentity(provider: provider, account: account("kiran"), tier: 1, expiresAt: year)),
            .transfer(
                Transfer(
                    asset: AssetCode("INR")!, debit: account("issuance/INR"), credit: account("kiran"), amount: Amount(5_000_000),
                    memo: "opening balance")),
            .proposeLaw(ProposeLaw(zone: 0, proposer: governors.sorted()[0], law: raised)),
        ]
    }

    static let overseas: ZoneID = 2
    /// ₹83.20 a dollar, in paise: the oracles' mid rate for remittances.
    static let usdPrice: UInt64 = 8_320

    /// The Overseas zone's law, in dollars: tier 0 pays at most $5,000 at once
    /// and $10,000 a day; value leaving pays 0.5 % (at most $20).
    static func overseasLaw() throws -> Law {
        try Law(
            document: Digest32.sha256(Array("Overseas payments law (development ledger)".utf8)), url: "https://khata.example/laws/overseas",
            currency: AssetCode("USD")!, tiers: [TierLimits(perPayment: Amount(500_000), daily: Amount(1_000_000))],
            treasury: account("overseas-treasury"),
            corridors: [Corridor(direction: .outbound, zone: Corridor.anyZone, levyBasisPoints: 50, levyCap: Amount(2_000))])
    }

    /// What Priya's genesis remittance delivers to Asha: $200 at 83.00, ₹16,600.00 in paise.
    static let remittanceToAsha: UInt64 = 1_660_000

    /// RemitCo's quote in the genesis (and, from `khata dev`'s feed, every
    /// minute): 83.00 rupees a dollar, $1.99 fee, $1 to $2,000.
    static func quote(id: UInt64, remitco: SigningKey, origin: String, expiresAt: Timestamp) -> Quote {
        try! Quote(
            provider: "remitco", id: id, from: AssetCode("USD")!, to: AssetCode("INR")!, rate: 8_300_000_000, fee: Amount(199),
            minAmount: Amount(100), maxAmount: Amount(200_000), capacity: Amount(2_000_000), expiresAt: expiresAt, key: remitco.publicKey
        ).signed(by: remitco, origin: origin)
    }

    /// Payments (docs/PAYMENTS.md): the Overseas zone with Priya and her $10,000;
    /// two address providers (K Bank, the bank-one account, and PayWala, the
    /// bank-two account) with addresses for the people; RemitCo, an exchange
    /// holding ₹10,00,000 bought from bank-one; Meera's mandate for Ravi to collect ₹500 a month;
    /// and one completed remittance, Priya's $200 to asha@kbank. `position` is
    /// the index of the first of these operations in the genesis.
    static func payments(
        governors: [PublicKey], guardian: PublicKey, priya: PublicKey, remitco: SigningKey, origin: String, now: Timestamp, position: Int
    ) throws -> [LedgerOperation] {
        let governance = Governance(votingSeconds: 14 * 86_400, quorum: 2, threshold: 2, vetoes: 1, timelockSeconds: 86_400)
        let usd = AssetCode("USD")!
        let inr = AssetCode("INR")!
        let year = Timestamp(milliseconds: now.milliseconds + 365 * 86_400_000)
        var operations: [LedgerOperation] = [
            .registerZone(
                try RegisterZone(
                    zone: overseas, name: "Overseas", governors: governors, guardian: guardian, governance: governance, law: overseasLaw())),
            .createAccount(CreateAccount(account: account("priya"), controllers: KeySet(single: priya), zone: overseas)),
            .transfer(
                Transfer(asset: usd, debit: account("issuance/USD"), credit: account("priya"), amount: Amount(1_000_000), memo: "opening balance")),
            // The exchange holds more than a tier-0 mainland account may: verified to tier 3.
            .attestIdentity(AttestIdentity(provider: account("kyc-provider"), account: account("remitco"), tier: 3, expiresAt: year)),
            // Bought from bank-one: no new rupees, so the reserves' coverage is as before.
            .transfer(
                Transfer(
                    asset: inr, debit: account("bank-one"), credit: account("remitco"), amount: Amount(100_000_000), memo: "rupees for remittances")),
            .registerProvider(try RegisterProvider(name: "kbank", displayName: "K Bank", account: account("bank-one"), roles: .addresses)),
            .registerProvider(try RegisterProvider(name: "paywala", displayName: "PayWala", account: account("bank-two"), roles: .addresses)),
            .registerProvider(try RegisterProvider(name: "remitco", displayName: "RemitCo", account: account("remitco"), roles: .exchange)),
        ]
        for (handle, provider, name, holder) in [
            ("asha", "kbank", "Asha Verma", "asha"), ("ravi", "kbank", "Ravi Kumar", "ravi"), ("meera", "paywala", "Meera Iyer", "meera"),
            ("kiran", "paywala", "Kiran Shah", "kiran"), ("priya", "paywala", "Priya Nair", "priya"),
        ] {
            operations.append(
                .bindAddress(
                    try BindAddress(address: PaymentAddress(handle: handle, provider: provider), account: account(holder), displayName: name)))
        }
        operations.append(
            .createMandate(
                try CreateMandate(
                    payer: account("meera"), payee: account("ravi"), asset: inr, maxPerDebit: Amount(50_000), periodSeconds: 30 * 86_400, start: now,
                    end: year, memo: "rent share")))
        // Priya's $200 to Asha: the levy leaving the Overseas zone (0.5 %, $1.00) is its own leg.
        let offer = quote(id: 1, remitco: remitco, origin: origin, expiresAt: Timestamp(milliseconds: now.milliseconds + 600_000))
        operations.append(
            .remit(try Remit(quote: offer, sender: account("priya"), recipient: account("asha"), amount: Amount(20_000), memo: "for the family")))
        operations.append(.payLevy(PayLevy(operation: UInt16(position + operations.count - 1), zone: overseas, amount: Amount(100))))
        return operations
    }

    /// Prices from the three oracles (and, with `attest`, the custodians'
    /// attestations of the genesis reserves), dated `now`.
    static func reserveUpdates(now: Timestamp, btcPrice: UInt64, goldPrice: UInt64, attest: Bool) -> [LedgerOperation] {
        let btc = AssetCode("BTC")!
        let xau = AssetCode("XAU")!
        var operations: [LedgerOperation] = []
        if attest {
            operations.append(.attestReserve(AttestReserve(custodian: account("btc-vault"), asset: btc, amount: Amount(reserveBTC), asOf: now)))
            operations.append(
                .attestReserve(AttestReserve(custodian: account("gold-vault"), asset: xau, amount: Amount(reserveGoldMilligrams), asOf: now)))
        }
        for oracle in ["oracle-1", "oracle-2", "oracle-3"] {
            operations.append(.attestPrice(AttestPrice(oracle: account(oracle), asset: btc, price: Amount(btcPrice), asOf: now)))
            operations.append(.attestPrice(AttestPrice(oracle: account(oracle), asset: xau, price: Amount(goldPrice), asOf: now)))
            operations.append(.attestPrice(AttestPrice(oracle: account(oracle), asset: AssetCode("USD")!, price: Amount(usdPrice), asOf: now)))
        }
        return operations
    }
}
