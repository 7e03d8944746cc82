import Foundation
import KhataCore
import KhataLiabilities
import KhataTestSupport
import Testing

/// A book of `count` holders with balances of 1 to 500 paise, from a real ledger state.
private func holdings(_ count: Int) -> (LedgerState, HoldingView) {
    var state = ReserveFixture.genesisState()
    var operations: [LedgerOperation] = []
    var id: UInt64 = 1
    for n in 0..<count {
        let account = accountID(10_000 + UInt64(n))
        let key = testKey(40)
        operations.append(.createAccount(CreateAccount(account: account, controllers: KeySet(single: key.publicKey))))
        operations.append(Fixture.transfer(UInt64(n % 500 + 1), from: Fixture.alice, to: account))
        if operations.count >= 400 {
            let transaction = Fixture.transaction(id, operations, signedBy: [Fixture.aliceKey, key])
            precondition(applied(&state, transaction) == .committed)
            operations = []
            id += 1
        }
    }
    if !operations.isEmpty {
        precondition(applied(&state, Fixture.transaction(id, operations, signedBy: [Fixture.aliceKey, testKey(40)])) == .committed)
    }
    return (state, state.currencyHoldings!.view)
}

private func applied(_ state: inout LedgerState, _ transaction: Transaction) -> Outcome {
    state.apply(
        transaction, contentDigest: transaction.contentDigest, index: LeafIndex(state.size),
        time: Timestamp(milliseconds: state.time.milliseconds + 1))
}

private let saltKey = LiabilityHashing.saltKey(ledgerSeed: Array(repeating: 9, count: 32))

@Suite("Liabilities tree")
struct LiabilityTreeTests {
    /// Every holder's proof verifies against the commitment, whose total is the
    /// supply; the tree is padded to a power of two of at least 1,024 leaves.
    @Test func everyHolderVerifies() throws {
        let (state, view) = holdings(1_500)
        let tree = try LiabilityTree.build(holdings: view, asOf: state.size, saltKey: saltKey)
        let commitment = tree.commitment
        #expect(commitment.total.units == state.supply(of: inr))
        #expect(commitment.leafCount == 2_048)
        #expect(tree.holderCount == 1_501)  // Alice too
        var positions = Set<UInt64>()
        for n in 0..<1_500 {
            let proof = try #require(tree.proof(for: accountID(10_000 + UInt64(n))))
            #expect(proof.balance == Amount(UInt64(n % 500 + 1)))
            try proof.verify(against: commitment)
            positions.insert(proof.position)
        }
        #expect(positions.count == 1_500)
        #expect(tree.proof(for: Fixture.bob) == nil)  // holds nothing
    }

    /// The tree is deterministic for a salt key and as-of size, and another salt
    /// key gives another root (salts hide identities only while secret).
    @Test func saltsAreKeyed() throws {
        let (state, view) = holdings(10)
        let a = try LiabilityTree.build(holdings: view, asOf: state.size, saltKey: saltKey)
        let b = try LiabilityTree.build(holdings: view, asOf: state.size, saltKey: saltKey)
        let c = try LiabilityTree.build(holdings: view, asOf: state.size, saltKey: LiabilityHashing.saltKey(ledgerSeed: [1]))
        #expect(a.root == b.root && a.root != c.root)
        // Salts differ per commitment: the same holder's salt changes with as-of.
        let d = try LiabilityTree.build(holdings: view, asOf: state.size + 1, saltKey: saltKey)
        #expect(a.proof(for: Fixture.alice)!.salt != d.proof(for: Fixture.alice)!.salt)
    }

