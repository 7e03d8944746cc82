import Foundation
import HTTPTypes
import Hummingbird
import KhataAPI
import KhataCore
import KhataEngine
import KhataLog
import KhataStorage
import NIOCore

/// The node's HTTP routes. `NodeAPI.routes` is the route table the OpenAPI
/// document (docs/openapi.yaml) is checked against.
public struct NodeAPI: Sendable {
    /// Every route the node serves: method and path, `{name}` for parameters.
    public static let routes: [(method: String, path: String)] = [
        ("POST", "/v1/transactions"),
        ("GET", "/v1/transactions/{id}"),
        ("GET", "/v1/accounts/{id}"),
        ("GET", "/v1/accounts/{id}/entries"),
        ("GET", "/v1/assets"),
        ("GET", "/v1/assets/{code}"),
        ("GET", "/v1/ledger"),
        ("GET", "/v1/entries"),
        ("GET", "/v1/entries/{index}"),
        ("GET", "/v1/proofs/inclusion"),
        ("GET", "/v1/proofs/consistency"),
        ("GET", "/v1/reserves"),
        ("GET", "/v1/reserves/history"),
        ("GET", "/v1/reserves/proof/{account}"),
        ("POST", "/v1/reserves/commitments"),
        ("GET", "/log/checkpoint"),
        ("GET", "/log/tile/{path}"),
        ("GET", "/metrics"),
        ("GET", "/healthz"),
        ("GET", "/"),
    ]

    let sequencer: Sequencer
    let readStore: ReadStore
    let publisher: CheckpointPublisher
    let reserves: ReserveService
    let metrics: NodeMetrics
    let origin: String
    let ledgerVKey: String
    let witnessVKeys: [String]
    let witnessQuorum: Int
    let maxBodyBytes: Int

    public init(
        sequencer: Sequencer, readStore: ReadStore, publisher: CheckpointPublisher, reserves: ReserveService, metrics: NodeMetrics,
        origin: String,
        ledgerVKey: String, witnessVKeys: [String], witnessQuorum: Int, maxBodyBytes: Int
    ) {
        self.sequencer = sequencer
        self.readStore = readStore
        self.publisher = publisher
        self.reserves = reserves
        self.metrics = metrics
        self.origin = origin
        self.ledgerVKey = ledgerVKey
        self.witnessVKeys = witnessVKeys
        self.witnessQuorum = witnessQuorum
        self.maxBodyBytes = maxBodyBytes
    }

    /// Adds every route to `router`.
    public func register(on router: Router<BasicRequestContext>) {
        router.middlewares.add(ProblemMiddleware<BasicRequestContext>(metrics: metrics))
        router.post("/v1/transactions") { request, _ in try await submit(request) }
        router.get("/v1/transactions/:id") { _, context in try transaction(try parameter(context, "id")) }
        router.get("/v1/accounts/:id") { _, context in try account(try parameter(context, "id")) }
        router.get("/v1/accounts/:id/entries") { request, context in try history(try parameter(context, "id"), request) }
        router.get("/v1/assets") { _, _ in
            try json(sequencer.read { ledger in ledger.state.assets.keys.sorted().map { AssetView(ledger.state.assets[$0]!, state: ledger.state) } })
        }
        router.get("/v1/assets/:code") { _, context in try asset(try parameter(context, "code")) }
        router.get("/v1/ledger") { _, _ in try ledgerInfo() }
        router.get("/v1/entries") { request, _ in try entries(request) }
        router.get("/v1/entries/:index") { _, context in try entry(try parameter(context, "index")) }
        router.get("/v1/proofs/inclusion") { request, _ in try inclusionProof(request) }
        router.get("/v1/proofs/consistency") { request, _ in try consistencyProof(request) }
        registerReserves(on: router)
        router.get("/log/checkpoint") { _, _ in try checkpoint() }
        router.get("/log/tile/**") { request, context in try tile(context.parameters.getCatchAll().joined(separator: "/"), request) }
        router.get("/metrics") { _, _ in text(metrics.render(), type: "text/plain; version=0.0.4; charset=utf-8") }
        router.get("/healthz") { _, _ in text("ok\n") }
        router.get("/") { _, _ in Explorer.response() }
    }

    // MARK: Writes

    func submit(_ request: Request) async throws -> Response {
        let type = request.headers[.contentType] ?? ""
        let body = Array(try await request.body.collect(upTo: maxBodyBytes).readableBytesView)
        let transactions: [Transaction]
        let single: Bool
        if type.hasPrefix("application/json") {
            (transactions, single) = try decodeJSON(body)
        } else if type.hasPrefix("application/octet-stream") {
            transactions = try TransactionBatch.decode(body)
            single = false
        } else {
            throw Problem(
                415, "unsupported_media_type",
                "send application/json (a transaction or an array) or application/octet-stream (a binary batch, docs/ENCODING.md)")
        }
        var verified: [VerifiedTransaction] = []
        verified.reserveCapacity(transactions.count)
        for (position, result) in SignatureVerifier.verify(transactions, origin: origin).enumerated() {
            switch result {
            case .success(let transaction): verified.append(transaction)
            case .failure(let error): throw Problem(error, prefix: single ? "" : "transaction \(position): ")
            }
        }
        let receipts = try await sequencer.submit(verified)
        return jsonBytes(single ? receipts[0].json : Receipt.json(receipts))
    }

