import KhataBytes
import KhataCore
import KhataEd25519

/// The fixture ledger plus a stockchain: Acme (the issuer) registers ACME
/// shares, 1,000 authorised, whose rules want a tier-1 identity from the KYC
/// provider, at most 3 holders and at most 500 shares each, with an agent key
/// of its own; the provider verifies Alice (tier 2) and Bob (tier 1); Acme
/// issues 300 shares to Alice. Carol is not verified.
public enum StockchainFixture {
    public static let acmeKey = testKey(7)
    public static let agentKey = testKey(8)
    public static let kycKey = testKey(9)
    public static let acme = accountID(20)
    public static let kyc = accountID(21)
    public static let acmeIssuance = accountID(0x200)
    public static let shares = AssetCode("ACME")!
    public static let farFuture = Timestamp(milliseconds: 1 << 50)

    public static func rules(maxHolders: UInt32 = 3, maxHolding: UInt64 = 500, minimumTier: UInt8 = 1) -> InstrumentRules {
        try! InstrumentRules(
            agent: KeySet(single: agentKey.publicKey), minimumTier: minimumTier, identityProviders: minimumTier > 0 ? [kyc] : [],
            maxHolders: maxHolders, maxHolding: Amount(maxHolding))
    }

    public static let registration = RegisterInstrument(
        asset: shares, issuer: acme, issuanceAccount: acmeIssuance, name: "Acme Tea Ltd ordinary shares",
        document: Digest32.sha256(Array("prospectus".utf8)), authorised: Amount(1_000), currency: inr,
        terms: .equity(EquityTerms(shareClass: "ordinary", parValue: Amount(1_000))), rules: rules())

    public static func share(_ amount: UInt64, from: AccountID, to: AccountID) -> LedgerOperation {
        Fixture.transfer(amount, from: from, to: to, asset: shares)
    }

    public static func attest(_ account: AccountID, tier: UInt8, until: Timestamp = farFuture) -> LedgerOperation {
        .attestIdentity(AttestIdentity(provider: kyc, account: account, tier: tier, expiresAt: until))
    }

    public static func lock(_ account: AccountID, _ amount: UInt64, until: Timestamp? = nil) -> LedgerOperation {
        .lockHolding(LockHolding(asset: shares, account: account, amount: Amount(amount), until: until, reason: "lock-up"))
    }

    /// The transactions that build the fixture, ids 300…303.
    public static var setup: [Transaction] {
        [
            Fixture.transaction(
                300,
                [
                    .createAccount(CreateAccount(account: acme, controllers: KeySet(single: acmeKey.publicKey))),
                    .createAccount(CreateAccount(account: kyc, controllers: KeySet(single: kycKey.publicKey))),
                ], signedBy: [acmeKey, kycKey]),
            Fixture.transaction(301, [.registerInstrument(registration)], signedBy: [acmeKey]),
            Fixture.transaction(302, [attest(Fixture.alice, tier: 2), attest(Fixture.bob, tier: 1)], signedBy: [kycKey]),
            Fixture.transaction(303, [share(300, from: acmeIssuance, to: Fixture.alice)], signedBy: [acmeKey]),
        ]
    }

    /// Applies `transaction` as the next entry, 1 ms after the last.
    public static func apply(_ state: inout LedgerState, _ transaction: Transaction) -> Outcome {
        try! transaction.verifySignatures(origin: state.origin)
        return state.apply(
            transaction, contentDigest: transaction.contentDigest, index: LeafIndex(state.size),
            time: Timestamp(milliseconds: state.time.milliseconds + 1))
    }

    public static func state() -> LedgerState {
        var state = Fixture.genesisState()
        for transaction in setup { precondition(StockchainFixture.apply(&state, transaction) == .committed, "securities fixture") }
        return state
    }
}

/// The securities fixture plus ₹2,000 in Acme's account to pay with, and Bob
/// holding 1 share (Alice 299).
public enum ActionFixture {
    public static let escrow = accountID(0x300)
    public static var setup: [Transaction] {
        [
            Fixture.transaction(310, [Fixture.transfer(200_000, from: Fixture.alice, to: StockchainFixture.acme)], signedBy: [Fixture.aliceKey]),
            Fixture.transaction(311, [StockchainFixture.share(1, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey]),
        ]
    }

    public static func state() -> LedgerState {
        var state = StockchainFixture.state()
        for transaction in setup { precondition(StockchainFixture.apply(&state, transaction) == .committed, "actions fixture") }
        return state
    }

    public static func declare(_ terms: ActionTerms, asset: AssetCode = StockchainFixture.shares, escrow: AccountID = escrow) -> LedgerOperation {
        .declareAction(DeclareAction(asset: asset, terms: terms, escrowAccount: escrow))
    }

    /// The ledger's commitment to action `id`'s register (a stand-in root: the
    /// state machine checks the total, the tree is checked by its holders).
    public static func commit(_ action: UInt64, total: UInt64) -> LedgerOperation {
        .commitRegister(
            CommitRegister(action: action, total: Amount(total), leafCount: 1_024, root: Digest32.sha256(Array("register \(action)".utf8))))
    }

    public static func settle(_ action: UInt64, _ accounts: [AccountID]) -> LedgerOperation {
        .settleAction(SettleAction(action: action, accounts: accounts))
    }

    /// The register's accounts, ascending, as the node would settle them.
    public static func everyone(_ state: LedgerState, _ id: UInt64) -> [AccountID] {
        state.register(of: state.securities.actions[id]!).map(\.account)
    }
}
