import ArgumentParser
import Foundation
import KhataAPI
import KhataBytes
import KhataCore
import KhataEd25519
import KhataEngine
import KhataNode
import KhataStorage

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List and decode the ledger's log entries.",
        subcommands: [List.self, Show.self, Export.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List entries: index, time, outcome and what they did.",
            discussion: "Example:\n  khata log list --data ./ledger --from 0 --limit 50"
        )
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The first index to list. Default: the last --limit entries.")
        var from: UInt64?
        @Option(help: "How many entries (at most 1000).")
        var limit = 20

        func validate() throws {
            guard (1...Limits.maxPageEntries).contains(limit) else { throw ValidationError("--limit is 1 to \(Limits.maxPageEntries)") }
        }

        func run() throws {
            let session = try ledger.openForReading()
            let journal = session.ledger.journal
            let start = from ?? UInt64(max(0, Int64(journal.entryCount) - Int64(limit)))
            let stored: [StoredEntry]
            do { stored = try journal.entries(from: LeafIndex(start), limit: limit) } catch { throw CommandFailure(error.message) }
            let views = try stored.map { entry in
                do { return EntryView(try Entry(decoding: entry.bytes), state: session.ledger.state, participants: ledger.participants) } catch {
                    throw CommandFailure("entry \(entry.index) does not decode: \(error)")
                }
            }
            if output.json { return try printJSON(views) }
            if views.isEmpty { return print("no entries from \(start); the log has \(journal.entryCount)") }
            for view in views { print(view.summary) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode one entry in full: transaction, operations, signatures, outcome, leaf hash.",
            discussion: "Example:\n  khata log show 7 --data ./ledger\n  khata log show 7 --data ./ledger --hex"
        )
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The entry's index.")
        var index: UInt64
        @Flag(help: "Print the entry's canonical bytes in hex.")
        var hex = false

        func run() throws {
            let session = try ledger.openForReading()
            let stored: StoredEntry
            do { stored = try session.ledger.journal.entry(at: LeafIndex(index)) } catch { throw CommandFailure(error.message) }
            if hex { return print(Hex.encode(stored.bytes)) }
            let entry: Entry
            do { entry = try Entry(decoding: stored.bytes) } catch { throw CommandFailure("entry \(index) does not decode: \(error)") }
            var view = EntryView(entry, state: session.ledger.state, participants: ledger.participants)
            view.leafHash = stored.leafHash
            view.size = stored.bytes.count
            try printJSON(view)
        }
    }
}

extension LogCommand {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the log as static files in the C2SP tlog-tiles layout.",
            discussion: """
                Example:
                  khata log export ./public-log --data ./ledger
                Writes `checkpoint`, `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]` for the latest
                signed checkpoint. Full tiles are immutable and written once; run it again to add new ones.
                Any static web server can then mirror the directory; `khata audit DIR` verifies it.
                """
        )
        @OptionGroup var ledger: LedgerOptions
        @Argument(help: "The directory to write.")
        var directory: String

        func run() throws {
            let session = try ledger.openForReading()
            let summary = try LogExporter.export(journal: session.ledger.journal, to: directory) { done, total in
                if total > 100_000 { FileHandle.standardError.write(Data("\rexported \(done)/\(total) entries".utf8)) }
            }
            print(
                "exported \(summary.size) entries to \(directory): \(summary.tilesWritten) tiles and \(summary.bundlesWritten) entry bundles written")
        }
    }
}

/// An entry for people: decoded, with names where the ledger directory knows them.
struct EntryView: Encodable {
    let index: LeafIndex
    let time: String
    let kind: String
    let outcome: Outcome
    var transaction: Transaction?
    var genesis: GenesisSummary?
    var leafHash: Digest32?
    var size: Int?
    let summary: String

    struct GenesisSummary: Encodable {
        let origin: String
        let ledgerKey: PublicKey
        let issuer: KeySet
        let operations: [LedgerOperation]
        enum CodingKeys: String, CodingKey {
            case origin, issuer, operations
            case ledgerKey = "ledger_key"
        }
    }

