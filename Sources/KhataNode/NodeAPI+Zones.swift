import Foundation
import HTTPTypes
import Hummingbird
import KhataAPI
import KhataCore
import KhataEngine
import KhataStorage

// Zones, their laws and law proposals (docs/LAWS.md, docs/openapi.yaml).

extension NodeAPI {
    /// The most entries one levy replay reads (the last 30 days, or the latest
    /// this many of them): about 0.3 s of decoding on this machine.
    static let maxLevyReplayEntries = 100_000

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
            let query = try Query(request, allowed: ["debit", "credit", "asset", "amount"])
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
                    return LevyQuoteView(ledger.state.leviesDue(asset: asset, debit: debit, credit: credit, amount: amount), amount: amount)
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
        guard let text = query.string(name), let id = AccountID(hex: text) else {
            throw Problem(400, "invalid_parameter", "\(name) is an account id (32 hex digits)")
        }
        return id
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
                levies: try levyReplay(zone: zone.id, current: current, proposed: proposal.law, state: state))
        }
        view.effect = effect
        return try json(view)
    }

    /// Reads the entries of the 30 days before the state's last entry (at most
    /// `maxLevyReplayEntries` of them, the latest) and adds up the levies.
    private func levyReplay(zone: ZoneID, current: Law, proposed: Law, state: LedgerState) throws -> LevyReplay? {
        let end = state.size
        guard end > 1 else { return nil }
        let since = state.time.milliseconds > 30 * 86_400_000 ? state.time.milliseconds - 30 * 86_400_000 : 0
        return try readStore.with { journal -> LevyReplay in
            let available = min(end, journal.entryCount)
            func time(_ index: UInt64) throws -> UInt64 { try Entry(decoding: journal.entry(at: LeafIndex(index)).bytes).time.milliseconds }
            // The first entry at or after `since`: entries' times never decrease.
            var low: UInt64 = 1
            var high = available
            while low < high {
                let middle = low + (high - low) / 2
                if try time(middle) < since { low = middle + 1 } else { high = middle }
            }
            let start = max(low, available > UInt64(Self.maxLevyReplayEntries) ? available - UInt64(Self.maxLevyReplayEntries) : 1)
            var totals = (payments: 0, current: UInt128(0), proposed: UInt128(0))
            var next = start
            while next < available {
                let stored = try journal.entries(from: LeafIndex(next), limit: Int(min(1_000, available - next)))
                guard !stored.isEmpty else { break }
                let entries = try stored.map { try Entry(decoding: $0.bytes) }
                let part = LevyReplay.replay(entries, zone: zone, current: current, proposed: proposed, state: state)
                totals.payments += part.payments
                totals.current += UInt128(part.current)
                totals.proposed += UInt128(part.proposed)
                next += UInt64(stored.count)
            }
            return LevyReplay(
                days: 30, from: LeafIndex(start), to: LeafIndex(available), truncated: start > low, payments: totals.payments,
                current: UInt64(clamping: totals.current), proposed: UInt64(clamping: totals.proposed))
        }
    }
}
