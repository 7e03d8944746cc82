import KhataCore
import KhataEd25519
import KhataTestSupport
import Testing

/// `LedgerState.refusal(of:)`: a transaction enters the log only if its
/// signers are enough for every operation, read against the state as the
/// operations before it would leave it.
@Suite struct AuthorityTests {
    private func refusal(_ operations: [LedgerOperation], _ signers: [SigningKey], in state: LedgerState = F.genesisState()) -> Refusal? {
        state.refusal(of: F.transaction(1, operations, signedBy: signers))
    }

    /// The payer's keys are enough; anyone else's, or part of a threshold, are not.
    @Test func debitsNeedTheirAccountsKeys() {
        #expect(refusal([F.transfer(1, from: F.alice, to: F.bob)], [F.aliceKey]) == nil)
        #expect(refusal([F.transfer(1, from: F.alice, to: F.bob)], [F.bobKey])?.code == .insufficientSignatures)
        #expect(refusal([F.transfer(1, from: F.carol, to: F.bob)], [F.carolKeys[0]])?.code == .insufficientSignatures)
        #expect(refusal([F.transfer(1, from: F.carol, to: F.bob)], [F.carolKeys[0], F.carolKeys[2]]) == nil)
        // An issuance account is debited by its issuer; a missing payer cannot authorise.
        #expect(refusal([F.transfer(1, from: F.inrIssuance, to: F.bob)], [F.issuerKey]) == nil)
        #expect(refusal([F.transfer(1, from: F.inrIssuance, to: F.bob)], [F.aliceKey])?.code == .insufficientSignatures)
        #expect(refusal([F.transfer(1, from: accountID(77), to: F.bob)], [F.aliceKey])?.code == .accountNotFound)
    }

    /// Delivery versus payment: each side's debit needs that side's keys, so one
    /// party alone cannot log (and so fix the fate of) a trade.
    @Test func everyOperationIsChecked() {
        let trade: [LedgerOperation] = [F.transfer(5, from: F.alice, to: F.bob), F.transfer(5, from: F.bob, to: F.alice)]
        #expect(refusal(trade, [F.aliceKey]) == Refusal(transaction: transactionID(1), code: .insufficientSignatures, operation: 1))
        #expect(refusal(trade, [F.aliceKey, F.bobKey]) == nil)
    }

    /// Earlier operations count: an account opened in the transaction is debited
    /// with the keys it was opened with; controllers changed earlier must sign later debits.
    @Test func earlierOperationsChangeWhoMustSign() {
        let newKey = testKey(90)
        let opened = accountID(90)
        let open = LedgerOperation.createAccount(CreateAccount(account: opened, controllers: KeySet(single: newKey.publicKey)))
        #expect(refusal([open, F.transfer(1, from: opened, to: F.bob)], [newKey]) == nil)
        #expect(refusal([open, F.transfer(1, from: opened, to: F.bob)], [F.aliceKey])?.operation == 0)
        let rotate = LedgerOperation.changeControllers(ChangeControllers(account: F.alice, controllers: KeySet(single: newKey.publicKey)))
        #expect(refusal([rotate, F.transfer(1, from: F.alice, to: F.bob)], [F.aliceKey])?.operation == 1)
        #expect(refusal([rotate, F.transfer(1, from: F.alice, to: F.bob)], [F.aliceKey, newKey]) == nil)
        // A pending transfer made earlier in the transaction is posted by its payer.
        let hold = LedgerOperation.pendingTransfer(
            PendingTransfer(transfer: Transfer(asset: inr, debit: F.alice, credit: F.bob, amount: Amount(3)), timeoutSeconds: 60))
        let post = LedgerOperation.postPending(PostPending(pending: PendingID(transaction: transactionID(1), operation: 0), amount: Amount(3)))
        #expect(refusal([hold, post], [F.aliceKey]) == nil)
        #expect(refusal([post], [F.aliceKey])?.code == .pendingNotFound)
    }

    /// A closed issuer authorises nothing, also when it was closed earlier in the same transaction.
    @Test func aClosedIssuerAuthorisesNothing() {
        let closeThenMint: [LedgerOperation] = [.closeAccount(CloseAccount(account: F.centralBank)), F.transfer(1, from: F.inrIssuance, to: F.bob)]
        #expect(refusal(closeThenMint, [F.issuerKey]) == Refusal(transaction: transactionID(1), code: .insufficientSignatures, operation: 1))
    }

    /// What the refusal checks is what `apply` checks: a transaction it lets
    /// through is never rejected for its signatures.
    @Test func refusalAndApplyAgree() {
        var state = F.genesisState()
        let cases: [([LedgerOperation], [SigningKey])] = [
            ([F.transfer(1, from: F.alice, to: F.bob)], [F.bobKey]),
            ([F.transfer(1, from: F.carol, to: F.bob)], [F.carolKeys[1]]),
            ([.closeAccount(CloseAccount(account: F.bob))], [F.aliceKey]),
            ([.changeControllers(ChangeControllers(account: F.bob, controllers: KeySet(single: F.aliceKey.publicKey)))], [F.aliceKey]),
            (
                [
                    .registerAsset(
                        RegisterAsset(asset: AssetCode("GOLD")!, kind: .reserve, scale: 3, issuer: F.centralBank, issuanceAccount: accountID(55)))
                ], [F.aliceKey]
            ),
        ]
        for (n, (operations, signers)) in cases.enumerated() {
            let transaction = F.transaction(UInt64(10 + n), operations, signedBy: signers)
            #expect(state.refusal(of: transaction)?.code == .insufficientSignatures)
            // Applied anyway (as a sequencer that skipped the check would), it is rejected for the same reason.
            #expect(apply(&state, transaction) == .rejected(.insufficientSignatures, operation: 0))
        }
    }
}

