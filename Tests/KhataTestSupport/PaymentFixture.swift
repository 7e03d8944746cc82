import KhataBytes
import KhataCore
import KhataEd25519

public let usd = AssetCode("USD")!

/// The zone fixture plus payments (docs/PAYMENTS.md): a US dollar, an overseas
/// zone whose law is in dollars, Priya there with $5,000, an address provider
/// (kbank) and an exchange (remitco) holding rupees.
public enum PaymentFixture {
    public static let overseas: ZoneID = 9
    public static let priyaKey = testKey(70)
    public static let remitcoKey = testKey(71)
    public static let kbankKey = testKey(72)
    public static let overseasTreasuryKey = testKey(73)

    public static let usdIssuance = accountID(0x400)
    public static let overseasTreasury = accountID(0x401)
    /// Priya, in the overseas zone.
    public static let priya = accountID(0x402)
    /// The exchange's account: holds rupees, takes dollars.
    public static let remitco = accountID(0x403)
    public static let kbank = accountID(0x404)
    public static let priyaOpeningUSD: UInt64 = 500_000
    public static let remitcoOpeningINR: UInt64 = 5_000_000

    /// 83.25 rupees a dollar: 0.8325 paise a cent, as paise per 10^8 cents.
    public static let rate: UInt64 = 8_325_000_000
    /// $1.99.
    public static let fee: UInt64 = 199

    /// Overseas, in dollars: tier 0 pays at most $2,000 at once and $3,000 a
    /// day; value leaving pays 0.5 % and at most $1,500 a payment.
    public static var overseasLaw: Law {
        try! Law(
            document: Digest32.sha256(Array("Overseas payments law".utf8)), url: "https://khata.example/laws/overseas", currency: usd,
            tiers: [TierLimits(perPayment: Amount(200_000), daily: Amount(300_000))], treasury: overseasTreasury,
            corridors: [Corridor(direction: .outbound, zone: Corridor.anyZone, levyBasisPoints: 50, maxPerPayment: Amount(150_000))])
    }

    public static var genesis: Genesis {
        var operations = ZoneFixture.genesis.operations
        operations += [
            .registerAsset(RegisterAsset(asset: usd, kind: .currency, scale: 2, issuer: Fixture.centralBank, issuanceAccount: usdIssuance)),
            .createAccount(CreateAccount(account: overseasTreasury, controllers: KeySet(single: overseasTreasuryKey.publicKey))),
            .registerZone(ZoneFixture.registration(overseas, name: "Overseas", law: overseasLaw)),
            .createAccount(CreateAccount(account: priya, controllers: KeySet(single: priyaKey.publicKey), zone: overseas)),
            .createAccount(CreateAccount(account: remitco, controllers: KeySet(single: remitcoKey.publicKey))),
            .createAccount(CreateAccount(account: kbank, controllers: KeySet(single: kbankKey.publicKey))),
            // The exchange holds ₹50,000, past a tier-0 mainland balance cap.
            .attestIdentity(AttestIdentity(provider: ZoneFixture.kyc, account: remitco, tier: 2, expiresAt: Timestamp(milliseconds: 1 << 50))),
            .transfer(Transfer(asset: usd, debit: usdIssuance, credit: priya, amount: Amount(priyaOpeningUSD), memo: "opening")),
            .transfer(Transfer(asset: inr, debit: Fixture.inrIssuance, credit: remitco, amount: Amount(remitcoOpeningINR), memo: "opening")),
            .registerProvider(try! RegisterProvider(name: "kbank", displayName: "K Bank", account: kbank, roles: .addresses)),
            .registerProvider(try! RegisterProvider(name: "remitco", displayName: "RemitCo", account: remitco, roles: .exchange)),
        ]
        return try! Genesis(origin: Fixture.origin, ledgerKey: Fixture.ledgerKey.publicKey, issuer: Fixture.genesis.issuer, operations: operations)
    }

    public static func genesisState(time: UInt64 = 1_000) -> LedgerState {
        let (state, outcome) = LedgerState.genesis(genesis, time: Timestamp(milliseconds: time))
        precondition(outcome == .committed, "payment fixture genesis: \(outcome)")
        return state
    }

    /// remitco's USD→INR quote `id`, signed, for $1 to $1,000 ($5,000 in all), until `expiresAt`.
    public static func quote(
        id: UInt64 = 1, rate: UInt64 = rate, fee: UInt64 = fee, min: UInt64 = 100, max: UInt64 = 100_000, capacity: UInt64 = 500_000,
        expiresAt: UInt64 = 1 << 50, signedBy key: SigningKey = remitcoKey
    ) -> Quote {
        try! Quote(
            provider: "remitco", id: id, from: usd, to: inr, rate: rate, fee: Amount(fee), minAmount: Amount(min), maxAmount: Amount(max),
            capacity: Amount(capacity), expiresAt: Timestamp(milliseconds: expiresAt), key: key.publicKey
        ).signed(by: key, origin: Fixture.origin)
    }

    /// A remittance of `amount` cents from Priya with the levies it owes (the
    /// overseas zone's on leaving), as a wallet builds it.
    public static func remit(
        _ amount: UInt64, to recipient: AccountID, quote: Quote = quote(), timeout: UInt32 = 0, in state: LedgerState, at position: UInt16 = 0
    ) -> [LedgerOperation] {
        let remit = try! Remit(quote: quote, sender: priya, recipient: recipient, amount: Amount(amount), timeoutSeconds: timeout)
        let leaving = state.leviesDue(asset: quote.from, debit: priya, credit: recipient, amount: Amount(amount))
            .filter { $0.zone == state.accounts[priya]?.zone }
        return [.remit(remit)] + leaving.map { .payLevy(PayLevy(operation: position, zone: $0.zone, amount: $0.amount)) }
    }
}
