import Foundation
import HTTPTypes
import Hummingbird
import KhataAPI
import KhataBytes
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLiabilities

// The reserve routes (docs/RESERVES.md, docs/openapi.yaml).

extension NodeAPI {
    func registerReserves(on router: Router<NodeRequestContext>) {
        router.get("/v1/reserves") { request, _ in
            _ = try Query(request)
            return try reservesReport()
        }
        router.get("/v1/reserves/history") { request, _ in
            _ = try Query(request)
            return try json(CoverageHistoryView(samples: reserves.history))
        }
        router.get("/v1/reserves/proof/:account") { request, context in
            try liabilityProof(try parameter(context, "account"), request, from: ClientLimits.client(context.remoteAddress))
        }
    }

    func reservesReport() throws -> Response {
        let latestIndex = reserves.latestTree?.index
        let view = try durableState { ledger -> ReservesView? in
            let state = ledger.state
            guard let policy = state.reserves.policy, let evaluation = state.reserveStatus(at: ledger.clock()) else { return nil }
            let available = latestIndex != nil && latestIndex == state.reserves.liabilities?.index
            return ReservesView(state: state, evaluation: evaluation, policy: policy, proofsAvailable: available)
        }
        guard let view else { throw Problem(404, "no_monetary_policy", "this ledger has no monetary policy: nothing is backed by reserves") }
        return try json(view)
    }

    /// A holder's proof, for the holder only: the request must be signed by one
    /// of the account's controller keys within five minutes of the node's clock
    /// (`HolderProofRequest`, for `reserves`), because the proof reveals the balance and salt.
    func liabilityProof(_ text: String, _ request: Request, from client: String) throws -> Response {
        let account = try resolveAccount(text)
        let holder = try holderRequest(for: account, .reserves, request, from: client)
        guard let (tree, index) = reserves.latestTree else {
            guard reserves.canSign else {
                throw Problem(404, "no_liabilities_tree", "this node has no ledger key configured, so it builds no liabilities tree")
            }
            throw Problem(
                503, "liabilities_not_ready",
                "this node has not committed a liabilities tree since it started; one is built at start and then every interval",
                retryAfter: 5)
        }
        guard let proof = tree.proof(for: holder.account) else {
            throw Problem(404, "not_a_holder", "account \(account) held no \(tree.asset) when the tree at size \(tree.asOf) was taken")
        }
        var response = try json(LiabilityProofView(index: index, commitment: tree.commitment, proof: proof))
        // The holder's balance and salt: for the holder's eyes, never a shared cache's.
        response.headers[.cacheControl] = "private, no-store"
        return response
    }

    /// The signed request in `request`'s query, checked: for `resource`, fresh,
    /// signed, and by a key that controls `account`. 403
    /// `holder_signature_required` otherwise.
    func holderRequest(
        for account: AccountID, _ resource: HolderProofRequest.Resource, _ request: Request, from client: String,
        allowing extra: Set<String> = []
    ) throws -> HolderProofRequest {
        let query = try Query(request, allowed: extra.union(["time", "key", "signature"]))
        let refuse = { (why: String) in
            Problem(
                403, "holder_signature_required",
                "\(why): a proof reveals a holding, so only its holder gets it; sign the request for \(resource) with one of the account's keys (khata reserves verify --key or khata action verify --key; docs/RESERVES.md)"
            )
        }
        guard let time = try query.integer("time", in: 0...Limits.maxTimestampMilliseconds),
            let keyText = query.string("key"), let signatureText = query.string("signature")
        else { throw refuse("pass time, key and signature") }
        guard let key = PublicKey(hex: keyText), let signature = Hex.decode(signatureText), signature.count == 64 else {
            throw Problem(400, "invalid_parameter", "key is 64 hex digits and signature 128")
        }
        let signed = HolderProofRequest(account: account, resource: resource, time: Timestamp(milliseconds: time), key: key, signature: signature)
        let (now, controllers) = try durableState { ledger in (ledger.clock().milliseconds, ledger.state.accounts[account]?.controllers) }
        guard (now > time ? now - time : time - now) <= HolderProofRequest.maxSkewMilliseconds else {
            throw refuse("the request's time is more than five minutes from the node's (\(now) ms)")
        }
        guard controllers?.keys.contains(key) == true else { throw refuse("\(key) is not a controller of account \(account)") }
        try limits.admitSignatureChecks(1, from: client)
        guard signed.isSigned(origin: origin) else { throw refuse("the signature does not verify (for \(resource))") }
        return signed
    }
}
