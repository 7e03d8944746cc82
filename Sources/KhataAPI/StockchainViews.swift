import KhataBytes
import KhataCore
import KhataLiabilities

// The stockchain's answers (docs/STOCKCHAIN.md, docs/openapi.yaml).

/// `GET /v1/instruments/{code}`: an instrument's terms, rules and state.
public struct InstrumentView: Codable, Sendable {
    public let asset: AssetCode
    public let name: String
    public let kind: AssetKind
    public let scale: UInt8
    public let issuer: AccountID
    public let issuanceAccount: AccountID
    /// SHA-256 of the offering document.
    public let document: Digest32
    public let currency: AssetCode
    /// The most that may be outstanding, in minor units (scaled by splits).
    public let authorised: Amount
    /// Issued and not cancelled, pending issues included, in minor units.
    public let outstanding: Amount
    /// Accounts holding a positive balance.
    public let holders: Int
    public let redeemed: Bool
    public let terms: InstrumentTermsView
    public let rules: InstrumentRules
    public let registeredAt: LeafIndex
    public let rulesSetAt: LeafIndex
    /// Actions declared on the instrument, newest first (at most 100).
    public let actions: [UInt64]

    enum CodingKeys: String, CodingKey {
        case asset, name, kind, scale, issuer, document, currency, authorised, outstanding, holders, redeemed, terms, rules, actions
        case issuanceAccount = "issuance_account"
        case registeredAt = "registered_at"
        case rulesSetAt = "rules_set_at"
    }

    /// `actions`: the instrument's action ids, if the caller has them grouped
    /// already (a listing of every instrument); else found by a scan.
    public init(_ instrument: Instrument, state: LedgerState, actions known: [UInt64]? = nil) {
        let terms = instrument.terms
        asset = terms.asset
        name = terms.name
        kind = terms.kind
        scale = terms.scale
        issuer = terms.issuer
        issuanceAccount = terms.issuanceAccount
        document = terms.document
        currency = terms.currency
        authorised = Amount(instrument.authorised)
        outstanding = Amount(state.outstanding(of: terms.asset))
        holders = state.holders[terms.asset] ?? 0
        redeemed = instrument.isRedeemed
        self.terms = InstrumentTermsView(terms.terms)
        rules = instrument.rules
        registeredAt = instrument.registeredAt
        rulesSetAt = instrument.rulesSetAt
        let ids = known ?? state.securities.actions.values.filter { $0.asset == terms.asset }.map(\.id)
        actions = Array(ids.sorted(by: >).prefix(100))
    }
}

/// An instrument's terms by kind, as in `register_instrument`.
public struct InstrumentTermsView: Codable, Sendable {
    public let equity: EquityTerms?
    public let bond: BondTerms?

    public init(_ terms: InstrumentTerms) {
        switch terms {
        case .equity(let equity): (self.equity, bond) = (equity, nil)
        case .bond(let bond): (equity, self.bond) = (nil, bond)
        case .fund: (equity, bond) = (nil, nil)
        }
    }
}

/// `GET /v1/instruments/{code}/holders`: a page of the holder register now.
public struct HolderPage: Codable, Sendable {
    public struct Line: Codable, Sendable {
        public let account: AccountID
        public let units: Amount
        /// The part locked now (a freeze or an unexpired lock-up), in minor units.
        public let locked: Amount
    }

    public let asset: AssetCode
    /// The ledger size the page reflects: now, or (with `at`) the record date.
    public let size: UInt64
    public let holders: Int
    public let lines: [Line]
    /// The cursor for the next page (`from`), absent at the end.
    public let next: UInt64?
    /// For a page of a record-date register (`?at=INDEX`): the action whose
    /// record date it is and the register's commitment in the log, which
    /// every holder's proof and the register's sum are checked against.
    public let action: UInt64?
    public let register: ActionView.Register?

    public init(
        asset: AssetCode, size: UInt64, holders: Int, lines: [Line], next: UInt64?, action: UInt64? = nil, register: ActionView.Register? = nil
    ) {
        self.asset = asset
        self.size = size
        self.holders = holders
        self.lines = lines
        self.next = next
        self.action = action
        self.register = register
    }

