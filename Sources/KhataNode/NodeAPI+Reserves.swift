import Foundation
import HTTPTypes
import Hummingbird
import KhataAPI
import KhataCore
import KhataEngine
import KhataLiabilities

// The reserve routes (docs/RESERVES.md, docs/openapi.yaml).

extension NodeAPI {
    func registerReserves(on router: Router<NodeRequestContext>) {
        router.get("/v1/reserves") { _, _ in try reservesReport() }
        router.get("/v1/reserves/history") { _, _ in try json(CoverageHistoryView(samples: reserves.history)) }
        router.get("/v1/reserves/proof/:account") { _, context in try liabilityProof(try parameter(context, "account")) }
        router.post("/v1/reserves/commitments") { _, _ in try requestCommitment() }
    }

    func reservesReport() throws -> Response {
        let latestIndex = reserves.latestTree?.index
        let view = sequencer.read { ledger -> ReservesView? in
            let state = ledger.state
            guard let policy = state.reserves.policy, let evaluation = state.reserveStatus(at: ledger.clock()) else { return nil }
            let available = latestIndex != nil && latestIndex == state.reserves.liabilities?.index
            return ReservesView(state: state, evaluation: evaluation, policy: policy, proofsAvailable: available)
        }
        guard let view else { throw Problem(404, "no_monetary_policy", "this ledger has no monetary policy: nothing is backed by reserves") }
        return try json(view)
    }

    func liabilityProof(_ text: String) throws -> Response {
        guard let account = AccountID(hex: text) else { throw Problem(400, "invalid_parameter", "an account id is 32 hex digits") }
        guard let (tree, index) = reserves.latestTree else {
            guard reserves.canSign else {
                throw Problem(404, "no_liabilities_tree", "this node has no ledger key configured, so it builds no liabilities tree")
            }
            throw Problem(
                503, "liabilities_not_ready",
                "this node has not committed a liabilities tree since it started; one is built at start and then every interval",
                retryAfter: 5)
        }
        guard let proof = tree.proof(for: account) else {
            throw Problem(404, "not_a_holder", "account \(account) held no \(tree.asset) when the tree at size \(tree.asOf) was taken")
        }
        return try json(LiabilityProofView(index: index, commitment: tree.commitment, proof: proof))
    }

    func requestCommitment() throws -> Response {
        switch reserves.requestCommitment() {
        case .started:
            var response = try json(["status": "started"])
            response.status = .accepted
            return response
        case .alreadyBuilding:
            throw Problem(409, "commitment_in_progress", "a liabilities tree is being built; its commitment will appear in the log")
        case .tooSoon(let seconds):
            throw Problem(429, "too_soon", "a liabilities commitment was made moments ago; try again in \(seconds) s", retryAfter: seconds)
        case .cannotSign:
            throw Problem(409, "no_ledger_key", "this node has no ledger key configured, so it cannot sign a commitment")
        }
    }
}
