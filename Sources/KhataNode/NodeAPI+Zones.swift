import Foundation
import HTTPTypes
import Hummingbird
import KhataAPI
import KhataCore
import KhataEngine
import KhataStorage

// Zones, their laws and law proposals (docs/LAWS.md, docs/openapi.yaml).

extension NodeAPI {
    func registerZones(on router: Router<NodeRequestContext>) {
        router.get("/v1/zones") { request, _ in
            _ = try Query(request)
            return try json(try durableState { ZoneSummaryView.all(in: $0.state) })
        }
        router.get("/v1/zones/:id") { request, context in
            _ = try Query(request)
            let id = try zoneID(try parameter(context, "id"))
            return try json(try durableState { ledger in ZoneView(try zone(id, ledger.state), state: ledger.state) })
        }
        router.get("/v1/zones/:id/laws") { request, context in
            _ = try Query(request)
            let id = try zoneID(try parameter(context, "id"))
            return try json(try durableState { ledger in try zone(id, ledger.state).laws.map(LawVersionView.init) })
        }
        router.get("/v1/proposals") { request, _ in
            let query = try Query(request, allowed: ["zone", "after", "limit"])
            let zone = try query.integer("zone", in: 0...UInt64(Corridor.anyZone - 1)).map { ZoneID($0) }
            let after = try query.integer("after") ?? 0
            let limit = Int(try query.integer("limit", in: 1...UInt64(Limits.maxPageEntries)) ?? 100)
            return try json(try durableState { ProposalSummaryView.list(in: $0.state, zone: zone, after: after, limit: limit) })
        }
        router.get("/v1/proposals/:id") { request, context in
            try await proposal(try parameter(context, "id"), request)
        }
        router.get("/v1/levies") { request, _ in
            let query = try Query(request, allowed: ["debit", "credit", "asset", "amount", "account"])
            // The exit levy of a move: `account` alone.
            if query.string("account") != nil {
                guard ["debit", "credit", "asset", "amount"].allSatisfy({ query.string($0) == nil }) else {
                    throw Problem(400, "invalid_parameter", "account (an exit levy) goes alone; debit, credit, asset and amount ask for a payment's")
                }
                let account = try accountParameter(query, "account")
                return try json(
                    try durableState { ledger in
                        guard ledger.state.accounts[account] != nil else { throw Problem(404, "account_not_found", "no account \(account.hex)") }
                        return LevyQuoteView(ledger.state.exitLevyDue(of: account, at: ledger.clock()).map { [$0] } ?? [], amount: .zero)
                    })
            }
            let debit = try accountParameter(query, "debit")
            let credit = try accountParameter(query, "credit")
            guard let text = query.string("asset"), let asset = AssetCode(text) else {
                throw Problem(400, "invalid_parameter", "asset is an asset code (INR)")
            }
            let amount = Amount(try query.requiredInteger("amount", in: 1...UInt64.max))
            return try json(
                try durableState { ledger in
                    for id in [debit, credit] where ledger.state.accounts[id] == nil {
                        throw Problem(404, "account_not_found", "no account \(id.hex)")
                    }
                    return LevyQuoteView(
                        ledger.state.leviesDue(asset: asset, debit: debit, credit: credit, amount: amount, at: ledger.clock()), amount: amount)
                })
        }
    }

    func zoneID(_ text: String) throws -> ZoneID {
        guard text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let id = UInt16(text), id != Corridor.anyZone else {
            throw Problem(400, "invalid_parameter", "a zone id is an integer from 0 to 65534")
        }
        return id
    }

    func zone(_ id: ZoneID, _ state: LedgerState) throws -> Zone {
        guard let zone = state.zones.zones[id] else {
            let known = state.zones.zones.keys.sorted().map(String.init).joined(separator: ", ")
            throw Problem(404, "zone_not_found", "no zone \(id); the zones are \(known.isEmpty ? "none yet" : known)")
        }
        return zone
    }

    private func accountParameter(_ query: Query, _ name: String) throws -> AccountID {
        guard let text = query.string(name) else {
            throw Problem(400, "invalid_parameter", "\(name) is an account: an id (32 hex digits) or an address (handle@provider)")
        }
        return try resolveAccount(text)
    }

    /// A proposal, and while it can still take effect, its simulated effect
    /// on the state now and the levies the last 30 days would have paid under
    /// it. The effect is computed on a copy of the state, off the lock, one at
    /// a time (503 `busy` if another is running); `effect=false` skips it.
    func proposal(_ text: String, _ request: Request) async throws -> Response {
        let query = try Query(request, allowed: ["effect"])
        guard text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let id = UInt64(text), id <= Limits.maxQueryInteger else {
            throw Problem(400, "invalid_parameter", "a proposal id is an integer")
        }
        let wantsEffect: Bool
        switch query.string("effect") {
        case nil, "true": wantsEffect = true
        case "false": wantsEffect = false
        case let other: throw Problem(400, "invalid_parameter", "effect is true or false, not \"\(other!.prefix(20))\"")
        }
        let (state, found) = try durableState { ledger in (ledger.state, ledger.state.zones.proposals[id]) }
        guard let proposal = found, let zone = state.zones.zones[proposal.zone] else {
            throw Problem(404, "proposal_not_found", "no proposal \(id); there are \(state.zones.nextProposal - 1)")
        }
        var view = ProposalView(proposal, zone: zone)
        guard wantsEffect, proposal.status.isActive else { return try json(view) }
        guard simulations.tryAcquire() else { throw Problem(503, "busy", "another simulation is running; retry", retryAfter: 1) }
        defer { simulations.release() }
        let current = zone.law.law
        let effect = try await onOwnThread { [self] in
            ProposalView.Effect(
                atIndex: LeafIndex(state.size), current: state.effect(of: current, in: zone.id),
                proposed: state.effect(of: proposal.law, in: zone.id),
                levies: try readStore.with { try LevyReplay.read(from: $0, zone: zone.id, current: current, proposed: proposal.law, state: state) })
        }
        view.effect = effect
        return try json(view)
    }
}
