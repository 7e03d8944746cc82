import KhataCore
import KhataEd25519
import KhataEngine
import KhataStorage
import KhataTestSupport
import KhataVerify
import Testing

/// Generates transactions against the ledger's current state: it picks open
/// accounts and live pending transfers from the state, and signs with the keys it
/// created, so that most operations can succeed and the invalid ones are chosen.
struct Workload {
    var random: SeededGenerator
    /// Every key the workload ever made, by public key.
    var keyring: [PublicKey: SigningKey] = [:]
    var people: [AccountID] = []
    var pendings: [PendingID] = []
    var resolved: [PendingID] = []
    var nextID: UInt64 = 1_000
    var nextKey: UInt8 = 40
    var operationCount = 0

    init(seed: UInt64) {
        random = SeededGenerator(seed: seed)
        for key in [Fixture.aliceKey, Fixture.bobKey, Fixture.issuerKey] + Fixture.carolKeys { keyring[key.publicKey] = key }
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
    mutating func amount(_ max: UInt64) -> UInt64 { random.next() % max }

    /// The keys that control `account` now (all of them, so thresholds are met).
    func keys(of account: AccountID, in state: LedgerState) -> [SigningKey] {
        (state.accounts[account]?.controllers?.keys ?? []).compactMap { keyring[$0] }
    }

    /// The next transaction: mostly one operation, sometimes two or three.
    mutating func next(_ state: LedgerState) -> Transaction {
        people = state.accounts.values.filter { !$0.isClosed && $0.issuedAsset == nil }.map(\.id).sorted()
        pendings = state.pendings.values.filter { $0.state == .pending }.map(\.id).sorted()
        resolved = state.pendings.values.filter { $0.state != .pending }.map(\.id).sorted()
        var operations: [LedgerOperation] = []
        var signers: [SigningKey] = []
        for _ in 0..<(chance(80) ? 1 : 2 + amount(2)) {
            let (operation, keys) = nextOperation(state)
            operations.append(operation)
            for key in keys where !signers.contains(where: { $0.publicKey == key.publicKey }) { signers.append(key) }
        }
        operationCount += operations.count
        nextID += 1
        if signers.isEmpty { signers = [Fixture.bobKey] }
        return try! Transaction(id: transactionID(nextID), operations: operations).signed(by: signers, origin: Fixture.origin)
    }

    private mutating func nextOperation(_ state: LedgerState) -> (LedgerOperation, [SigningKey]) {
        let from = pick(people)
        let to = pick(people)
        let asset = chance(80) ? inr : btc
        switch amount(100) {
        case 0..<35:
            // A payment, sometimes too large, sometimes to oneself, sometimes signed by the wrong key.
            let signers = chance(5) ? keys(of: pick(people), in: state) : keys(of: from, in: state)
            return (.transfer(Transfer(asset: asset, debit: from, credit: to, amount: Amount(amount(20_000)))), signers)
        case 35..<45:
            let issuance = asset == inr ? Fixture.inrIssuance : Fixture.btcIssuance
            return (.transfer(Transfer(asset: asset, debit: issuance, credit: to, amount: Amount(amount(50_000)))), [Fixture.issuerKey])
        case 45..<60:
            let transfer = Transfer(asset: asset, debit: from, credit: to, amount: Amount(amount(10_000)))
            return (.pendingTransfer(PendingTransfer(transfer: transfer, timeoutSeconds: UInt32(1 + amount(4)))), keys(of: from, in: state))
        case 60..<72 where !pendings.isEmpty:
            // Usually a live pending transfer, posted in part or (too much) in full, by its payer.
            let id = chance(85) || resolved.isEmpty ? pick(pendings) : pick(resolved)
            let payer = state.pendings[id]!.transfer.debit
            return (.postPending(PostPending(pending: id, amount: Amount(amount(12_000)))), keys(of: payer, in: state))
        case 72..<80 where !pendings.isEmpty:
            let id = chance(85) || resolved.isEmpty ? pick(pendings) : pick(resolved)
            let payee = state.pendings[id]!.transfer.credit
            return (.voidPending(VoidPending(pending: id)), keys(of: payee, in: state))
        case 80..<85:
            nextKey &+= 1
            let key = testKey(nextKey)
            keyring[key.publicKey] = key
            return (.changeControllers(ChangeControllers(account: from, controllers: KeySet(single: key.publicKey))), keys(of: from, in: state))
        case 85..<88:
            return (.closeAccount(CloseAccount(account: from)), keys(of: from, in: state))
        case 88..<93 where people.count < 60:
            nextKey &+= 1
            let key = testKey(nextKey)
            keyring[key.publicKey] = key
            let id = accountID(10_000 + nextID)
            return (.createAccount(CreateAccount(account: id, controllers: KeySet(single: key.publicKey))), [key])
        default:
            // Accounts and assets that do not exist, and zero amounts.
            let choice = amount(3)
            let target = choice == 0 ? accountID(999_999) : to
            let code = choice == 1 ? AssetCode("NOPE")! : asset
            return (.transfer(Transfer(asset: code, debit: from, credit: target, amount: Amount(choice == 2 ? 0 : 1))), keys(of: from, in: state))
        }
    }
}

@Suite("Random workload")
struct RandomWorkloadTests {
    /// More than 10,000 operations of every kind, valid and invalid, with time moving
    /// so that pending transfers expire. After every commit each asset sums to zero
    /// and no ordinary account is negative; replaying the journal from genesis (no
    /// snapshot) gives the same state digest; the rejections were varied.
    @Test func conservationHoldsAndReplayMatches() throws {
        let directory = temporaryDirectory()
        defer { removeDirectory(directory) }
        let clock = SteppingClock(start: 1_767_225_600_000, step: 0)
        let ledger = try LedgerDirectory(directory).create(genesis: Fixture.genesis, clock: clock.read)
        var workload = Workload(seed: 0x6B68_6174_61)
        var outcomes: [RejectionCode: Int] = [:]
        var committed = 0
        var refusals: [RejectionCode: Int] = [:]
        var random = SeededGenerator(seed: 7)
        while workload.operationCount < 10_500 {
            let batch = (0..<(1 + random.next() % 16)).map { _ in workload.next(ledger.state) }
            clock.advance(milliseconds: random.next() % 1_500)
            let verified = SignatureVerifier.verify(batch, origin: Fixture.origin).map { try! $0.get() }
            for result in try ledger.submit(verified) {
                switch result {
                case .refused(let refusal):
                    refusals[refusal.code, default: 0] += 1
                    // Refused means not logged: the id is not taken.
                    #expect(
                        ledger.state.record(of: refusal.transaction)?.contentDigest
                            != verified.first { $0.transaction.id == refusal.transaction }?.contentDigest)
                case .logged(let receipt):
                    switch receipt.outcome {
                    case .committed: committed += 1
                    case .rejected(let code, _, _): outcomes[code, default: 0] += 1
                    }
                }
            }
            let violations = ledger.state.invariantViolations()
            #expect(violations.isEmpty, "after entry \(ledger.state.size): \(violations)")
            if !violations.isEmpty { return }
        }
        #expect(committed > 2_000, "outcomes: \(outcomes)")
        // The refusal before the log and the checks inside `apply` agree: no
        // transaction whose signers are not enough was ever logged.
        #expect(outcomes[.insufficientSignatures] == nil, "logged unauthorised: \(outcomes)")
        #expect(refusals[.insufficientSignatures, default: 0] > 100, "refusals: \(refusals)")
        for code: RejectionCode in [
            .exceedsAvailableBalance, .pendingExpired, .amountZero, .accountNotFound, .assetNotFound, .sameAccount,
            .pendingAlreadyPosted, .pendingAlreadyVoided, .exceedsPendingAmount, .accountNotEmpty,
        ] {
            #expect(outcomes[code, default: 0] > 0, "the workload never produced \(code.name): \(outcomes)")
        }
        let digest = ledger.state.digest
        let size = ledger.state.size
        let replayed = try LedgerDirectory(directory).open(clock: clock.read)
        #expect(replayed.state.size == size)
        #expect(replayed.state.digest == digest)
    }
}
