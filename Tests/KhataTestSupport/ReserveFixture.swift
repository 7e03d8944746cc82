import KhataCore
import KhataEd25519

public let xau = AssetCode("XAU")!

/// A ledger whose INR is backed by BTC and gold: the central bank issues INR
/// under a monetary policy governed 2 of 3, a BTC custodian and a gold custodian
/// attest holdings, and three oracles price both.
///
/// Reserves at genesis: 10 BTC at ₹50,00,000 with a 20 % haircut (₹40,00,000 ×
/// 10 = 4,000,000,000 paise) and 1 kg of gold at ₹6,000 a gram with a 5 %
/// haircut (570,000,000 paise): 4,570,000,000 paise against Alice's opening
/// 1,000,000, at a required coverage of 100 %.
public enum ReserveFixture {
    public static let btcVault = accountID(20)
    public static let goldVault = accountID(21)
    public static let oracles = [accountID(22), accountID(23), accountID(24)]
    public static let stranger = accountID(25)
    public static let btcVaultKey = testKey(20)
    public static let goldVaultKey = testKey(21)
    public static let oracleKeys = [testKey(22), testKey(23), testKey(24)]
    public static let strangerKey = testKey(25)
    public static let governanceKeys = [testKey(30), testKey(31), testKey(32)]
    public static let xauIssuance = accountID(0x102)

    public static let genesisTime: UInt64 = 1_000_000
    public static let btcPrice: UInt64 = 5_000_000_00
    public static let goldPricePerGram: UInt64 = 6_000_00
    /// The haircut value of the genesis reserves, in paise.
    public static let reserveValue: UInt64 = 4_570_000_000

    public static func policy(version: UInt32 = 1, coverage: UInt32 = 10_000, btcHaircut: UInt16 = 2_000) -> MonetaryPolicy {
        MonetaryPolicy(
            version: version, currency: inr, governance: try! KeySet(threshold: 2, keys: governanceKeys.map(\.publicKey)),
            requiredCoverageBasisPoints: coverage, maxAttestationAgeSeconds: 86_400, maxPriceAgeSeconds: 600, minimumPrices: 2,
            reserves: [ReserveRule(asset: btc, haircutBasisPoints: btcHaircut), ReserveRule(asset: xau, haircutBasisPoints: 500)],
            custodians: [Attestor(account: btcVault, assets: [btc]), Attestor(account: goldVault, assets: [xau])],
            oracles: oracles.map { Attestor(account: $0, assets: [btc, xau]) })
    }

    public static var genesis: Genesis { genesis(at: genesisTime) }

    /// The genesis with attestations and prices dated `milliseconds` (a node
    /// stamps its genesis with the real clock, so its test passes now).
    public static func genesis(at milliseconds: UInt64) -> Genesis {
        let base = Fixture.genesis
        let asOf = Timestamp(milliseconds: milliseconds)
        var operations = Array(base.operations.dropLast())  // the opening mint comes after the reserves
        for (account, key) in [(btcVault, btcVaultKey), (goldVault, goldVaultKey), (stranger, strangerKey)] + Array(zip(oracles, oracleKeys)) {
            operations.append(.createAccount(CreateAccount(account: account, controllers: KeySet(single: key.publicKey))))
        }
        operations += [
            .registerAsset(RegisterAsset(asset: xau, kind: .reserve, scale: 3, issuer: Fixture.centralBank, issuanceAccount: xauIssuance)),
            .setMonetaryPolicy(SetMonetaryPolicy(policy: policy())),
            .attestReserve(AttestReserve(custodian: btcVault, asset: btc, amount: Amount(10 * 100_000_000), asOf: asOf)),
            .attestReserve(AttestReserve(custodian: goldVault, asset: xau, amount: Amount(1_000_000), asOf: asOf)),
        ]
        for oracle in oracles {
            operations.append(.attestPrice(AttestPrice(oracle: oracle, asset: btc, price: Amount(btcPrice), asOf: asOf)))
            operations.append(.attestPrice(AttestPrice(oracle: oracle, asset: xau, price: Amount(goldPricePerGram), asOf: asOf)))
        }
        operations.append(base.operations.last!)
        return try! Genesis(origin: base.origin, ledgerKey: base.ledgerKey, issuer: base.issuer, operations: operations)
    }

    public static func genesisState() -> LedgerState {
        let (state, outcome) = LedgerState.genesis(genesis, time: Timestamp(milliseconds: genesisTime))
        precondition(outcome == .committed, "reserve fixture genesis: \(outcome)")
        return state
    }

    public static func mint(_ amount: UInt64, to account: AccountID = Fixture.bob) -> LedgerOperation {
        Fixture.transfer(amount, from: Fixture.inrIssuance, to: account)
    }

    public static func price(_ oracle: Int, _ asset: AssetCode, _ price: UInt64, at milliseconds: UInt64) -> LedgerOperation {
        .attestPrice(AttestPrice(oracle: oracles[oracle], asset: asset, price: Amount(price), asOf: Timestamp(milliseconds: milliseconds)))
    }
}
