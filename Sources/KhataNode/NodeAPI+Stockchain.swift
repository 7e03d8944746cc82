import Foundation
import HTTPTypes
import Hummingbird
import KhataAPI
import KhataBytes
import KhataCore
import KhataEngine
import KhataLiabilities
import KhataVerify

// The stockchain's routes and the simulation (docs/STOCKCHAIN.md, docs/openapi.yaml).

extension NodeAPI {
    func registerStockchain(on router: Router<NodeRequestContext>) {
        router.post("/v1/transactions/simulate") { request, context in
            _ = try Query(request)
            return try await simulate(request, from: ClientLimits.client(context.remoteAddress))
        }
        router.get("/v1/instruments") { request, _ in
            let page = try CodePage(request)
            return try json(
                try durableState { ledger in InstrumentView.all(in: ledger.state, codes: page.select(ledger.state.securities.instruments.keys)) })
        }
        router.get("/v1/instruments/:code") { request, context in
            _ = try Query(request)
            let code = try instrumentCode(try parameter(context, "code"))
            return try json(try durableState { ledger in InstrumentView(try instrument(code, ledger.state), state: ledger.state) })
        }
        router.get("/v1/instruments/:code/holders") { request, context in
            try await holders(try instrumentCode(try parameter(context, "code")), request)
        }
        router.get("/v1/instruments/:code/actions") { request, context in
            _ = try Query(request)
            let code = try instrumentCode(try parameter(context, "code"))
            return try json(
                try durableState { ledger in
                    _ = try instrument(code, ledger.state)
                    return ActionView.list(in: ledger.state, instrument: code)
                })
        }
        router.get("/v1/instruments/:code/holders/:account/proof") { request, context in
            try await registerProof(
                try instrumentCode(try parameter(context, "code")), try parameter(context, "account"), request,
                from: ClientLimits.client(context.remoteAddress))
        }
        router.get("/v1/actions/:id") { request, context in
            _ = try Query(request)
            return try json(try action(try parameter(context, "id"), ballot: false))
        }
        router.get("/v1/ballots") { request, _ in
            _ = try Query(request)
            return try json(try durableState { ActionView.list(in: $0.state, ballots: true) })
        }
        router.get("/v1/ballots/:id") { request, context in
            _ = try Query(request)
            return try json(try action(try parameter(context, "id"), ballot: true))
        }
    }

    /// Runs one transaction (JSON or binary) against the durable state as the
    /// next entry at the node's clock, and answers what it would come to. Its
    /// signatures are checked as for a submission; nothing is logged. The copy
    /// it runs on is taken under the durable state's lock and applied after it,
    /// so it never holds up readers or the sequencer.
    func simulate(_ request: Request, from client: String) async throws -> Response {
        let type = request.headers[.contentType] ?? ""
        var body: [UInt8] = []
        for try await part in request.body {
            guard body.count + part.readableBytes <= Limits.maxTransactionBytes * 3 else {
                throw Problem(413, "payload_too_large", "a simulation takes one transaction")
            }
            body += part.readableBytesView
        }
        let transaction: Transaction
        if type.hasPrefix("application/json") {
            let decoded: (transactions: [Transaction], isArray: Bool)
            do { decoded = try TransactionJSON.decode(body) } catch {
                throw Problem(400, "malformed_json", "the body is not a transaction: \(error)")
            }
            guard !decoded.isArray else { throw Problem(400, "malformed_json", "a simulation takes one transaction, not an array") }
            transaction = decoded.transactions[0]
        } else if type.hasPrefix("application/octet-stream") {
            do { transaction = try Transaction(decoding: body) } catch { throw Problem(error) }
        } else {
            throw Problem(415, "unsupported_media_type", "send application/json or application/octet-stream (one transaction)")
        }
        try limits.admitSubmission([transaction], from: client)
        if case .failure(let error) = SignatureVerifier.verify([transaction], origin: origin)[0] { throw Problem(error, prefix: "") }
        // One simulation at a time, under the durable state's lock: the copy it
        // makes of what it writes is its own and ends with it, so no later batch
        // pays for a copy kept alive (`Sequencer.read`). Most cost microseconds
        // (`khata bench stockchain`, `simulation_ms`).
        guard simulations.tryAcquire() else {
            throw Problem(503, "busy", "another simulation is running; retry", retryAfter: 1)
        }
        defer { simulations.release() }
        let simulation = try await onOwnThread { [self] in try durableState { ledger in ledger.state.simulate(transaction, at: ledger.clock()) } }
        return try json(SimulationView(simulation, transaction: transaction))
    }

    func instrumentCode(_ text: String) throws -> AssetCode {
        guard let code = AssetCode(text) else { throw Problem(400, "invalid_parameter", "\"\(text.prefix(20))\" is not an asset code") }
        return code
    }

