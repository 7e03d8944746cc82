import ArgumentParser
import Foundation
import KhataAPI
import KhataBytes
import KhataClient
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLog
import KhataNode
import KhataVerify

struct TxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx",
        abstract: "Build, sign and submit transactions.",
        discussion: """
            Each subcommand builds a one-operation transaction from flags, signs it with the
            --key files (or participant names) and submits it to the ledger in --data.
            `khata tx submit FILE` submits transactions written as JSON (docs/ENCODING.md).
            --simulate says what a transaction would come to, changing nothing.
            Exit status: 0 committed, 3 rejected by the ledger (the receipt says why), 4 refused
            (its signers are not enough; not logged), 1 error.
            """,
        subcommands: [
            Transfer.self, Pending.self, Post.self, Void.self, CreateAccountCommand.self, RegisterAsset.self,
            Controllers.self, Close.self, AttestReserveCommand.self, AttestPriceCommand.self, SetPolicy.self,
            RegisterInstrument.self, InstrumentRulesCommand.self, AttestIdentityCommand.self, Lock.self, Force.self, DVP.self, DVPPost.self,
            Dividend.self,
            Split.self, Coupon.self, Redeem.self, Ballot.self, VoteCommand.self, ImportOCF.self, RegisterProviderCommand.self, RequestCommand.self,
            AnswerCommand.self, MandateCommand.self, CollectCommand.self, RemitCommand.self, CompleteRemittanceCommand.self,
            RefundRemittanceCommand.self, Submit.self,
        ]
    )

    /// Exit status of a transaction the ledger rejected (logged, its id spent).
    static let rejectedExitCode: Int32 = 3
    /// Exit status of a transaction the ledger refused (not logged, its id free).
    static let refusedExitCode: Int32 = 4

    struct Transfer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move an amount of an asset from one account to another.",
            discussion: """
                Example (₹250.00 from Asha to Ravi in the dev ledger):
                  khata tx transfer --data ./ledger --key asha --from asha --to ravi --asset INR --amount 250.00
                Minting is a transfer from the asset's issuance account, signed by the issuer:
                  khata tx transfer --data ./ledger --key rbi --from issuance-inr --to asha --asset INR --amount 1000.00
                A payment to another zone pays the levies its laws ask as their own legs
                (pay_levy), added here and named on standard error (docs/LAWS.md):
                  khata tx transfer --data ./ledger --key asha --from asha --to kiran --asset INR --amount 500.00
                """
        )
        @OptionGroup var common: TransactionOptions
        @OptionGroup var movement: MovementOptions

        func run() throws {
            try common.submit { state, participants in
                try state.withLevies(.transfer(try movement.transfer(state: state, participants: participants)))
            }
        }
    }

    struct Pending: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hold an amount for a payee until it is posted, voided or expires.",
            discussion: """
                Example (hold ₹100.00 for Ravi for ten minutes):
                  khata tx pending --data ./ledger --key asha --from asha --to ravi --asset INR --amount 100.00 --timeout 600
                The receipt names the pending transfer as <transaction id>/0, for `tx post` and `tx void`.
                """
        )
        @OptionGroup var common: TransactionOptions
        @OptionGroup var movement: MovementOptions
        @Option(help: "Seconds until the hold expires (1 to 31622400).")
        var timeout: UInt32

        func run() throws {
            try common.submit { state, participants in
                [
                    .pendingTransfer(
                        PendingTransfer(transfer: try movement.transfer(state: state, participants: participants), timeoutSeconds: timeout))
                ]
            }
        }
    }

    struct Post: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Complete a pending transfer, in full or in part; the rest returns to the payer.",
            discussion: "Example:\n  khata tx post --data ./ledger --key asha --pending 5f0c…9a21/0 --amount 60.00"
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The pending transfer: <transaction id>/<operation index>.")
        var pending: String
        @Option(help: "The amount to post (minor units, or with a decimal point). Default: all of it.")
        var amount: String?

        func run() throws {
            try common.submit { state, _ in
                let id = try parsePending(pending)
                if let record = state.pending(id) {
                    let scale = try state.scale(of: record.transfer.asset) ?? 0
                    let posted = try amount.map { try AmountText.parse($0, scale: scale) } ?? record.transfer.amount
                    return try state.withLevies(.postPending(PostPending(pending: id, amount: posted)))
                }
                guard let amount else { throw CommandFailure("pass --amount (in minor units): the pending transfer \(pending) is not known here") }
                return [.postPending(PostPending(pending: id, amount: try AmountText.parse(amount, scale: 0)))]
            }
        }
    }

    struct Void: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a pending transfer (signed by the payee); the amount returns to the payer.",
            discussion: "Example:\n  khata tx void --data ./ledger --key ravi --pending 5f0c…9a21/0"
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The pending transfer: <transaction id>/<operation index>.")
        var pending: String

        func run() throws {
            try common.submit { _, _ in [.voidPending(VoidPending(pending: try parsePending(pending)))] }
        }
    }

    struct CreateAccountCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-account",
            abstract: "Open an account controlled by m of n keys (the keys themselves must sign).",
            discussion: """
                Example:
                  khata keys new --out dev.key
                  khata tx create-account --data ./ledger --key dev.key --controller dev.key
                Prints the new account's id (random unless --account is given).
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The new account's id (32 hex digits). Default: random.")
        var account: String?
        @OptionGroup var controllers: ControllerOptions
        @Option(help: "The account's zone (0 is the mainland).")
        var zone: UInt16 = 0
        @Option(name: .customLong("kyc-tier"), help: "The account's KYC tier.")
        var kycTier: UInt8 = 0

        func run() throws {
            let id =
                try account.map { text -> AccountID in
                    guard let id = AccountID(hex: text) else { throw CommandFailure("--account must be 32 hex digits") }
                    return id
                } ?? AccountID.random()
            try common.submit { _, participants in
                [
                    .createAccount(
                        CreateAccount(account: id, controllers: try controllers.keySet(participants: participants), zone: zone, kycTier: kycTier))
                ]
            }
        }
    }

    struct RegisterAsset: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register-asset",
            abstract: "Register an asset and open its issuance account (signed by the ledger's issuer keys).",
            discussion: """
                Example (a share of Acme, whole shares, issued by Acme's account):
                  khata tx register-asset --data ./ledger --key rbi --asset ACME --kind equity --scale 0 --issuer acme
                """
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The asset code (1-12 of A-Z, 0-9, '-', '.').")
        var asset: String
        @Option(help: "currency, reserve, equity or bond.")
        var kind: String
        @Option(help: "Minor-unit digits (2 for paise, 8 for satoshis, 0 for whole shares).")
        var scale: UInt8
        @Option(help: "The account whose keys authorise minting.")
        var issuer: String
        @Option(name: .customLong("issuance-account"), help: "The new issuance account's id. Default: random.")
        var issuanceAccount: String?

        func run() throws {
            try common.submit { _, participants in
                let code = try assetCode(asset)
                guard let kind = AssetKind(name: kind) else { throw CommandFailure("--kind is currency, reserve, equity, bond or fund") }
                let issuance =
                    try issuanceAccount.map { try participants.account($0) }
                    ?? AccountID.random()
                return [
                    .registerAsset(
                        KhataCore.RegisterAsset(
                            asset: code, kind: kind, scale: scale, issuer: try participants.account(issuer), issuanceAccount: issuance))
                ]
            }
        }
    }

    struct Controllers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace an account's controllers (signed by its current controllers).",
            discussion:
                "Example (rotate Asha's key):\n  khata keys new --out asha2.key\n  khata tx controllers --data ./ledger --key asha --account asha --controller asha2.key"
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The account (id or participant name).")
        var account: String
        @OptionGroup var controllers: ControllerOptions

        func run() throws {
            try common.submit { _, participants in
                [
                    .changeControllers(
                        ChangeControllers(account: try participants.account(account), controllers: try controllers.keySet(participants: participants))
                    )
                ]
            }
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close an account that holds nothing and has nothing pending.",
            discussion: "Example:\n  khata tx close --data ./ledger --key meera --account meera"
        )
        @OptionGroup var common: TransactionOptions
        @Option(help: "The account (id or participant name).")
        var account: String

        func run() throws {
            try common.submit { _, participants in [.closeAccount(CloseAccount(account: try participants.account(account)))] }
        }
    }

    struct Submit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign and submit transactions written as JSON (one object, or an array as one batch).",
            discussion: """
                Example:
                  khata tx transfer --data ./ledger --key asha --from asha --to ravi --amount 5 --asset INR --dry-run > tx.json
                  khata tx submit tx.json --data ./ledger
                --key adds signatures to those already in the file. `-` reads standard input.
                """
        )
        @OptionGroup var ledger: LedgerOptions
        @Option(name: .customLong("key"), help: "A key file or participant name to sign with (repeatable).")
        var keys: [String] = []
        @OptionGroup var output: OutputOptions
        @Argument(help: ArgumentHelp("The JSON file, or - for standard input.", valueName: "file"))
        var file: String

        func run() throws {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
            guard let data else { throw CommandFailure("cannot read \(file)") }
            var transactions: [Transaction]
            do { transactions = try TransactionJSON.decode(Array(data)).transactions } catch {
                throw CommandFailure("\(file) is not a transaction or an array of transactions: \(error)")
            }
            guard transactions.count <= Limits.maxBatchTransactions else {
                throw CommandFailure("a batch has at most \(Limits.maxBatchTransactions) transactions; split \(file)")
            }
            let session = try ledger.openForWriting()
            let participants = ledger.participants
            let signers = try keys.map { try participants.signingKey($0, directory: ledger.data) }
            if !signers.isEmpty {
                transactions = try transactions.map { transaction in
                    do throws(MalformedInput) { return try transaction.signed(by: signers, origin: session.ledger.origin) } catch {
                        throw CommandFailure(error.message)
                    }
                }
            }
            let receipts = try sequence(transactions, on: session.ledger)
            try session.publishCheckpoint()
            try report(receipts, json: output.json)
        }
    }
}

/// Options every transaction-building subcommand shares.
struct TransactionOptions: ParsableArguments {
    @OptionGroup var ledger: LedgerOptions
    @Option(name: .customLong("key"), help: "A key file or participant name to sign with (repeatable).")
    var keys: [String] = []
    @Option(help: "The transaction id (32 hex digits); a retry with the same id and content returns the first receipt. Default: random.")
    var id: String?
    @Flag(name: .customLong("dry-run"), help: "Print the signed transaction as JSON instead of submitting it.")
    var dryRun = false
    @Flag(help: "Say what the transaction would come to now (committed, or the rule that refuses it) without submitting it.")
    var simulate = false
    @OptionGroup var output: OutputOptions
    @Option(
        help: ArgumentHelp(
            "Submit to a running node (its URL) instead of the ledger directory; --data still names keys and participants.", valueName: "url"))
    var node: String?

    /// Builds against a node's state, signs, submits over HTTP, waits until a
    /// cosigned checkpoint covers the receipt, verifies it, and reports.
    /// The transaction's id: `--id`, or a random one.
    func transactionID() throws -> TransactionID {
        guard let id else { return .random() }
        guard let parsed = TransactionID(hex: id) else { throw CommandFailure("--id must be 32 hex digits") }
        return parsed
    }

    private func submit(to url: String, _ build: (any LedgerFacts, Participants, TransactionID) throws -> [LedgerOperation]) throws {
        let client = try NodeClientOptions.client(url: url, directory: ledger.data)
        let participants = ledger.participants
        let transactionID = try transactionID()
        let operations = try build(NodeFacts(client: client), participants, transactionID)
        let signers = try keys.map { try participants.signingKey($0, directory: ledger.data) }
        let transaction: Transaction
        do {
            transaction = try client.sign(operations, keys: signers, id: transactionID)
        } catch let error as MalformedInput {
            throw CommandFailure(error.message)
        }
        if dryRun { return try printJSON(transaction) }
        if simulate { return try reportSimulation(try client.simulate(transaction), json: output.json) }
        let receipts: [Receipt]
        do { receipts = try client.submit([transaction]) } catch let error as ClientError where error.status == 403 || error.operation != nil {
            throw TransactionRefused("transaction \(transaction.id) refused: \(error.message)")
        }
        let (verified, _, checkpoint) = try client.waitForVerifiedReceipt(transaction.id)
        guard verified.outcome == receipts[0].outcome else { throw CommandFailure("the node's receipt and its log disagree") }
        if !output.json { print("verified: included in the checkpoint of \(checkpoint.size) entries, cosigned by its witnesses") }
        try report(receipts, json: output.json)
    }

    /// Builds the operations against the current state, signs, submits and reports.
    func submit(_ build: (any LedgerFacts, Participants) throws -> [LedgerOperation]) throws {
        try submit(identified: { state, participants, _ in try build(state, participants) })
    }

    /// As `submit(_:)`, for operations that name their own transaction (a link of the pending transfers it makes).
    func submit(identified build: (any LedgerFacts, Participants, TransactionID) throws -> [LedgerOperation]) throws {
        guard !keys.isEmpty else { throw CommandFailure("pass at least one --key to sign with") }
        if let node { return try submit(to: node, build) }
        let session = dryRun || simulate ? try ledger.openForReading() : try ledger.openForWriting()
        let participants = ledger.participants
        let transactionID = try transactionID()
        let operations = try build(session.ledger.state, participants, transactionID)
        let signers = try keys.map { try participants.signingKey($0, directory: ledger.data) }
        let transaction: Transaction
        do {
            transaction = try Transaction(id: transactionID, operations: operations).signed(by: signers, origin: session.ledger.origin)
        } catch {
            throw CommandFailure(error.message)
        }
        if dryRun {
            try printJSON(transaction)
            return
        }
        if simulate {
            do throws(MalformedInput) { try transaction.verifySignatures(origin: session.ledger.origin) } catch {
                throw CommandFailure("the transaction was not simulated: \(error.message)")
            }
            let simulation = session.ledger.state.simulate(transaction, at: session.ledger.clock())
            return try reportSimulation(SimulationView(simulation, transaction: transaction), json: output.json)
        }
        let receipts = try sequence([transaction], on: session.ledger)
        try session.publishCheckpoint()
        try report(receipts, json: output.json)
    }
}

/// The debit, credit, asset, amount and memo of a transfer.
struct MovementOptions: ParsableArguments {
    @Option(help: "The account paying (id, participant name or address).")
    var from: String
    @Option(help: "The account paid (id, participant name or address such as asha@kbank).")
    var to: String
    @Option(help: "The asset code, for example INR.")
    var asset: String
    @Option(help: "Minor units (250) or major units with a decimal point (2.50).")
    var amount: String
    @Option(help: "A note for the parties (at most 64 bytes).")
    var memo: String = ""

    func transfer(state: any LedgerFacts, participants: Participants) throws -> KhataCore.Transfer {
        let code = try assetCode(asset)
        let scale = try state.scale(of: code) ?? 0
        return KhataCore.Transfer(
            asset: code, debit: try state.account(from, participants), credit: try state.account(to, participants),
            amount: try AmountText.parse(amount, scale: scale), memo: memo)
    }
}

/// `--controller KEY… --threshold M`.
struct ControllerOptions: ParsableArguments {
    @Option(name: .customLong("controller"), help: "A controlling key: a key file, participant name or 64-hex public key (repeatable).")
    var controllers: [String]
    @Option(help: "How many controllers must sign.")
    var threshold: UInt8 = 1

    func keySet(participants: Participants) throws -> KeySet {
        let keys = try controllers.map { text -> PublicKey in
            if let key = PublicKey(hex: text) { return key }
            return try participants.signingKey(text, directory: nil).publicKey
        }
        do { return try KeySet(threshold: threshold, keys: keys) } catch { throw CommandFailure(error.message) }
    }
}

/// An asset code from the command line, or a failure that says what one looks like.
func assetCode(_ text: String) throws -> AssetCode {
    guard let code = AssetCode(text) else { throw CommandFailure("\"\(text)\" is not an asset code (1-12 of A-Z, 0-9, '-', '.')") }
    return code
}

/// A pending transfer, or (`what`) a request, mandate or remittance, named by its operation.
func parsePending(_ text: String, _ what: String = "--pending") throws -> PendingID {
    guard let id = PendingID(text: text) else { throw CommandFailure("\(what) is <32 hex digits>/<operation index>, got \"\(text)\"") }
    return id
}

/// Verifies and sequences transactions as one batch.
func sequence(_ transactions: [Transaction], on ledger: Ledger) throws -> [Receipt] {
    var verified: [VerifiedTransaction] = []
    for (position, result) in SignatureVerifier.verify(transactions, origin: ledger.origin).enumerated() {
        switch result {
        case .success(let transaction): verified.append(transaction)
        case .failure(let error):
            throw CommandFailure("transaction \(position) (\(transactions[position].id)) was not submitted: \(error.message)")
        }
    }
    let results = try engine { () throws(EngineError) in try ledger.submit(verified) }
    return try results.map { result in
        switch result {
        case .logged(let receipt): return receipt
        case .refused(let refusal): throw TransactionRefused("\(refusal)")
        }
    }
}

/// Prints a simulation and exits as the submission would: 0, 3 (rejected) or 4 (refused).
func reportSimulation(_ view: SimulationView, json: Bool) throws {
    if json { try printJSON(view) } else { print("simulated: \(view.result) — \(view.detail)") }
    switch view.result {
    case "rejected": throw ExitCode(TxCommand.rejectedExitCode)
    case "refused": throw ExitCode(TxCommand.refusedExitCode)
    default: return
    }
}

func report(_ receipts: [Receipt], json: Bool) throws {
    if json {
        try printJSON(receipts.count == 1 ? AnyEncodable(receipts[0]) : AnyEncodable(receipts))
    } else {
        for receipt in receipts {
            let retry = receipt.isRetry ? " (a retry: this is the original receipt)" : ""
            print("\(receipt.transaction): \(receipt.outcome.text) — entry \(receipt.index) at \(TimeText.format(receipt.time))\(retry)")
            print("  leaf hash \(receipt.leafHash)")
        }
    }
    if receipts.contains(where: { !$0.outcome.isCommitted }) { throw ExitCode(TxCommand.rejectedExitCode) }
}

struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// What building a transaction needs to know of the ledger: asset scales and
/// pending transfers. The ledger's state when working on a directory; a node's
/// API (through `KhataClient`) when working with `--node`.
protocol LedgerFacts {
    /// The asset's scale, or nil if it is not registered. Throws when the
    /// ledger cannot be asked (a node unreachable or failing): a guessed scale
    /// would misread "250.00" as a refusal or "250" as ₹2.50.
    func scale(of asset: AssetCode) throws -> UInt8?
    func pending(_ id: PendingID) -> PendingRecord?
    /// The currency an instrument's amounts are in; throws if it is not an instrument.
    func instrumentCurrency(_ code: AssetCode) throws -> AssetCode
    /// A ballot's options, if `action` is a ballot.
    func ballotOptions(_ action: UInt64) throws -> [String]?
    /// The levies a payment would owe now (docs/LAWS.md).
    func leviesDue(asset: AssetCode, debit: AccountID, credit: AccountID, amount: Amount) throws -> [LevyDue]
    /// The exit levy a move of `account` would owe now.
    func exitLevyDue(of account: AccountID) throws -> LevyDue?
    /// The account an address pays now, or nil if it is bound to none.
    func boundAccount(_ address: PaymentAddress) throws -> AccountID?
}

extension LedgerFacts {
    /// An account named by its id, a participant's name, or an address bound to it.
    func account(_ text: String, _ participants: Participants) throws -> AccountID {
        guard text.contains("@") else { return try participants.account(text) }
        guard let address = PaymentAddress(text: text) else {
            throw CommandFailure("\"\(text)\" is not an address (handle@provider, e.g. asha@kbank)")
        }
        guard let account = try boundAccount(address) else { throw CommandFailure("no account is bound to \(address)") }
        return account
    }
}

extension LedgerFacts {
    /// `payment` (operation `position` of its transaction) followed by a
    /// `pay_levy` for each levy it owes, as the law in force asks; each is
    /// named on standard error so that the payer sees the full cost.
    func withLevies(_ payment: LedgerOperation, at position: UInt16 = 0) throws -> [LedgerOperation] {
        let due: [LevyDue]
        switch payment {
        case .transfer(let op): due = try leviesDue(asset: op.asset, debit: op.debit, credit: op.credit, amount: op.amount)
        case .postPending(let op):
            guard let record = pending(op.pending) else { return [payment] }
            due = try leviesDue(asset: record.transfer.asset, debit: record.transfer.debit, credit: record.transfer.credit, amount: op.amount)
        case .moveZone(let op): due = try exitLevyDue(of: op.account).map { [$0] } ?? []
        default: due = []
        }
        for levy in due {
            let amount = AmountText.format(levy.amount, scale: try scale(of: levy.asset) ?? 0)
            FileHandle.standardError.write(
                Data("levy: \(amount) \(levy.asset) to zone \(levy.zone)'s treasury (law \(levy.law.hex.prefix(16))…)\n".utf8))
        }
        return [payment] + due.map { .payLevy(PayLevy(operation: position, zone: $0.zone, amount: $0.amount)) }
    }
}

extension LedgerState: LedgerFacts {
    func scale(of asset: AssetCode) -> UInt8? { assets[asset]?.scale }
    func pending(_ id: PendingID) -> PendingRecord? { pendings[id] }
    func instrumentCurrency(_ code: AssetCode) throws -> AssetCode {
        guard let instrument = securities.instruments[code] else { throw CommandFailure("\(code) is not an instrument of this ledger") }
        return instrument.terms.currency
    }
    func ballotOptions(_ action: UInt64) -> [String]? { securities.actions[action]?.declaration.terms.ballot?.options }
    // At the clock's time: the entry will be stamped about then, so a law whose
    // time lock has just ended already binds it.
    func leviesDue(asset: AssetCode, debit: AccountID, credit: AccountID, amount: Amount) -> [LevyDue] {
        leviesDue(asset: asset, debit: debit, credit: credit, amount: amount, at: Ledger.systemClock())
    }
    func exitLevyDue(of account: AccountID) -> LevyDue? { exitLevyDue(of: account, at: Ledger.systemClock()) }
    func boundAccount(_ address: PaymentAddress) -> AccountID? { payments.addresses[address]?.account }
}

struct NodeFacts: LedgerFacts {
    let client: KhataClient
    func scale(of asset: AssetCode) throws -> UInt8? {
        do { return try client.asset(asset).scale } catch let error as ClientError where error.status == 404 { return nil }
    }
    func pending(_ id: PendingID) -> PendingRecord? { nil }
    func instrumentCurrency(_ code: AssetCode) throws -> AssetCode {
        do { return try client.instrument(code).currency } catch let error as ClientError where error.status == 404 {
            throw CommandFailure("\(code) is not an instrument of this ledger")
        }
    }
    func ballotOptions(_ action: UInt64) throws -> [String]? {
        do { return try client.action(action).terms.ballot?.options } catch let error as ClientError where error.status == 404 { return nil }
    }
    func leviesDue(asset: AssetCode, debit: AccountID, credit: AccountID, amount: Amount) throws -> [LevyDue] {
        try client.levies(asset: asset, debit: debit, credit: credit, amount: amount).levies.map(\.due)
    }
    func exitLevyDue(of account: AccountID) throws -> LevyDue? {
        try client.exitLevy(of: account).levies.first?.due
    }
    func boundAccount(_ address: PaymentAddress) throws -> AccountID? {
        do { return try client.address(address).account } catch let error as ClientError where error.status == 404 { return nil }
    }
}

/// How commands that talk to a node make their client: the ledger key pinned
/// from `DIR/vkey`, the witnesses and quorum from `DIR/khata.json`.
enum NodeClientOptions {
    static func client(url: String, directory: String) throws -> KhataClient {
        guard let text = try? String(contentsOfFile: "\(directory)/vkey", encoding: .utf8) else {
            throw CommandFailure("\(directory)/vkey is missing: the ledger's verifier key must be pinned to talk to a node")
        }
        let key: NoteVerifierKey
        do { key = try NoteVerifierKey(vkey: text.trimmingCharacters(in: .whitespacesAndNewlines)) } catch {
            throw CommandFailure("\(directory)/vkey: \(error)")
        }
        let configuration = try NodeConfiguration.load(from: directory)
        let witnesses = try configuration.witnessKeys()
        return KhataClient(
            baseURL: url, ledgerKey: key, witnesses: witnesses, quorum: configuration.witnessQuorum ?? witnesses.count,
            checkpointFile: "\(directory)/client-checkpoint")
    }
}
