import Foundation
import KhataAPI
import KhataCore

// Zones, laws and proposals (docs/LAWS.md).

extension KhataClient {
    public func zones() throws -> [ZoneSummaryView] { try decodeJSON([ZoneSummaryView].self, try get("/v1/zones")) }
    public func zone(_ id: ZoneID) throws -> ZoneView { try decodeJSON(ZoneView.self, try get("/v1/zones/\(id)")) }
    public func laws(of zone: ZoneID) throws -> [LawVersionView] { try decodeJSON([LawVersionView].self, try get("/v1/zones/\(zone)/laws")) }
    public func proposals(zone: ZoneID? = nil, after: UInt64 = 0, limit: Int = 100) throws -> [ProposalSummaryView] {
        try decodeJSON([ProposalSummaryView].self, try get("/v1/proposals?after=\(after)&limit=\(limit)" + (zone.map { "&zone=\($0)" } ?? "")))
    }
    /// A proposal, with its simulated effect unless `effect` is false.
    public func proposal(_ id: UInt64, effect: Bool = true) throws -> ProposalView {
        try decodeJSON(ProposalView.self, try get("/v1/proposals/\(id)" + (effect ? "" : "?effect=false")))
    }
    /// The exit levy a move of `account` would owe now (none, or one).
    public func exitLevy(of account: AccountID) throws -> LevyQuoteView {
        try decodeJSON(LevyQuoteView.self, try get("/v1/levies?account=\(account.hex)"))
    }
    /// The levies a payment would owe now.
    public func levies(asset: AssetCode, debit: AccountID, credit: AccountID, amount: Amount) throws -> LevyQuoteView {
        try decodeJSON(LevyQuoteView.self, try get("/v1/levies?debit=\(debit.hex)&credit=\(credit.hex)&asset=\(asset)&amount=\(amount.units)"))
    }
}
