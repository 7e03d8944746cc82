import KhataBytes
import KhataCore
import KhataTestSupport
import Testing

private typealias R = ReserveFixture

@Suite("Coverage arithmetic")
struct CoverageArithmeticTests {
    /// Hand-computed values at the edges: exact results, one rounding, always down.
    @Test func haircutValuesAreExact() {
        typealias C = CoverageArithmetic
        // 10 BTC at ₹50,00,000, 20 % haircut: 4,000,000,000 paise exactly.
        #expect(C.haircutValue(amount: 1_000_000_000, price: 500_000_000, scale: 8, haircutBasisPoints: 2_000) == 4_000_000_000)
        // 1 satoshi at 1 paisa per BTC is worth 10^-8 paisa: rounds down to nothing.
        #expect(C.haircutValue(amount: 1, price: 1, scale: 8, haircutBasisPoints: 0) == 0)
        // 3 units at 1 paisa with a 50 % haircut: 1.5 paise, rounded down to 1.
        #expect(C.haircutValue(amount: 3, price: 1, scale: 0, haircutBasisPoints: 5_000) == 1)
        // 1,999 mg of gold at 1 paisa a gram: 1.999 paise, rounded down to 1.
        #expect(C.haircutValue(amount: 1_999, price: 1, scale: 3, haircutBasisPoints: 0) == 1)
        // A 100 % haircut counts for nothing.
        #expect(C.haircutValue(amount: .max, price: .max, scale: 0, haircutBasisPoints: 10_000) == 0)
        // The largest product: (2^64 − 1)^2 exactly, no haircut, no scale.
        let max = UInt128(UInt64.max)
        #expect(C.haircutValue(amount: .max, price: .max, scale: 0, haircutBasisPoints: 0) == max * max)
        // A product past 128 bits before the division: (2^64 − 1)^2 × 9,999 / 10,000,
        // computed in Python's arbitrary-precision integers: (2**64-1)**2 * 9999 // 10000.
        #expect(
            C.haircutValue(amount: .max, price: .max, scale: 0, haircutBasisPoints: 1)
                == UInt128("340248338684246369580138471172420673314")!)
        // All the bitcoin there will ever be (2.1 × 10^15 satoshis) at ₹10^12 a
        // BTC (10^14 paise): 2.1 × 10^21 paise, past 64 bits; with a 1 bp haircut
        // 2.09979 × 10^21.
        #expect(
            C.haircutValue(amount: 2_100_000_000_000_000, price: 100_000_000_000_000, scale: 8, haircutBasisPoints: 1)
                == UInt128("2099790000000000000000")!)
    }

    /// Random values obey floor's definition: v·D ≤ exact < (v+1)·D.
    @Test func haircutValueIsTheFloor() {
        var random = SeededGenerator(seed: 5)
        for _ in 0..<2_000 {
            let amount = random.next() >> (random.next() % 64)
            let price = random.next() >> (random.next() % 64)
            let scale = UInt8(random.next() % 19)
            let haircut = UInt16(random.next() % 10_001)
            let value = CoverageArithmetic.haircutValue(amount: amount, price: price, scale: scale, haircutBasisPoints: haircut)
            var divisor: UInt128 = 10_000
            for _ in 0..<scale { divisor *= 10 }
            let exact = (UInt128(amount) * UInt128(price)).multipliedFullWidth(by: UInt128(10_000 - haircut))
            let low = value.multipliedFullWidth(by: divisor)
            let high = (value + 1).multipliedFullWidth(by: divisor)
            #expect(low.high < exact.high || (low.high == exact.high && low.low <= exact.low))
            #expect(high.high > exact.high || (high.high == exact.high && high.low > exact.low))
        }
    }

    /// The coverage test is exact at its boundary, and the reported ratio rounds down.
    @Test func coverageComparesExactly() {
        typealias C = CoverageArithmetic
        #expect(C.isCovered(reserveValue: 10_000, supply: 10_000, requiredBasisPoints: 10_000))
        #expect(!C.isCovered(reserveValue: 9_999, supply: 10_000, requiredBasisPoints: 10_000))
        // 150 % of 2 is 3.
        #expect(C.isCovered(reserveValue: 3, supply: 2, requiredBasisPoints: 15_000))
        #expect(!C.isCovered(reserveValue: 3, supply: 3, requiredBasisPoints: 10_001))
        // Huge reserves against the largest supply at the highest requirement.
        #expect(C.isCovered(reserveValue: .max, supply: .max, requiredBasisPoints: Limits.maxCoverageBasisPoints))
        #expect(C.coverageBasisPoints(reserveValue: 1, supply: 3) == 3_333)
        #expect(C.coverageBasisPoints(reserveValue: 2, supply: 3) == 6_666)
        #expect(C.coverageBasisPoints(reserveValue: 5, supply: 0) == nil)
        #expect(C.coverageBasisPoints(reserveValue: .max, supply: 1) == UInt64.max)
        #expect(C.lowerMedian([7, 1, 9, 3]) == 3)
        #expect(C.lowerMedian([5, 100, 6]) == 6)
        #expect(C.lowerMedian([]) == nil)
    }
}