    /// The known attacks on proofs of liabilities fail, each with its reason.
    @Test func attacksFail() throws {
        let (state, view) = holdings(40)
        let tree = try LiabilityTree.build(holdings: view, asOf: state.size, saltKey: saltKey)
        let commitment = tree.commitment
        let proof = try #require(tree.proof(for: accountID(10_005)))
        try proof.verify(against: commitment)

        func expectFailure(_ forged: LiabilityProof, against target: CommitLiabilities? = nil, _ code: LiabilityProofError.Code) {
            #expect(throws: LiabilityProofError.self) { try forged.verify(against: target ?? commitment) }
            do {
                try forged.verify(against: target ?? commitment)
            } catch {
                #expect(error.code == code, "\(error)")
            }
        }
        // A sibling whose sum was lowered (to hide liabilities) changes the root.
        var siblings = proof.siblings
        let carrying = try #require(siblings.firstIndex { $0.sum.units > 0 })
        siblings[carrying] = .init(hash: siblings[carrying].hash, sum: Amount(siblings[carrying].sum.units - 1))
        expectFailure(proof.with(siblings: siblings), .rootMismatch)
        // A "negative" sibling sum, as two's complement, is out of range.
        siblings = proof.siblings
        siblings[0] = .init(hash: siblings[0].hash, sum: Amount(UInt64.max - 4))
        expectFailure(proof.with(siblings: siblings), .outOfRange)
        // A balance past the range, which would wrap a sum.
        expectFailure(proof.with(balance: Amount(Limits.maxLiabilityTotal + 1)), .outOfRange)
        // A different balance for the same leaf.
        expectFailure(proof.with(balance: Amount(proof.balance.units + 1)), .rootMismatch)
        // The leaf moved to another position: the path's left/right turns no longer fit.
        expectFailure(proof.with(position: proof.position ^ 1), .rootMismatch)
        expectFailure(proof.with(position: proof.position ^ 8), .rootMismatch)
        // Another holder cannot claim this leaf.
        expectFailure(proof.with(account: accountID(10_006)), .rootMismatch)
        // A truncated path.
        expectFailure(proof.with(siblings: Array(proof.siblings.dropLast())), .malformed)
        // Checked against another commitment than the one it belongs to: a later
        // tree with one more paisa, or the same tree claimed at another size.
        var richer = state
        let more = Fixture.transaction(99, [Fixture.transfer(1, from: Fixture.alice, to: accountID(10_007))], signedBy: [Fixture.aliceKey])
        #expect(applied(&richer, more) == .committed)
        let later = try LiabilityTree.build(holdings: richer.currencyHoldings!.view, asOf: richer.size, saltKey: saltKey).commitment
        expectFailure(proof, against: later, .wrongCommitment)
        var sameSize = later
        sameSize.asOf = commitment.asOf
        expectFailure(proof, against: sameSize, .rootMismatch)
        var inflated = commitment
        inflated.total = Amount(commitment.total.units + 1)
        expectFailure(proof, against: inflated, .totalMismatch)
    }

    /// A holder's proof reveals no other holder: the leaf next to its own, when
    /// it is another holder's, hashes that holder's account and balance under a
    /// salt only that holder learns — not under no salt, nor under the prover's.
    @Test func proofsRevealNoIdentities() throws {
        let (state, view) = holdings(1_000)
        let tree = try LiabilityTree.build(holdings: view, asOf: state.size, saltKey: saltKey)
        let proofs = (0..<1_000).compactMap { tree.proof(for: accountID(10_000 + UInt64($0))) }
        let byPosition = Dictionary(uniqueKeysWithValues: proofs.map { ($0.position, $0) })
        // A holder whose neighbouring leaf belongs to another holder (1,000 holders in 1,024 leaves: most do).
        let (proof, neighbour) = try #require(proofs.lazy.compactMap { p in byPosition[p.position ^ 1].map { (p, $0) } }.first)
        let sibling = proof.siblings[0].hash.bytes
        #expect(sibling == LiabilityHashing.leafHash(salt: neighbour.salt.bytes, account: neighbour.account, balance: neighbour.balance.units))
        #expect(proof.salt != neighbour.salt)
        for guess in [[UInt8](repeating: 0, count: 32), proof.salt.bytes] {
            #expect(sibling != LiabilityHashing.leafHash(salt: guess, account: neighbour.account, balance: neighbour.balance.units))
        }
        #expect(tree.leafCount == Limits.minLiabilityLeaves)
    }

    /// Proofs round-trip through JSON.
    @Test func proofJSONRoundTrips() throws {
        let (state, view) = holdings(5)
        let tree = try LiabilityTree.build(holdings: view, asOf: state.size, saltKey: saltKey)
        let proof = try #require(tree.proof(for: accountID(10_002)))
        let decoded = try JSONDecoder().decode(LiabilityProof.self, from: JSONEncoder().encode(proof))
        #expect(decoded == proof)
        try decoded.verify(against: tree.commitment)
    }
}

extension LiabilityProof {
    fileprivate func with(
        position: UInt64? = nil, account: AccountID? = nil, balance: Amount? = nil, siblings: [Sibling]? = nil
    ) -> LiabilityProof {
        LiabilityProof(
            asset: asset, asOf: asOf, leafCount: leafCount, position: position ?? self.position, account: account ?? self.account,
            balance: balance ?? self.balance, salt: salt, siblings: siblings ?? self.siblings)
    }
}