    /// A transaction or an array of 1 to `Limits.maxBatchTransactions`: transfers
    /// read directly, anything else by JSONDecoder; true when it was one transaction.
    private func decodeJSON(_ body: [UInt8]) throws -> ([Transaction], Bool) {
        let (transactions, isArray) = try Transaction.decodeTransfersJSON(body) ?? decodeWithFoundation(body)
        guard !isArray || (1...Limits.maxBatchTransactions).contains(transactions.count) else {
            throw Problem(413, "batch_too_large", "a batch holds 1 to \(Limits.maxBatchTransactions) transactions, got \(transactions.count)")
        }
        return (transactions, !isArray)
    }

    private func decodeWithFoundation(_ body: [UInt8]) throws -> (transactions: [Transaction], isArray: Bool) {
        let first = body.first { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }
        let decoder = JSONDecoder()
        do {
            if first == UInt8(ascii: "[") { return (try decoder.decode([Transaction].self, from: Data(body)), true) }
            return ([try decoder.decode(Transaction.self, from: Data(body))], false)
        } catch {
            throw Problem(400, "malformed_json", "the body is not a transaction or an array of transactions: \(describe(error))")
        }
    }

    // MARK: Reads of state (under the sequencer's state lock, briefly)

    func account(_ text: String) throws -> Response {
        guard let id = AccountID(hex: text) else { throw Problem(400, "invalid_parameter", "an account id is 32 hex digits") }
        guard let view = sequencer.read({ ledger in ledger.state.accounts[id].map { AccountView($0, state: ledger.state, name: nil) } }) else {
            throw Problem(404, "account_not_found", "no account \(id)")
        }
        return try json(view)
    }

    func asset(_ text: String) throws -> Response {
        guard let code = AssetCode(text) else { throw Problem(400, "invalid_parameter", "\"\(text.prefix(20))\" is not an asset code") }
        guard let view = sequencer.read({ ledger in ledger.state.assets[code].map { AssetView($0, state: ledger.state) } }) else {
            throw Problem(404, "asset_not_found", "no asset \(code)")
        }
        return try json(view)
    }

    func ledgerInfo() throws -> Response {
        let (size, reserves) = sequencer.read { ledger in (ledger.state.size, ledger.state.reserveStatus(at: ledger.clock())) }
        return try json(
            LedgerView(
                origin: origin, vkey: ledgerVKey, witnesses: witnessVKeys, witnessQuorum: witnessQuorum, size: size,
                checkpoint: publisher.published?.note.formatted, reserves: reserves))
    }

    func transaction(_ text: String) throws -> Response {
        guard let id = TransactionID(hex: text) else { throw Problem(400, "invalid_parameter", "a transaction id is 32 hex digits") }
        guard let record = sequencer.read({ $0.state.record(of: id) }) else { throw Problem(404, "transaction_not_found", "no transaction \(id)") }
        let published = publisher.published
        return try readStore.with { journal in
            let stored = try journal.entry(at: record.index)
            let entry = try Entry(decoding: stored.bytes)
            let receipt = Receipt(
                transaction: id, index: record.index, time: entry.time, outcome: record.outcome, leafHash: stored.leafHash, isRetry: false)
            var inclusion: InclusionProofView?
            if let published, record.index.value < published.checkpoint.size {
                inclusion = try proofView(record.index.value, published, journal)
            }
            return try json(
                TransactionView(receipt: receipt, entry: EntryView(entry, bytes: stored.bytes, leafHash: stored.leafHash), inclusion: inclusion))
        }
    }

    // MARK: Reads of the log (the read connection; never the sequencer)

    func history(_ text: String, _ request: Request) throws -> Response {
        guard let id = AccountID(hex: text) else { throw Problem(400, "invalid_parameter", "an account id is 32 hex digits") }
        let limit = try pageSize(request)
        let before = try optionalInteger(request, "before").map(LeafIndex.init)
        return try readStore.with { journal in
            let indexes = try journal.history(of: id, before: before, limit: limit)
            let views = try indexes.map { index in try entryView(try journal.entry(at: index)) }
            return try json(EntryPage(entries: views, next: indexes.count == limit ? indexes.last?.value : nil))
        }
    }

    func entries(_ request: Request) throws -> Response {
        let limit = try pageSize(request)
        return try readStore.with { journal in
            let count = journal.entryCount
            let from = try optionalInteger(request, "from") ?? UInt64(max(0, Int64(count) - Int64(limit)))
            let stored = try journal.entries(from: LeafIndex(from), limit: limit)
            let next = from + UInt64(stored.count)
            return try json(EntryPage(entries: try stored.map(entryView), next: next < count ? next : nil))
        }
    }