@Suite("Reserves and monetary policy")
struct ReserveTests {
    /// The fixture's reserves are valued as computed by hand, and cover exactly up to them.
    @Test func genesisReservesAreValued() throws {
        var state = R.genesisState()
        let status = try #require(state.reserveStatus(at: state.time))
        #expect(status.reserveValue == UInt128(R.reserveValue))
        #expect(status.supply == Fixture.aliceOpeningINR)
        #expect(status.isFresh && status.isCovered)
        // Minting up to the reserves exactly is allowed; one paisa more is not.
        let room = R.reserveValue - Fixture.aliceOpeningINR
        #expect(
            apply(&state, Fixture.transaction(1, [R.mint(room + 1)], signedBy: [Fixture.issuerKey])) == .rejected(.coverageInsufficient, operation: 0)
        )
        #expect(apply(&state, Fixture.transaction(2, [R.mint(room)], signedBy: [Fixture.issuerKey])) == .committed)
        #expect(state.supply(of: inr) == R.reserveValue)
    }

    /// When prices fall the currency is reported undercovered and mints stop; burns
    /// still go through, and mints resume once coverage is restored.
    @Test func priceFallBlocksMintsButNotBurns() throws {
        var state = R.genesisState()
        let room = R.reserveValue - Fixture.aliceOpeningINR
        #expect(apply(&state, Fixture.transaction(1, [R.mint(room)], signedBy: [Fixture.issuerKey])) == .committed)
        // Two of three oracles halve the BTC price: the lower median halves too.
        let now = state.time.milliseconds + 1
        let fall = [R.price(0, btc, R.btcPrice / 2, at: now), R.price(1, btc, R.btcPrice / 2, at: now)]
        #expect(apply(&state, Fixture.transaction(2, fall, signedBy: Array(R.oracleKeys.prefix(2)))) == .committed)
        let status = try #require(state.reserveStatus(at: state.time))
        #expect(!status.isCovered)
        #expect(status.reserveValue == UInt128(R.reserveValue - 2_000_000_000))
        #expect(apply(&state, Fixture.transaction(3, [R.mint(1)], signedBy: [Fixture.issuerKey])) == .rejected(.coverageInsufficient, operation: 0))
        // Bob redeems 2,000,000,000 paise: a burn, always allowed, which restores coverage exactly.
        let burn = Fixture.transfer(2_000_000_000, from: Fixture.bob, to: Fixture.inrIssuance)
        #expect(apply(&state, Fixture.transaction(4, [burn], signedBy: [Fixture.bobKey])) == .committed)
        #expect(state.reserveStatus(at: state.time)?.isCovered == true)
        #expect(apply(&state, Fixture.transaction(5, [R.mint(1)], signedBy: [Fixture.issuerKey])) == .rejected(.coverageInsufficient, operation: 0))
        #expect(apply(&state, Fixture.transaction(6, [burn, R.mint(1)], signedBy: [Fixture.bobKey, Fixture.issuerKey])) == .committed)
    }

    /// A custodian that goes quiet blocks minting once its attestation is older
    /// than the policy allows; a fresh attestation unblocks it.
    @Test func staleAttestationBlocksMints() {
        var state = R.genesisState()
        // Keep prices fresh while a day passes.
        let day: UInt64 = 86_400_000
        let prices = [
            R.price(0, btc, R.btcPrice, at: R.genesisTime + day + 1), R.price(1, btc, R.btcPrice, at: R.genesisTime + day + 1),
            R.price(0, xau, R.goldPricePerGram, at: R.genesisTime + day + 1), R.price(1, xau, R.goldPricePerGram, at: R.genesisTime + day + 1),
        ]
        #expect(apply(&state, Fixture.transaction(1, prices, signedBy: Array(R.oracleKeys.prefix(2))), advance: day + 1) == .committed)
        let before = Books(state)
        #expect(apply(&state, Fixture.transaction(2, [R.mint(1)], signedBy: [Fixture.issuerKey])) == .rejected(.reserveDataStale, operation: 0))
        #expect(Books(state) == before)  // the refused mint changed nothing
        let attest = { (custodian: AccountID, asset: AssetCode, amount: UInt64) -> LedgerOperation in
            .attestReserve(AttestReserve(custodian: custodian, asset: asset, amount: Amount(amount), asOf: state.time))
        }
        #expect(apply(&state, Fixture.transaction(3, [attest(R.btcVault, btc, 1_000_000_000)], signedBy: [R.btcVaultKey]), advance: 0) == .committed)
        // The gold custodian is still stale.
        #expect(apply(&state, Fixture.transaction(4, [R.mint(1)], signedBy: [Fixture.issuerKey])) == .rejected(.reserveDataStale, operation: 0))
        #expect(apply(&state, Fixture.transaction(5, [attest(R.goldVault, xau, 1_000_000)], signedBy: [R.goldVaultKey]), advance: 0) == .committed)
        #expect(apply(&state, Fixture.transaction(6, [R.mint(1)], signedBy: [Fixture.issuerKey])) == .committed)
    }

    /// Fewer fresh prices than the policy needs make a mint stale, even when
    /// one oracle is still fresh.
    @Test func tooFewFreshPricesAreStale() {
        var state = R.genesisState()
        let at = R.genesisTime + 600_001
        let one = [R.price(2, btc, R.btcPrice, at: at), R.price(2, xau, R.goldPricePerGram, at: at)]
        #expect(apply(&state, Fixture.transaction(1, one, signedBy: [R.oracleKeys[2]]), advance: 600_001) == .committed)
        #expect(apply(&state, Fixture.transaction(2, [R.mint(1)], signedBy: [Fixture.issuerKey])) == .rejected(.reserveDataStale, operation: 0))
        let two = [R.price(0, btc, R.btcPrice, at: at + 1), R.price(0, xau, R.goldPricePerGram, at: at + 1)]
        #expect(apply(&state, Fixture.transaction(3, two, signedBy: [R.oracleKeys[0]])) == .committed)
        #expect(apply(&state, Fixture.transaction(4, [R.mint(1)], signedBy: [Fixture.issuerKey])) == .committed)
    }

    /// Attestations and prices: only registered attestors, signed by their own
    /// keys, in time order; a later one replaces the earlier.
    @Test func attestationsReplaceInOrder() {
        var state = R.genesisState()
        let at = Timestamp(milliseconds: R.genesisTime + 1)
        let attest = { (amount: UInt64, asOf: Timestamp) -> LedgerOperation in
            .attestReserve(AttestReserve(custodian: R.btcVault, asset: btc, amount: Amount(amount), asOf: asOf, report: Digest32.sha256([1])))
        }
        // The gold custodian may not attest BTC; a stranger may not sign for the BTC custodian.
        let wrongAsset = AttestReserve(custodian: R.goldVault, asset: btc, amount: Amount(1), asOf: at)
        #expect(
            apply(&state, Fixture.transaction(1, [.attestReserve(wrongAsset)], signedBy: [R.goldVaultKey]))
                == .rejected(.attestorNotRegistered, operation: 0))
        #expect(apply(&state, Fixture.transaction(2, [attest(5, at)], signedBy: [R.strangerKey])) == .rejected(.insufficientSignatures, operation: 0))
        let forged = R.price(0, btc, 1, at: at.milliseconds)
        #expect(apply(&state, Fixture.transaction(3, [forged], signedBy: [R.strangerKey])) == .rejected(.insufficientSignatures, operation: 0))
        let unregistered = AttestPrice(oracle: R.stranger, asset: btc, price: Amount(1), asOf: at)
        #expect(
            apply(&state, Fixture.transaction(4, [.attestPrice(unregistered)], signedBy: [R.strangerKey]))
                == .rejected(.attestorNotRegistered, operation: 0))
        #expect(apply(&state, Fixture.transaction(5, [attest(5, at)], signedBy: [R.btcVaultKey])) == .committed)
        #expect(state.reserves.attestations[AttestorKey(account: R.btcVault, asset: btc)]?.value.amount == Amount(5))
        #expect(state.reserves.attestations[AttestorKey(account: R.btcVault, asset: btc)]?.index == LeafIndex(state.size - 1))
        // Same as-of time again: not later, refused.
        #expect(apply(&state, Fixture.transaction(6, [attest(6, at)], signedBy: [R.btcVaultKey])) == .rejected(.asOfInvalid, operation: 0))
    }

    /// The policy changes only with 2 of its 3 governance keys; the issuer's own
    /// key (which set the first policy) no longer suffices.
    @Test func policyChangesNeedGovernance() {
        var state = R.genesisState()
        let change = LedgerOperation.setMonetaryPolicy(SetMonetaryPolicy(policy: R.policy(version: 2, coverage: 20_000)))
        #expect(apply(&state, Fixture.transaction(1, [change], signedBy: [Fixture.issuerKey])) == .rejected(.governanceThresholdNotMet, operation: 0))
        #expect(apply(&state, Fixture.transaction(2, [change], signedBy: [R.governanceKeys[0], R.governanceKeys[2]])) == .committed)
        #expect(state.reserves.policy?.requiredCoverageBasisPoints == 20_000)
        // At 200 % the reserves now cover at most half of themselves.
        let room = R.reserveValue / 2 - Fixture.aliceOpeningINR
        #expect(
            apply(&state, Fixture.transaction(3, [R.mint(room + 1)], signedBy: [Fixture.issuerKey])) == .rejected(.coverageInsufficient, operation: 0)
        )
        #expect(apply(&state, Fixture.transaction(4, [R.mint(room)], signedBy: [Fixture.issuerKey])) == .committed)
    }

    /// A policy that does not fit the ledger is refused whole.
    @Test func invalidPoliciesAreRefused() {
        var state = R.genesisState()
        let governors = Array(R.governanceKeys.prefix(2))
        var otherCurrency = R.policy(version: 2)
        otherCurrency.currency = AssetCode("USD")!
        var reserveIsCurrency = R.policy(version: 2)
        reserveIsCurrency.reserves = [ReserveRule(asset: btc, haircutBasisPoints: 0), ReserveRule(asset: xau, haircutBasisPoints: 0)]
        reserveIsCurrency.custodians = [Attestor(account: Fixture.inrIssuance, assets: [btc])]
        for (n, policy) in [otherCurrency, reserveIsCurrency, R.policy(version: 1)].enumerated() {
            let outcome = apply(&state, Fixture.transaction(UInt64(n), [.setMonetaryPolicy(SetMonetaryPolicy(policy: policy))], signedBy: governors))
            #expect(outcome == .rejected(.policyInvalid, operation: 0), "policy \(n)")
        }
        // Stateless faults never become transactions.
        var unpriced = R.policy(version: 2)
        unpriced.minimumPrices = 4
        var haircut = R.policy(version: 2)
        haircut.reserves[0].haircutBasisPoints = 10_001
        for policy in [unpriced, haircut] {
            #expect(throws: MalformedInput.self) {
                try Transaction(id: transactionID(9), operations: [.setMonetaryPolicy(SetMonetaryPolicy(policy: policy))])
            }
        }
    }

    /// A liabilities commitment must carry the supply at its as-of size, be signed
    /// by the ledger key, and come after the previous one; it records the reserves.
    @Test func liabilitiesCommitmentsAreChecked() throws {
        var state = R.genesisState()
        #expect(apply(&state, Fixture.transaction(1, [R.mint(500)], signedBy: [Fixture.issuerKey])) == .committed)
        // After 2 entries the supply was the opening balance plus 500.
        let root = Digest32.sha256([7])
        let commit = { (asOf: UInt64, total: UInt64) -> LedgerOperation in
            .commitLiabilities(CommitLiabilities(asset: inr, asOf: asOf, total: Amount(total), leafCount: 1024, root: root))
        }
        #expect(
            apply(&state, Fixture.transaction(2, [commit(2, Fixture.aliceOpeningINR + 500)], signedBy: [Fixture.issuerKey]))
                == .rejected(.insufficientSignatures, operation: 0))
        #expect(
            apply(&state, Fixture.transaction(3, [commit(1, Fixture.aliceOpeningINR + 500)], signedBy: [Fixture.ledgerKey]))
                == .rejected(.liabilitiesMismatch, operation: 0))
        #expect(apply(&state, Fixture.transaction(4, [commit(1, Fixture.aliceOpeningINR)], signedBy: [Fixture.ledgerKey])) == .committed)
        let record = try #require(state.reserves.liabilities)
        #expect(record.commitment.asOf == 1 && record.index == LeafIndex(state.size - 1))
        #expect(record.evaluation.supply == Fixture.aliceOpeningINR && record.evaluation.reserveValue == UInt128(R.reserveValue))
        // Not after the previous commitment, or not before its own entry: refused.
        #expect(
            apply(&state, Fixture.transaction(5, [commit(1, Fixture.aliceOpeningINR)], signedBy: [Fixture.ledgerKey]))
                == .rejected(.liabilitiesMismatch, operation: 0))
        #expect(
            apply(&state, Fixture.transaction(6, [commit(state.size + 1, Fixture.aliceOpeningINR + 500)], signedBy: [Fixture.ledgerKey]))
                == .rejected(.liabilitiesMismatch, operation: 0))
        #expect(apply(&state, Fixture.transaction(7, [commit(2, Fixture.aliceOpeningINR + 500)], signedBy: [Fixture.ledgerKey])) == .committed)
    }

    /// The supply history keeps exactly what docs/RESERVES.md ("The supply
    /// history") says: a point after an entry only when the supply changed, and a
    /// commitment keeps the latest point at or before its `as_of` and every later one.
    @Test func supplyHistoryKeepsWhatTheSpecSays() throws {
        var state = R.genesisState()
        let opening = Fixture.aliceOpeningINR
        func points(_ state: LedgerState) -> [[UInt64]] { state.reserves.supplyHistory.map { [$0.size, $0.supply] } }
        let atGenesis = points(state)
        #expect(atGenesis.last?.last == opening)
        #expect(apply(&state, Fixture.transaction(1, [R.mint(100)], signedBy: [Fixture.issuerKey])) == .committed)  // entry 1
        #expect(
            apply(&state, Fixture.transaction(2, [Fixture.transfer(7, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey]))
                == .committed)  // entry 2: no change
        #expect(apply(&state, Fixture.transaction(3, [R.mint(50)], signedBy: [Fixture.issuerKey])) == .committed)  // entry 3
        #expect(apply(&state, Fixture.transaction(4, [R.mint(30)], signedBy: [Fixture.issuerKey])) == .committed)  // entry 4
        let expected =
            atGenesis + [
                [2, opening + 100], [4, opening + 150], [5, opening + 180],
            ]
        #expect(points(state) == expected)
        // A commitment at as_of 3 carries the supply after 3 entries (the point of size 2)
        // and keeps that point and every later one.
        #expect(state.reserves.supply(atSize: 3) == opening + 100)
        let commit = CommitLiabilities(asset: inr, asOf: 3, total: Amount(opening + 100), leafCount: 1024, root: Digest32.sha256([2]))
        #expect(apply(&state, Fixture.transaction(5, [.commitLiabilities(commit)], signedBy: [Fixture.ledgerKey])) == .committed)
        #expect(points(state) == Array(expected.suffix(3)))
        // The wrong total for that size is refused, and changes nothing.
        let before = points(state)
        let wrong = CommitLiabilities(asset: inr, asOf: 4, total: Amount(opening + 100), leafCount: 1024, root: Digest32.sha256([3]))
        #expect(
            apply(&state, Fixture.transaction(6, [.commitLiabilities(wrong)], signedBy: [Fixture.ledgerKey]))
                == .rejected(.liabilitiesMismatch, operation: 0))
        #expect(points(state) == before)
    }

    /// The reserve state survives a snapshot, and the holdings book is rebuilt.
    @Test func reservesSurviveSnapshots() throws {
        var state = R.genesisState()
        #expect(apply(&state, Fixture.transaction(1, [R.mint(500)], signedBy: [Fixture.issuerKey])) == .committed)
        let commit = CommitLiabilities(asset: inr, asOf: 2, total: Amount(Fixture.aliceOpeningINR + 500), leafCount: 1024, root: Digest32.sha256([1]))
        #expect(apply(&state, Fixture.transaction(2, [.commitLiabilities(commit)], signedBy: [Fixture.ledgerKey])) == .committed)
        let restored = try LedgerState(snapshot: state.encodedSnapshot())
        #expect(restored.reserves == state.reserves)
        #expect(restored.digest == state.digest)
        var holdings: [AccountID: UInt64] = [:]
        restored.currencyHoldings?.view.forEachPositive { holdings[$0.account] = $0.balance }
        #expect(holdings == [Fixture.alice: Fixture.aliceOpeningINR, Fixture.bob: 500])
        // A liabilities view exists only under a policy, and names the size it reflects.
        #expect(restored.liabilityView?.asOf == restored.size)
        #expect(Fixture.genesisState().liabilityView == nil)
    }

    /// Snapshots written before reserves existed (version 1: no reserve section)
    /// still load, as a state without a policy; version 2 (no securities) as a
    /// state without instruments; version 3 (no zones) as a state without zones;
    /// version 4 (no payments) as a state without providers or payments.
    @Test func versionOneSnapshotsLoad() throws {
        let state = Fixture.genesisState()
        var bytes = state.encodedSnapshot()
        // An empty payments section (version 5): no providers, addresses,
        // requests, mandates, quotes in use or remittances. Without it, a version 4 snapshot.
        #expect(Array(bytes.suffix(44)) == Array(repeating: 0, count: 44))
        bytes.removeLast(44)
        bytes[0] = 4
        #expect(try LedgerState(snapshot: bytes).digest == state.digest)
        // An empty zones section (version 4): no zones, the next proposal 1, no
        // proposals, outflows or moves. Without it, a version 3 snapshot.
        #expect(Array(bytes.suffix(30)) == [0, 0] + [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0] + Array(repeating: 0, count: 16))
        bytes.removeLast(30)
        bytes[0] = 3
        #expect(try LedgerState(snapshot: bytes).digest == state.digest)
        // An empty securities section (version 3): no instruments, identities,
        // locks or actions, the next action 1, no links. Without it, a version 2 snapshot.
        #expect(Array(bytes.suffix(28)) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        bytes.removeLast(28)
        bytes[0] = 2
        #expect(try LedgerState(snapshot: bytes).digest == state.digest)
        // An empty reserve section: no policy, no attestations, prices or supply points, no commitment.
        #expect(Array(bytes.suffix(14)) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        bytes.removeLast(14)
        bytes[0] = 1
        let loaded = try LedgerState(snapshot: bytes)
        #expect(loaded.digest == state.digest)
        #expect(loaded.reserves.policy == nil)
    }

    /// A random workload of mints, burns, transfers and price moves: after every
    /// commit the currency in circulation never exceeds what the policy allowed
    /// at the last mint, and every mint is decided exactly as the evaluation says.
    @Test func randomWorkloadKeepsCoverage() throws {
        var state = R.genesisState()
        var random = SeededGenerator(seed: 77)
        let people = [Fixture.alice, Fixture.bob]
        let keys = [Fixture.alice: Fixture.aliceKey, Fixture.bob: Fixture.bobKey]
        var reserveAtLastMint = UInt128(R.reserveValue)
        var requiredAtLastMint: UInt32 = 10_000
        var mints = (committed: 0, refused: 0)
        for n in 0..<2_000 {
            let id = UInt64(n + 1)
            let time = state.time.milliseconds + 1 + random.next() % 2_000
            let transaction: Transaction
            var expected: Outcome?
            switch random.next() % 4 {
            case 0:
                let amount = 1 + random.next() % 1_500_000_000
                let supplyAfter = state.supply(of: inr) + amount
                let evaluation = try #require(state.reserves.evaluate(at: Timestamp(milliseconds: time), supply: supplyAfter, assets: state.assets))
                expected = evaluation.mintRejection.map { .rejected($0, operation: 0) } ?? .committed
                transaction = Fixture.transaction(id, [R.mint(amount, to: people[Int(random.next() % 2)])], signedBy: [Fixture.issuerKey])
            case 1:
                let holder = people[Int(random.next() % 2)]
                let held = UInt64(state.balance(of: holder, in: inr).available)
                guard held > 0 else { continue }
                transaction = Fixture.transaction(
                    id, [Fixture.transfer(1 + random.next() % held, from: holder, to: Fixture.inrIssuance)], signedBy: [keys[holder]!])
            case 2:
                let from = Int(random.next() % 2)
                transaction = Fixture.transaction(
                    id, [Fixture.transfer(1 + random.next() % 1_000_000, from: people[from], to: people[1 - from])], signedBy: [keys[people[from]]!])
            default:
                // An oracle moves the BTC or gold price by up to ±30 %, or stays silent long enough to go stale.
                let oracle = Int(random.next() % 3)
                let asset = random.next() % 2 == 0 ? btc : xau
                let base = asset == btc ? R.btcPrice : R.goldPricePerGram
                let price = base / 10 * (7 + random.next() % 7)
                transaction = Fixture.transaction(id, [R.price(oracle, asset, price, at: time)], signedBy: [R.oracleKeys[oracle]])
            }
            let outcome = apply(&state, transaction, advance: time - state.time.milliseconds)
            if let expected { #expect(outcome == expected, "mint \(n)") }
            if expected != nil {
                if outcome == .committed {
                    mints.committed += 1
                    let evaluation = try #require(state.reserveStatus(at: state.time))
                    reserveAtLastMint = evaluation.reserveValue
                    requiredAtLastMint = evaluation.requiredCoverageBasisPoints
                } else {
                    mints.refused += 1
                }
            }
            #expect(
                CoverageArithmetic.isCovered(reserveValue: reserveAtLastMint, supply: state.supply(of: inr), requiredBasisPoints: requiredAtLastMint))
            #expect(state.invariantViolations().isEmpty)
        }
        // The workload exercised both sides.
        #expect(mints.committed > 30 && mints.refused > 30, "\(mints)")
    }
}