    func instrument(_ code: AssetCode, _ state: LedgerState) throws -> Instrument {
        guard let instrument = state.securities.instruments[code] else { throw Problem(404, "instrument_not_found", "no instrument \(code)") }
        return instrument
    }

    /// A page of the register now, in the order holdings were first taken
    /// (stable while the node runs; `from` is a position, not an account); or,
    /// with `at`, of the committed register at that record date, ascending by
    /// account, with its commitment.
    func holders(_ code: AssetCode, _ request: Request) async throws -> Response {
        let query = try Query(request, allowed: ["from", "limit", "at"])
        let limit = Int(try query.integer("limit", in: 1...UInt64(Limits.maxPageEntries)) ?? 100)
        let from = try query.integer("from", in: 0...Limits.maxQueryInteger) ?? 0
        if let at = try query.integer("at", in: 0...Limits.maxQueryInteger) {
            let (found, dates) = try durableState { ledger in
                _ = try instrument(code, ledger.state)
                return (ledger.state.registeredAction(of: code, at: LeafIndex(at)), ledger.state.registeredDates(of: code))
            }
            guard let action = found else {
                throw Problem(
                    404, "no_register_at",
                    "no committed register of \(code) has its record date at entry \(at); registers are kept at the record dates of \(code)'s actions: \(dates.isEmpty ? "none yet" : dates.map { String($0.value) }.joined(separator: ", "))"
                )
            }
            guard let service = actions, let entries = try await service.registerEntries(action: action.id) else {
                throw Problem(404, "no_register_tree", "this node does not have the register of action \(action.id)")
            }
            guard let page = HolderPage(recordDate: action, entries: entries, from: from, limit: limit) else {
                throw Problem(503, "register_mismatch", "this node's copy of the register of action \(action.id) does not sum to its commitment")
            }
            return try json(page)
        }
        return try json(
            try durableState { ledger -> HolderPage in
                guard let page = HolderPage(ledger.state, instrument: code, from: from, limit: limit, at: ledger.clock()) else {
                    throw Problem(404, "instrument_not_found", "no instrument \(code)")
                }
                return page
            })
    }

    func action(_ text: String, ballot: Bool) throws -> ActionView {
        guard let id = UInt64(text), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), id <= Limits.maxQueryInteger else {
            throw Problem(400, "invalid_parameter", "an action id is an integer")
        }
        guard let action = try durableState({ $0.state.securities.actions[id] }), !ballot || action.declaration.terms.ballot != nil else {
            throw Problem(404, ballot ? "ballot_not_found" : "action_not_found", "no \(ballot ? "ballot" : "action") \(id)")
        }
        return ActionView(action)
    }

    /// A holder's place in an action's record-date register, for the holder
    /// only (a `HolderProofRequest` for this instrument and action).
    func registerProof(_ code: AssetCode, _ accountText: String, _ request: Request, from client: String) async throws -> Response {
        let account = try resolveAccount(accountText)
        let query = try Query(request, allowed: ["action", "time", "key", "signature"])
        let id = try query.requiredInteger("action")
        _ = try holderRequest(for: account, .register(instrument: code, action: id), request, from: client, allowing: ["action"])
        guard let action = try durableState({ $0.state.securities.actions[id] }), action.asset == code else {
            throw Problem(404, "action_not_found", "no action \(id) on \(code)")
        }
        guard let register = action.register else {
            throw Problem(503, "register_not_ready", "the register of action \(id) is not committed yet", retryAfter: 2)
        }
        guard let service = actions, service.canSign else {
            throw Problem(404, "no_register_tree", "this node has no ledger key configured, so it keeps no register trees")
        }
        guard let found = try await service.proof(action: id, account: account, recordDate: action.recordDate, asset: code) else {
            throw Problem(404, "no_register_tree", "this node no longer has the register of action \(id)")
        }
        guard let proof = found else {
            throw Problem(404, "not_a_holder", "account \(account) held no \(code) at the record date of action \(id) (entry \(action.recordDate))")
        }
        let commitment = CommitLiabilities(
            asset: code, asOf: action.recordDate.value, total: Amount(register.total), leafCount: register.leafCount, root: register.root)
        var response = try json(RegisterProofView(action: id, index: register.index, commitment: commitment, proof: proof))
        response.headers[.cacheControl] = "private, no-store"
        return response
    }
}

/// A one-at-a-time gate that refuses instead of waiting.
final class Gate: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = false

    func tryAcquire() -> Bool {
        lock.withLock {
            guard !taken else { return false }
            taken = true
            return true
        }
    }

    func release() { lock.withLock { taken = false } }
}
