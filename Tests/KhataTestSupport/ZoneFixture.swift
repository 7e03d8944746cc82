import KhataBytes
import KhataCore
import KhataEd25519

/// The fixture ledger with two zones: the mainland (zone 0) and a special
/// economic zone (zone 7), each with its own law (docs/LAWS.md).
public enum ZoneFixture {
    public static let sez: ZoneID = 7
    public static let governorKeys = [testKey(40), testKey(41), testKey(42)]
    public static let guardianKey = testKey(43)
    public static let daveKey = testKey(50)
    public static let kycKey = testKey(51)
    public static let mainTreasuryKey = testKey(52)
    public static let sezTreasuryKey = testKey(53)

    public static let mainTreasury = accountID(0x310)
    public static let sezTreasury = accountID(0x311)
    /// An account in the SEZ.
    public static let dave = accountID(0x312)
    public static let kyc = accountID(0x313)
    public static let daveOpeningINR: UInt64 = 500_000

    public static let governance = Governance(votingSeconds: 60, quorum: 2, threshold: 2, vetoes: 1, timelockSeconds: 120)

    /// Mainland: tier 0 pays at most ₹100 at once, ₹200 a day, ₹500 a month,
    /// and holds ₹20,000; value leaving pays 1 % (at least 10 paise, at most
    /// ₹5) and at most ₹500 a payment; 10 % withheld on dividends.
    public static var mainlandLaw: Law {
        try! Law(
            document: Digest32.sha256(Array("Mainland payments law".utf8)), url: "https://khata.example/laws/mainland",
            currency: inr, providers: [ProviderGrant(account: kyc, maxTier: 2)],
            tiers: [
                TierLimits(perPayment: Amount(10_000), daily: Amount(20_000), monthly: Amount(50_000), balance: Amount(2_000_000)),
                TierLimits(perPayment: Amount(100_000), daily: Amount(200_000), monthly: Amount(1_000_000), balance: Amount(10_000_000)),
            ],
            withholdingBasisPoints: 1_000, treasury: mainTreasury,
            corridors: [
                Corridor(
                    direction: .outbound, zone: Corridor.anyZone, levyBasisPoints: 100, levyFloor: Amount(10), levyCap: Amount(500),
                    maxPerPayment: Amount(50_000))
            ])
    }

    /// The SEZ, on UTC+5:30: holds only INR; tier 0 pays at most ₹1,000 a day
    /// and holds ₹10,000; value entering pays 0.5 %; leaving pays 2 % of the
    /// balance; entering needs tier 1.
    public static var sezLaw: Law {
        try! Law(
            document: Digest32.sha256(Array("SEZ charter".utf8)), url: "https://khata.example/laws/sez", utcOffsetMinutes: 330,
            currency: inr, providers: [ProviderGrant(account: kyc, maxTier: 2)],
            tiers: [TierLimits(daily: Amount(100_000), balance: Amount(1_000_000))], allowedAssets: [inr], treasury: sezTreasury,
            corridors: [Corridor(direction: .inbound, zone: Corridor.anyZone, levyBasisPoints: 50)], exitLevyBasisPoints: 200,
            entryMinimumTier: 1)
    }

    public static func registration(_ zone: ZoneID, name: String, law: Law) -> RegisterZone {
        try! RegisterZone(
            zone: zone, name: name, governors: governorKeys.map(\.publicKey), guardian: guardianKey.publicKey, governance: governance, law: law)
    }

    public static var genesis: Genesis {
        var operations = Fixture.genesis.operations
        operations += [
            .createAccount(CreateAccount(account: mainTreasury, controllers: KeySet(single: mainTreasuryKey.publicKey))),
            .createAccount(CreateAccount(account: kyc, controllers: KeySet(single: kycKey.publicKey))),
            .registerZone(registration(0, name: "Mainland", law: mainlandLaw)),
            .createAccount(CreateAccount(account: sezTreasury, controllers: KeySet(single: sezTreasuryKey.publicKey))),
        ]
        // The SEZ's treasury is a mainland account: its law names an account
        // that exists, and a zone exists before accounts are opened in it.
        operations += [
            .registerZone(registration(sez, name: "Gift City SEZ", law: sezLaw)),
            .createAccount(CreateAccount(account: dave, controllers: KeySet(single: daveKey.publicKey), zone: sez)),
            .transfer(Transfer(asset: inr, debit: Fixture.inrIssuance, credit: dave, amount: Amount(daveOpeningINR), memo: "opening")),
        ]
        return try! Genesis(origin: Fixture.origin, ledgerKey: Fixture.ledgerKey.publicKey, issuer: Fixture.genesis.issuer, operations: operations)
    }

    public static func genesisState(time: UInt64 = 1_000) -> LedgerState {
        let (state, outcome) = LedgerState.genesis(genesis, time: Timestamp(milliseconds: time))
        precondition(outcome == .committed, "zone fixture genesis: \(outcome)")
        return state
    }

    /// A transfer with the levies it owes, as a wallet would build it from `leviesDue`.
    public static func payment(_ amount: UInt64, from debit: AccountID, to credit: AccountID, in state: LedgerState, at position: UInt16 = 0)
        -> [LedgerOperation]
    {
        let levies = state.leviesDue(asset: inr, debit: debit, credit: credit, amount: Amount(amount))
        return [Fixture.transfer(amount, from: debit, to: credit)]
            + levies.map { .payLevy(PayLevy(operation: position, zone: $0.zone, amount: $0.amount)) }
    }
}