    func entry(_ text: String) throws -> Response {
        guard let index = UInt64(text) else { throw Problem(400, "invalid_parameter", "an entry index is a decimal number") }
        return try readStore.with { journal in
            guard index < journal.entryCount else { throw Problem(404, "entry_not_found", "no entry \(index); the log has \(journal.entryCount)") }
            return try json(try entryView(try journal.entry(at: LeafIndex(index))))
        }
    }

    func inclusionProof(_ request: Request) throws -> Response {
        guard let index = try optionalInteger(request, "index") else { throw Problem(400, "invalid_parameter", "pass ?index=N") }
        guard let published = publisher.published else { throw Problem(404, "no_checkpoint", "no checkpoint has been published yet") }
        guard index < published.checkpoint.size else {
            throw Problem(
                404, "not_yet_covered", "entry \(index) is not covered by the latest checkpoint (\(published.checkpoint.size) entries); retry shortly"
            )
        }
        return try readStore.with { journal in try json(try proofView(index, published, journal)) }
    }

    func consistencyProof(_ request: Request) throws -> Response {
        guard let old = try optionalInteger(request, "old"), let new = try optionalInteger(request, "new") else {
            throw Problem(400, "invalid_parameter", "pass ?old=M&new=N")
        }
        guard old <= new else { throw Problem(400, "invalid_parameter", "old (\(old)) exceeds new (\(new))") }
        return try readStore.with { journal in
            guard new <= journal.entryCount else { throw Problem(404, "not_yet_covered", "the log has only \(journal.entryCount) entries") }
            let proof = try MerkleTree.consistencyProof(oldSize: old, newSize: new, reader: journal.hashReader)
            return try json(ConsistencyProofView(old: old, new: new, proof: proof.map { Base64.encode($0.bytes) }))
        }
    }

    func checkpoint() throws -> Response {
        guard let published = publisher.published else { throw Problem(404, "no_checkpoint", "no checkpoint has been published yet") }
        var response = text(published.note.formatted)
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    /// `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]` (C2SP tlog-tiles),
    /// for any tree size up to the latest published checkpoint.
    func tile(_ path: String, _ request: Request) throws -> Response {
        guard let (level, index, width) = Tiles.parse("tile/" + path) else { throw Problem(404, "not_found", "no such tile: tile/\(path)") }
        guard let size = publisher.published?.checkpoint.size else { throw Problem(404, "no_checkpoint", "no checkpoint has been published yet") }
        let levelSize = size >> UInt64(8 * (level ?? 0))
        let end = index * UInt64(Tiles.width) + UInt64(width)
        guard end <= levelSize else { throw Problem(404, "not_found", "tile/\(path) is beyond the published checkpoint") }
        var body: [UInt8] = try readStore.with { journal in
            if level == nil {
                return Tiles.bundle(try journal.entries(from: LeafIndex(index * UInt64(Tiles.width)), limit: width).map(\.bytes))
            }
            return Tiles.encode(try journal.hashReader.hashes(level: level!, start: index * UInt64(Tiles.width), count: width))
        }
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        headers[.cacheControl] = width == Tiles.width ? "public, max-age=31536000, immutable" : "public, max-age=5"
        if level == nil, (request.headers[.acceptEncoding] ?? "").contains("gzip"), let compressed = Gzip.compress(body) {
            body = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    // MARK: Helpers

    private func proofView(_ index: UInt64, _ published: SignedCheckpoint, _ journal: SQLiteJournal) throws -> InclusionProofView {
        let size = published.checkpoint.size
        let path = try MerkleTree.inclusionProof(index: index, size: size, reader: journal.hashReader)
        let leaf = try journal.entry(at: LeafIndex(index)).leafHash
        return InclusionProofView(
            index: index, size: size, leafHash: leaf, proof: path.map { Base64.encode($0.bytes) }, checkpoint: published.note.formatted)
    }

    private func entryView(_ stored: StoredEntry) throws -> EntryView {
        EntryView(try Entry(decoding: stored.bytes), bytes: stored.bytes, leafHash: stored.leafHash)
    }

    private func pageSize(_ request: Request) throws -> Int {
        let limit = try optionalInteger(request, "limit") ?? 20
        guard (1...UInt64(Limits.maxPageEntries)).contains(limit) else {
            throw Problem(400, "invalid_parameter", "limit is 1 to \(Limits.maxPageEntries)")
        }
        return Int(limit)
    }

    private func optionalInteger(_ request: Request, _ name: String) throws -> UInt64? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = UInt64(text) else { throw Problem(400, "invalid_parameter", "\(name) must be a non-negative integer") }
        return value
    }

    func parameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw Problem(400, "invalid_parameter", "missing \(name)") }
        return value
    }
}

private let jsonEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()

func json<T: Encodable>(_ value: T) throws -> Response {
    Response(
        status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try jsonEncoder.encode(value))))
}

/// A JSON body already encoded.
func jsonBytes(_ bytes: [UInt8]) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
}

func text(_ value: String, type: String = "text/plain; charset=utf-8") -> Response {
    Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: value)))
}