/// The refusal and `apply` side by side on random transactions of one to three
/// operations of every kind, signed by random sets of keys: a transaction the
/// refusal lets through is never rejected for its signatures, and one it
/// refuses for its signatures is never committed.
@Suite struct AuthorityDifferentialTests {
    @Test func refusalAndApplyAgreeOnRandomTransactions() {
        var random = SeededGenerator(seed: 0x5157_4E45_5253)
        let keys = [F.issuerKey, F.aliceKey, F.bobKey] + F.carolKeys + [testKey(90)]
        let accounts = [F.centralBank, F.alice, F.bob, F.carol, F.inrIssuance, F.btcIssuance, accountID(90), accountID(91)]
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        var state = F.genesisState()
        var letThrough = 0
        var refused = 0
        for n in 0..<3_000 {
            let operations: [LedgerOperation] = (0..<(1 + random.next() % 3)).map { position in
                switch random.next() % 8 {
                case 0: .createAccount(CreateAccount(account: pick(accounts), controllers: KeySet(single: pick(keys).publicKey)))
                case 1: .changeControllers(ChangeControllers(account: pick(accounts), controllers: KeySet(single: pick(keys).publicKey)))
                case 2: .closeAccount(CloseAccount(account: pick(accounts)))
                case 3:
                    .pendingTransfer(
                        PendingTransfer(
                            transfer: Transfer(asset: inr, debit: pick(accounts), credit: pick(accounts), amount: Amount(1)), timeoutSeconds: 60))
                case 4:
                    .postPending(
                        PostPending(
                            pending: PendingID(transaction: transactionID(UInt64(n)), operation: UInt16(position > 0 ? position - 1 : 0)),
                            amount: Amount(1)))
                default: F.transfer(1 + random.next() % 3, from: pick(accounts), to: pick(accounts))
                }
            }
            let signers = keys.filter { _ in random.next() % 3 != 0 }
            let transaction = F.transaction(UInt64(n), operations, signedBy: signers.isEmpty ? [pick(keys)] : signers)
            var trial = state
            let outcome = apply(&trial, transaction)
            if let refusal = state.refusal(of: transaction) {
                refused += 1
                #expect(outcome != .committed, "refused (\(refusal.code.name)) but apply commits \(operations)")
            } else {
                letThrough += 1
                if case .rejected(let code, _, _) = outcome {
                    #expect(
                        code != .insufficientSignatures && code != .governanceThresholdNotMet,
                        "let through but apply says \(code.name): \(operations)")
                }
                state = trial  // the sequencer logs what it lets through
            }
        }
        #expect(letThrough > 300 && refused > 300, "let through \(letThrough), refused \(refused)")
    }
}

/// The same differential check on the stockchain's operations: registrations,
/// rule changes (which move the agent), identity attestations, locks, forced
/// transfers, issues and cancellations, signed by random sets of the issuer's,
/// the agent's, the provider's and holders' keys.
@Suite struct SecuritiesAuthorityDifferentialTests {
    @Test func refusalAndApplyAgreeOnRandomSecuritiesTransactions() {
        var random = SeededGenerator(seed: 0x5345_4355_5249)
        let newAgent = testKey(91)
        let keys = [S.acmeKey, S.agentKey, S.kycKey, F.aliceKey, F.bobKey, newAgent]
        let accounts = [S.acme, S.kyc, F.alice, F.bob, S.acmeIssuance, accountID(0x203)]
        let assets = [S.shares, AssetCode("ACMEB")!, inr]
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        var state = S.state()
        var letThrough = 0
        var refused = 0
        for n in 0..<3_000 {
            let operations: [LedgerOperation] = (0..<(1 + random.next() % 3)).map { _ in
                switch random.next() % 8 {
                case 7:
                    return .closeAccount(CloseAccount(account: pick(accounts)))
                case 0:
                    var registration = S.registration
                    (registration.asset, registration.issuer, registration.issuanceAccount) = (pick(assets), pick(accounts), accountID(0x203))
                    return .registerInstrument(registration)
                case 1:
                    let agent = random.next() % 2 == 0 ? KeySet(single: newAgent.publicKey) : KeySet(single: S.agentKey.publicKey)
                    return .setInstrumentRules(SetInstrumentRules(asset: pick(assets), rules: try! InstrumentRules(agent: agent)))
                case 2:
                    return .attestIdentity(AttestIdentity(provider: pick(accounts), account: pick(accounts), tier: 1, expiresAt: S.farFuture))
                case 3:
                    return .lockHolding(LockHolding(asset: pick(assets), account: pick(accounts), amount: Amount(random.next() % 3), reason: "r"))
                case 4:
                    let transfer = Transfer(asset: pick(assets), debit: pick(accounts), credit: pick(accounts), amount: Amount(1), memo: "order")
                    return .forcedTransfer(ForcedTransfer(transfer: transfer))
                default:
                    return F.transfer(1 + random.next() % 3, from: pick(accounts), to: pick(accounts), asset: pick(assets))
                }
            }
            let signers = keys.filter { _ in random.next() % 3 != 0 }
            let transaction = F.transaction(UInt64(n), operations, signedBy: signers.isEmpty ? [pick(keys)] : signers)
            var trial = state
            let outcome = apply(&trial, transaction)
            if let refusal = state.refusal(of: transaction) {
                refused += 1
                #expect(outcome != .committed, "refused (\(refusal.code.name)) but apply commits \(operations)")
            } else {
                letThrough += 1
                if case .rejected(let code, _, _) = outcome {
                    #expect(code != .insufficientSignatures, "let through but apply says \(code.name): \(operations)")
                }
                state = trial
            }
        }
        #expect(letThrough > 300 && refused > 300, "let through \(letThrough), refused \(refused)")
    }
}