    enum CodingKeys: String, CodingKey {
        case index, time, kind, outcome, transaction, genesis, size
        case leafHash = "leaf_hash"
    }

    init(_ entry: Entry, state: LedgerState, participants: Participants) {
        index = entry.index
        time = TimeText.format(entry.time)
        outcome = entry.outcome
        let name = { (id: AccountID) in participants.name(of: id) ?? String(id.hex.prefix(8)) + "…" }
        switch entry.payload {
        case .genesis(let genesis):
            kind = "genesis"
            self.genesis = GenesisSummary(
                origin: genesis.origin, ledgerKey: genesis.ledgerKey, issuer: genesis.issuer, operations: genesis.operations)
            summary = "\(index)  \(time)  genesis of \(genesis.origin): \(genesis.operations.count) operations"
        case .transaction(let transaction):
            kind = "transaction"
            self.transaction = transaction
            let described = transaction.operations.prefix(3).map { describeOperation($0, state: state, name: name) }
            let more = transaction.operations.count > 3 ? " … (+\(transaction.operations.count - 3))" : ""
            summary = "\(index)  \(time)  \(entry.outcome.text)  \(transaction.id.hex.prefix(8))…  " + described.joined(separator: "; ") + more
        }
    }
}

func describeOperation(_ operation: LedgerOperation, state: LedgerState, name: (AccountID) -> String) -> String {
    let amount = { (transfer: Transfer) in
        "\(AmountText.format(transfer.amount, scale: state.assets[transfer.asset]?.scale ?? 0)) \(transfer.asset)"
    }
    switch operation {
    case .createAccount(let op): return "create account \(name(op.account))"
    case .registerAsset(let op): return "register \(op.asset) (\(op.kind.name)) issued by \(name(op.issuer))"
    case .transfer(let op): return "\(name(op.debit)) → \(name(op.credit)) \(amount(op))"
    case .pendingTransfer(let op):
        return "hold \(name(op.transfer.debit)) → \(name(op.transfer.credit)) \(amount(op.transfer)) for \(op.timeoutSeconds) s"
    case .postPending(let op): return "post \(op.pending)"
    case .voidPending(let op): return "void \(op.pending)"
    case .changeControllers(let op): return "new controllers for \(name(op.account))"
    case .closeAccount(let op): return "close \(name(op.account))"
    case .attestReserve(let op):
        let held = AmountText.format(op.amount, scale: state.assets[op.asset]?.scale ?? 0)
        return "\(name(op.custodian)) attests \(held) \(op.asset) as of \(op.asOf)"
    case .attestPrice(let op):
        let currency = state.reserves.policy?.currency
        let price = AmountText.format(op.price, scale: currency.flatMap { state.assets[$0]?.scale } ?? 0)
        return "\(name(op.oracle)) prices \(op.asset) at \(price) \(currency?.description ?? "") as of \(op.asOf)"
    case .setMonetaryPolicy(let op):
        return "monetary policy v\(op.policy.version) for \(op.policy.currency): coverage \(op.policy.requiredCoverageBasisPoints) bp"
    case .commitLiabilities(let op):
        let total = AmountText.format(op.total, scale: state.assets[op.asset]?.scale ?? 0)
        return "liabilities of \(op.asset) at size \(op.asOf): \(total), root \(op.root.hex.prefix(12))…"
    case .registerInstrument(let op):
        let authorised = AmountText.format(op.authorised, scale: op.scale)
        return "register \(op.kind.name) \(op.asset) “\(op.name)” issued by \(name(op.issuer)), \(authorised) authorised"
    case .setInstrumentRules(let op): return "new transfer rules for \(op.asset)"
    case .attestIdentity(let op):
        return op.tier == 0
            ? "\(name(op.provider)) withdraws its identity attestation of \(name(op.account))"
            : "\(name(op.provider)) verifies \(name(op.account)) to tier \(op.tier) until \(op.expiresAt)"
    case .lockHolding(let op):
        let scale = state.assets[op.asset]?.scale ?? 0
        let what = op.amount.isZero ? "unlocks" : op.amount.units == .max ? "freezes" : "locks \(AmountText.format(op.amount, scale: scale)) of"
        return "\(what) \(name(op.account))'s \(op.asset)\(op.until.map { " until \($0)" } ?? ""): \(op.reason)"
    case .forcedTransfer(let op):
        return "forced \(name(op.transfer.debit)) → \(name(op.transfer.credit)) \(amount(op.transfer)): \(op.transfer.memo)"
    case .declareAction(let op):
        if let ballot = op.terms.ballot { return "ballot on \(op.asset): “\(ballot.question)”" }
        return "declare \(op.terms.name.replacingOccurrences(of: "_", with: " ")) on \(op.asset)"
    case .settleAction(let op): return "settle action \(op.action) for \(op.accounts.count) holder(s)"
    case .commitRegister(let op): return "register of action \(op.action): \(op.total) units, root \(op.root.hex.prefix(12))…"
    case .castVote(let op):
        let option = state.securities.actions[op.action]?.declaration.terms.ballot.flatMap { ballot in
            ballot.options.indices.contains(Int(op.option)) ? ballot.options[Int(op.option)] : nil
        }
        return "\(name(op.account)) votes “\(option ?? "option \(op.option)")” in ballot \(op.action)"
    case .linkPending(let op): return "link \(op.pendings.count) pending transfers to post together"
    case .registerZone(let op): return "register zone \(op.zone) “\(op.name)”, law \(op.law.hash.hex.prefix(12))…"
    case .proposeLaw(let op): return "propose law \(op.law.hash.hex.prefix(12))… for zone \(op.zone)"
    case .voteLaw(let op): return "governor \(op.governor.hex.prefix(12))… votes \(op.choice.name) on proposal \(op.proposal)"
    case .cancelProposal(let op): return "guardian cancels proposal \(op.proposal)"
    case .moveZone(let op): return "\(name(op.account)) moves to zone \(op.zone)"
    case .payLevy(let op):
        let scale = state.zones.zones[op.zone]?.law.law.currency.flatMap { state.assets[$0]?.scale } ?? 0
        return "levy of zone \(op.zone) on operation \(op.operation): \(AmountText.format(op.amount, scale: scale))"
    case .registerProvider(let op):
        return "register provider \(op.name) “\(op.displayName)” (\(op.roles.names.joined(separator: ", "))), account \(name(op.account))"
    case .bindAddress(let op): return "bind \(op.address) to \(name(op.account)) as “\(op.displayName)”"
    case .unbindAddress(let op): return "unbind \(op.address)"
    case .requestPayment(let op):
        let scale = state.assets[op.asset]?.scale ?? 0
        return "\(name(op.payee)) requests \(AmountText.format(op.amount, scale: scale)) \(op.asset) from \(name(op.payer))"
    case .answerRequest(let op): return "\(op.accept ? "pay" : "decline") request \(op.request)"
    case .createMandate(let op):
        let scale = state.assets[op.asset]?.scale ?? 0
        return "mandate: \(name(op.payee)) may collect up to \(AmountText.format(op.maxPerDebit, scale: scale)) \(op.asset) "
            + "every \(op.periodSeconds) s from \(name(op.payer))"
    case .revokeMandate(let op): return "revoke mandate \(op.mandate)"
    case .collectMandate(let op): return "collect under mandate \(op.mandate): \(op.amount.units) minor units"
    case .remit(let op):
        let scale = state.assets[op.quote.from]?.scale ?? 0
        return "remit \(AmountText.format(op.amount, scale: scale)) \(op.quote.from) → \(op.quote.to) from \(name(op.sender)) "
            + "to \(name(op.recipient)) at quote \(op.quote.id) of \(op.quote.provider)"
    case .completeRemittance(let op): return "complete remittance \(op.remittance)"
    case .refundRemittance(let op): return "refund remittance \(op.remittance): \(op.amount.units) minor units"
    }
}