    /// A page of action `action`'s record-date register (`entries`, ascending
    /// by account, as the node keeps it): positions are places in that order;
    /// nothing is locked in it (`locked` is 0). Nil if `entries` are not the
    /// committed register (their units do not sum to its total, or they are
    /// more than its leaves): a stale or foreign copy is never shown beside the
    /// logged root.
    public init?(recordDate action: CorporateAction, entries: [RegisterEntry], from: UInt64, limit: Int) {
        guard let commitment = action.register, UInt64(entries.count) <= commitment.leafCount else { return nil }
        var sum: UInt64 = 0
        for entry in entries {
            let (next, overflow) = sum.addingReportingOverflow(entry.units)
            guard !overflow else { return nil }
            sum = next
        }
        guard sum == commitment.total else { return nil }
        let start = Int(clamping: min(from, UInt64(entries.count)))
        let end = min(entries.count, start + limit)
        self.init(
            asset: action.asset, size: action.recordDate.value, holders: entries.count,
            lines: entries[start..<end].map { Line(account: $0.account, units: Amount($0.units), locked: .zero) },
            next: end < entries.count ? UInt64(end) : nil, action: action.id, register: ActionView(action).register)
    }
}

extension LedgerState {
    /// The action on `code` whose record date is `index` and whose register is
    /// committed (the registers the ledger can prove), or nil.
    public func registeredAction(of code: AssetCode, at index: LeafIndex) -> CorporateAction? {
        securities.actions.values.filter { $0.asset == code && $0.recordDate == index && $0.register != nil }.min { $0.id < $1.id }
    }

    /// The record dates of `code` with a committed register, ascending (at most `limit`).
    public func registeredDates(of code: AssetCode, limit: Int = 20) -> [LeafIndex] {
        Array(Set(securities.actions.values.filter { $0.asset == code && $0.register != nil }.map(\.recordDate)).sorted().prefix(limit))
    }
}

extension HolderPage {
    /// Up to `limit` holders of instrument `code` from position `from` of its
    /// holdings (zero balances skipped), with the part locked at `time`; nil if
    /// `code` is not an instrument. Shared by the node and the command line.
    public init?(_ state: LedgerState, instrument code: AssetCode, from: UInt64, limit: Int, at time: Timestamp) {
        guard state.securities.instruments[code] != nil, let view = state.instrumentHoldings[code]?.view else { return nil }
        var lines: [Line] = []
        var position = Int(clamping: from)
        while position < view.count && lines.count < limit {
            let holding = view.pages[position / HoldingBook.pageSize][position % HoldingBook.pageSize]
            position += 1
            guard holding.balance > 0 else { continue }
            lines.append(Line(account: holding.account, units: holding.balance, locked: state.securities.locked(holding.account, in: code, at: time)))
        }
        self.init(
            asset: code, size: state.size, holders: state.holders[code] ?? 0, lines: lines, next: position < view.count ? UInt64(position) : nil)
    }
}

extension InstrumentView {
    /// The instruments `codes` names (every one, by code, when nil), their
    /// actions grouped in one pass.
    public static func all(in state: LedgerState, codes: [AssetCode]? = nil) -> [InstrumentView] {
        let byAsset = Dictionary(grouping: state.securities.actions.values, by: \.asset).mapValues { $0.map(\.id) }
        return (codes ?? state.securities.instruments.keys.sorted()).compactMap { code in
            state.securities.instruments[code].map { InstrumentView($0, state: state, actions: byAsset[code] ?? []) }
        }
    }
}

extension ActionView {
    /// Actions newest first, of one instrument or (nil) of all, ballots only if `ballots`, at most `limit`.
    public static func list(in state: LedgerState, instrument code: AssetCode? = nil, ballots: Bool = false, limit: Int = 100) -> [ActionView] {
        let chosen = state.securities.actions.values.filter {
            (code == nil || $0.asset == code) && (!ballots || $0.declaration.terms.ballot != nil)
        }
        return chosen.sorted { $0.id > $1.id }.prefix(limit).map(ActionView.init)
    }
}

extension HolderPage.Line {
    public init(account: AccountID, units: UInt64, locked: UInt64) {
        self.account = account
        self.units = Amount(units)
        self.locked = Amount(min(locked, units))
    }
}

/// `GET /v1/actions/{id}`: a corporate action or ballot and how far it has got.
public struct ActionView: Codable, Sendable {
    public struct Register: Codable, Sendable {
        public let total: Amount
        public let leafCount: UInt64
        public let root: Digest32
        public let index: LeafIndex

        enum CodingKeys: String, CodingKey {
            case total, root, index
            case leafCount = "leaf_count"
        }
    }

