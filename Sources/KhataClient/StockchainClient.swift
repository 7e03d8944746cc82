import Foundation
import KhataAPI
import KhataBytes
import KhataCore
import KhataEd25519
import KhataLiabilities

// The stockchain's reads, the simulation, and a holder's check of its
// entitlement (docs/STOCKCHAIN.md).

extension KhataClient {
    /// Every instrument, read a page of 1,000 at a time.
    public func instruments() throws -> [InstrumentView] {
        try listing { after in
            try decodeJSON([InstrumentView].self, try get("/v1/instruments?limit=1000" + (after.map { "&after=\($0)" } ?? "")))
        } code: {
            $0.asset
        }
    }
    public func instrument(_ code: AssetCode) throws -> InstrumentView { try decodeJSON(InstrumentView.self, try get("/v1/instruments/\(code)")) }
    public func holders(of code: AssetCode, from: UInt64 = 0, limit: Int = 100) throws -> HolderPage {
        try decodeJSON(HolderPage.self, try get("/v1/instruments/\(code)/holders?from=\(from)&limit=\(limit)"))
    }
    /// A page of the committed register at record date `at` (an action's), with its commitment.
    public func holders(of code: AssetCode, at: LeafIndex, from: UInt64 = 0, limit: Int = 100) throws -> HolderPage {
        try decodeJSON(HolderPage.self, try get("/v1/instruments/\(code)/holders?at=\(at.value)&from=\(from)&limit=\(limit)"))
    }
    public func actions(of code: AssetCode) throws -> [ActionView] { try decodeJSON([ActionView].self, try get("/v1/instruments/\(code)/actions")) }
    public func action(_ id: UInt64) throws -> ActionView { try decodeJSON(ActionView.self, try get("/v1/actions/\(id)")) }
    public func ballots() throws -> [ActionView] { try decodeJSON([ActionView].self, try get("/v1/ballots")) }

    /// A holder's proof of its place in action `id`'s record-date register,
    /// asked for with a request signed now by `key`, one of the account's controllers.
    public func registerProof(
        of account: AccountID, in code: AssetCode, action id: UInt64, key: SigningKey, now: Timestamp = KhataClient.now()
    ) throws -> RegisterProofView {
        let request = HolderProofRequest(
            account: account, resource: .register(instrument: code, action: id), time: now, signedBy: key, origin: origin)
        return try decodeJSON(
            RegisterProofView.self, try get("/v1/instruments/\(code)/holders/\(account.hex)/proof?action=\(id)&\(request.query)"))
    }

    /// What `transaction` would come to if submitted now (nothing is logged).
    public func simulate(_ transaction: Transaction) throws -> SimulationView {
        let body = try JSONEncoder().encode(transaction)
        let response = try BlockingHTTP.request(
            "POST", baseURL + "/v1/transactions/simulate", body: Array(body), headers: ["Content-Type": "application/json"], timeout: timeout)
        guard response.status == 200 else {
            throw ClientError(status: response.status, code: "http_\(response.status)", String(decoding: response.body.prefix(300), as: UTF8.self))
        }
        return try decodeJSON(SimulationView.self, response)
    }

    func decodeJSON<T: Decodable>(_ type: T.Type, _ response: BlockingHTTP.Response) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(response.body)) } catch {
            throw ClientError(code: "bad_response", "the node's answer is not a \(type): \(error)")
        }
    }
}

/// Checks a holder's register proof against a ledger state obtained by
/// replaying the log (an `Auditor` run), so that nothing the node says is taken
/// on trust: the action and its `commit_register` are in the audited log; the
/// proof verifies against the logged root, total and leaf count (with the
/// record date as `as_of`); the logged total is the outstanding amount at the
/// record date; and what the holder was owed follows from its proven units and
/// the action's logged rate.
public enum EntitlementVerifier {
    public struct Entitlement: Sendable {
        public let action: UInt64
        public let account: AccountID
        /// Record-date units.
        public let units: Amount
        /// What the action owed for them, in the instrument's currency (nil for a split or a ballot).
        public let owed: Amount?
        public let registerIndex: LeafIndex
    }

    public static func verify(_ served: RegisterProofView, account: AccountID, audited state: LedgerState) throws(ReserveVerifier.Failure)
        -> Entitlement
    {
        guard let action = state.securities.actions[served.action] else {
            throw .init("the audited log holds no action \(served.action)" + " (audit again: the log may have grown)")
        }
        guard let register = action.register else { throw .init("the audited log holds no register for action \(served.action)") }
        guard served.proof.account == account else { throw .init("the node sent a proof for \(served.proof.account), not \(account)") }
        let logged = CommitLiabilities(
            asset: action.asset, asOf: action.recordDate.value, total: Amount(register.total), leafCount: register.leafCount, root: register.root)
        do { try served.proof.verify(against: logged) } catch {
            throw .init("the proof does not verify against the logged register: \(error)")
        }
        guard register.total == action.outstanding else {
            throw .init("the logged register total \(register.total) is not the outstanding amount \(action.outstanding) at the record date")
        }
        let owed = action.rate.flatMap { $0.owed(served.proof.balance.units) }.map(Amount.init)
        return Entitlement(action: action.id, account: account, units: served.proof.balance, owed: owed, registerIndex: register.index)
    }
}