    public let id: UInt64
    public let asset: AssetCode
    public let kind: String
    public let terms: ActionTerms
    public let recordDate: LeafIndex
    public let outstanding: Amount
    public let holders: UInt64
    public let escrowAccount: AccountID?
    public let escrowed: Amount
    public let paid: Amount
    /// Of `paid`, what the holders' zones withheld for their treasuries, as legs of their own.
    public let withheld: Amount
    public let settledHolders: UInt64
    public let settledUnits: Amount
    public let open: Bool
    public let completedAt: LeafIndex?
    public let register: Register?
    /// A ballot's weight per option, in option order.
    public let tally: [Amount]?
    public let voters: Int?

    enum CodingKeys: String, CodingKey {
        case id, asset, kind, terms, outstanding, holders, escrowed, paid, withheld, open, register, tally, voters
        case recordDate = "record_date"
        case escrowAccount = "escrow_account"
        case settledHolders = "settled_holders"
        case settledUnits = "settled_units"
        case completedAt = "completed_at"
    }

    public init(_ action: CorporateAction) {
        id = action.id
        asset = action.asset
        kind = action.declaration.terms.name
        terms = action.declaration.terms
        recordDate = action.recordDate
        outstanding = Amount(action.outstanding)
        holders = action.holders
        escrowAccount = action.declaration.escrowAccount
        escrowed = Amount(action.escrowed)
        paid = Amount(action.paid)
        withheld = Amount(action.withheld)
        settledHolders = action.settledHolders
        settledUnits = Amount(action.settledUnits)
        open = action.isOpen
        completedAt = action.completedAt
        register = action.register.map { Register(total: Amount($0.total), leafCount: $0.leafCount, root: $0.root, index: $0.index) }
        let isBallot = action.declaration.terms.ballot != nil
        tally = isBallot ? action.tally.map(Amount.init) : nil
        voters = isBallot ? action.votes.count : nil
    }
}

/// `GET /v1/instruments/{code}/holders/{account}/proof?action=ID`: a holder's
/// place in an action's record-date register. Check it with
/// `proof.verify(against: commitment)`: `commitment` is the register's tree as
/// a liabilities commitment of the instrument with `as_of` = the record date.
public struct RegisterProofView: Codable, Sendable {
    public let action: UInt64
    /// The `commit_register` entry.
    public let index: LeafIndex
    public let commitment: CommitLiabilities
    public let proof: LiabilityProof

    public init(action: UInt64, index: LeafIndex, commitment: CommitLiabilities, proof: LiabilityProof) {
        self.action = action
        self.index = index
        self.commitment = commitment
        self.proof = proof
    }
}

/// `POST /v1/transactions/simulate`: what the transaction would come to now.
public struct SimulationView: Codable, Sendable {
    /// `committed`, `rejected` (it would be logged with a rejection), `refused`
    /// (its signers are not enough; it would not be logged) or `logged` (it already is).
    public let result: String
    public let code: RejectionCode?
    public let operation: UInt16?
    /// For a rejection by a zone's law: that law's hash (docs/LAWS.md).
    public var law: Digest32? = nil
    /// Which rule decided, for people.
    public let detail: String
    /// For `logged`: the entry and its outcome.
    public let index: LeafIndex?
    public let outcome: Outcome?

    public init(_ simulation: Simulation, transaction: Transaction) {
        switch simulation {
        case .outcome(.committed):
            (result, code, operation, index, outcome) = ("committed", nil, nil, nil, nil)
            detail = "every operation would commit"
        case .outcome(.rejected(let code, let operation, let law)):
            (result, self.code, self.operation, index, outcome) = ("rejected", code, operation, nil, nil)
            self.law = law
            detail =
                Self.explain(code, operation, transaction) + (law.map { " (law \($0.hex))" } ?? "") + "; it would be logged as a rejection"
        case .refused(let refusal):
            (result, code, operation, index, outcome) = ("refused", refusal.code, refusal.operation, nil, nil)
            detail = Self.explain(refusal.code, refusal.operation, transaction) + "; it would not be logged and its id would stay free"
        case .logged(let record):
            (result, code, operation, index, outcome) = ("logged", nil, nil, record.index, record.outcome)
            detail = "this transaction is already entry \(record.index)"
        }
    }

    static func explain(_ code: RejectionCode, _ operation: UInt16?, _ transaction: Transaction) -> String {
        let which =
            operation.flatMap { position in
                transaction.operations.indices.contains(Int(position))
                    ? "operation \(position) (\(transaction.operations[Int(position)].tag.name))" : nil
            } ?? "the transaction"
        return "\(which): \(code.name) — \(code.rule)"
    }
}
