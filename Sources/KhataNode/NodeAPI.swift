import Foundation
import HTTPTypes
import Hummingbird
import KhataAPI
import KhataCore
import KhataEngine
import KhataLog
import KhataStorage
import KhataVerify
import NIOCore

/// The node's HTTP routes. What `register(on:)` adds to a router is what the
/// OpenAPI document (docs/openapi.yaml) is checked against (`routes`).
public struct NodeAPI: Sendable {
    let sequencer: Sequencer
    let readStore: ReadStore
    let publisher: CheckpointPublisher
    let reserves: ReserveService
    /// Settles corporate actions and keeps their register trees (nil: none kept, no proofs).
    let actions: ActionService?
    let metrics: NodeMetrics
    let origin: String
    let ledgerVKey: String
    let witnessVKeys: [String]
    let witnessQuorum: Int
    let maxBodyBytes: Int
    let bodyBudget: BodyBudget
    let limits: ClientLimits
    /// How long a request body may take to arrive, in all (`body_timeout_ms`).
    let bodyTimeoutNanoseconds: UInt64
    /// The durable state's digest, computed once per size (`GET /v1/state`).
    let digests = StateDigests()
    /// At most one simulation at a time (`POST /v1/transactions/simulate`).
    let simulations = Gate()
    /// The live quotes exchanges published (`POST /v1/quotes`).
    let quotes = QuoteBook()
    /// The corridor report, kept up with the log (`GET /v1/corridors`).
    let corridors = CorridorService()

    public init(
        sequencer: Sequencer, readStore: ReadStore, publisher: CheckpointPublisher, reserves: ReserveService, actions: ActionService? = nil,
        metrics: NodeMetrics, origin: String,
        ledgerVKey: String, witnessVKeys: [String], witnessQuorum: Int, maxBodyBytes: Int, bufferedBodyBytes: Int = 64 << 20,
        limits: ClientLimits = ClientLimits(ClientLimits.Settings()), bodyTimeout: Duration = .seconds(30)
    ) {
        self.sequencer = sequencer
        self.readStore = readStore
        self.publisher = publisher
        self.reserves = reserves
        self.actions = actions
        self.metrics = metrics
        self.origin = origin
        self.ledgerVKey = ledgerVKey
        self.witnessVKeys = witnessVKeys
        self.witnessQuorum = witnessQuorum
        self.maxBodyBytes = maxBodyBytes
        bodyBudget = BodyBudget(capacity: max(maxBodyBytes, bufferedBodyBytes))
        self.limits = limits
        bodyTimeoutNanoseconds = bodyTimeout.wholeNanoseconds
    }

    /// Adds every route to `router`. Routes that take no query parameters refuse
    /// any (`Query`), so that nothing a client sends is silently ignored.
    public func register(on router: Router<NodeRequestContext>) {
        let table = RouteTable()
        router.middlewares.add(ProblemMiddleware(metrics: metrics, routes: table))
        router.middlewares.add(ClientLimitMiddleware(limits: limits))
        defer { table.set(router.routes.map { ($0.method.rawValue, "\($0.path)") }) }
        router.post("/v1/transactions") { request, context in
            _ = try Query(request)
            return try await submit(request, from: ClientLimits.client(context.remoteAddress))
        }
        router.get("/v1/transactions/:id") { request, context in
            _ = try Query(request)
            return try await transaction(try parameter(context, "id"))
        }
        router.get("/v1/accounts/:id") { request, context in
            _ = try Query(request)
            return try account(try parameter(context, "id"))
        }
        router.get("/v1/accounts/:id/entries") { request, context in try await history(try parameter(context, "id"), request) }
        router.get("/v1/assets") { request, _ in
            let page = try CodePage(request)
            return try json(
                try durableState { ledger in page.select(ledger.state.assets.keys).map { AssetView(ledger.state.assets[$0]!, state: ledger.state) } })
        }
        router.get("/v1/assets/:code") { request, context in
            _ = try Query(request)
            return try asset(try parameter(context, "code"))
        }
        router.get("/v1/ledger") { request, _ in
            _ = try Query(request)
            return try ledgerInfo()
        }
        router.get("/v1/state") { request, _ in
            _ = try Query(request)
            return try await stateDigest()
        }
        router.get("/v1/entries") { request, _ in try await entries(request) }
        router.get("/v1/entries/:index") { request, context in
            _ = try Query(request)
            return try await entry(try parameter(context, "index"))
        }
        router.get("/v1/proofs/inclusion") { request, _ in try await inclusionProof(request) }
        router.get("/v1/proofs/consistency") { request, _ in try await consistencyProof(request) }
        registerReserves(on: router)
        registerStockchain(on: router)
        registerZones(on: router)
        registerPayments(on: router)
        router.get("/log/checkpoint") { request, _ in
            _ = try Query(request)
            return try checkpoint()
        }
        router.get("/log/tile/**") { request, context in try await tile(context.parameters.getCatchAll().joined(separator: "/"), request) }
        router.get("/metrics") { request, _ in
            _ = try Query(request)
            return text(metrics.render(), type: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/livez") { request, _ in
            _ = try Query(request)
            return text("live\n")
        }
        router.get("/readyz") { request, _ in
            _ = try Query(request)
            return try readiness()
        }
        // Kept for compatibility; follows readiness.
        router.get("/healthz") { request, _ in
            _ = try Query(request)
            return try readiness()
        }
        router.get("/") { _, _ in Explorer.response() }
    }

    /// The routes `register(on:)` adds, as method and OpenAPI path (`{name}` for
    /// a parameter, `{path}` for the tile path's rest), read back from a router.
    public var routes: [(method: String, path: String)] {
        let router = Router(context: NodeRequestContext.self)
        register(on: router)
        return router.routes.map { route in
            let path = route.path.components.map { component -> String in
                let text = "\(component)"
                if text == "**" { return "{path}" }
                return text.hasPrefix(":") ? "{\(text.dropFirst())}" : text
            }
            return (route.method.rawValue, "/" + path.joined(separator: "/"))
        }
    }

    /// 200 `ready` when the node can take writes; 503 with the reason when it
    /// cannot (its journal failed, so it is about to exit and recover).
    func readiness() throws -> Response {
        guard sequencer.haltReason == nil else {
            throw Problem(503, "halted", "not ready: the journal failed; the node exits so that a restart recovers", retryAfter: 5)
        }
        return text("ready\n")
    }

    /// State as of the last durable batch (`Sequencer.read`): never a batch
    /// the journal may yet lose, and never waiting on a disk write. It stays
    /// true after a journal failure, so reads go on until the node exits.
    func durableState<T>(_ body: (DurableLedger) throws -> T) throws -> T {
        try sequencer.read(body)
    }

    // MARK: Writes

    /// Decodes, bounds, charges `client`'s budgets (`ClientLimits`), checks
    /// signatures, and sequences; one receipt or refusal per transaction.
    func submit(_ request: Request, from client: String) async throws -> Response {
        let type = request.headers[.contentType] ?? ""
        let reader = try await readBody(request)
        defer { reader.release() }
        let body = reader.bytes
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
        try limits.admitSubmission(transactions, from: client)
        var verified: [VerifiedTransaction] = []
        verified.reserveCapacity(transactions.count)
        for (position, result) in SignatureVerifier.verify(transactions, origin: origin).enumerated() {
            switch result {
            case .success(let transaction): verified.append(transaction)
            case .failure(let error): throw Problem(error, prefix: single ? "" : "transaction \(position): ")
            }
        }
        try limits.admitSigners(of: verified)
        let results = try await sequencer.submit(verified)
        limits.recordRejections(results, of: transactions)
        guard single else { return jsonBytes(SubmissionResult.json(results)) }
        switch results[0] {
        case .logged(let receipt): return jsonBytes(receipt.json)
        case .refused(let refusal): throw Problem(refusal)
        }
    }

    /// The request's body, within `maxBodyBytes`, the node's `BodyBudget` and
    /// the body timeout (`BodyReader`). A declared `Content-Length` over the
    /// limit is refused before a byte of the body is read (so
    /// `Expect: 100-continue` gets its 413 at once). The caller releases the
    /// reader's reservation when the request ends, so the budget bounds bodies
    /// while they are decoded and checked too, not only while they arrive.
    func readBody(_ request: Request) async throws -> BodyReader {
        var limit = maxBodyBytes
        if let declared = request.headers[.contentLength] {
            guard let length = Int(declared), declared.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                throw Problem(400, "invalid_content_length", "Content-Length must be a decimal number of bytes")
            }
            guard length <= maxBodyBytes else {
                throw Problem(413, "payload_too_large", "the body is \(length) bytes; this node takes at most \(maxBodyBytes)")
            }
            limit = length
        }
        var reader = BodyReader(limit: limit, timeoutNanoseconds: bodyTimeoutNanoseconds, budget: bodyBudget, clock: limits.clock)
        do {
            for try await part in request.body { try reader.append(part.readableBytesView) }
        } catch {
            reader.release()
            throw error
        }
        return reader
    }

    /// A transaction or an array of 1 to `Limits.maxBatchTransactions`
    /// (`TransactionJSON`); true when it was one transaction.
    private func decodeJSON(_ body: [UInt8]) throws -> ([Transaction], Bool) {
        let transactions: [Transaction]
        let isArray: Bool
        do { (transactions, isArray) = try TransactionJSON.decode(body) } catch {
            throw Problem(400, "malformed_json", "the body is not a transaction or an array of transactions: \(error)")
        }
        guard !isArray || (1...Limits.maxBatchTransactions).contains(transactions.count) else {
            throw Problem(413, "batch_too_large", "a batch holds 1 to \(Limits.maxBatchTransactions) transactions, got \(transactions.count)")
        }
        return (transactions, !isArray)
    }

    // MARK: Reads of state (the durable copy, under its lock, briefly)

    func account(_ text: String) throws -> Response {
        let id = try resolveAccount(text)
        guard let view = try durableState({ ledger in ledger.state.accounts[id].map { AccountView($0, state: ledger.state, name: nil) } }) else {
            throw Problem(404, "account_not_found", "no account \(id)")
        }
        return try json(view)
    }

    func asset(_ text: String) throws -> Response {
        guard let code = AssetCode(text) else { throw Problem(400, "invalid_parameter", "\"\(text.prefix(20))\" is not an asset code") }
        guard let view = try durableState({ ledger in ledger.state.assets[code].map { AssetView($0, state: ledger.state) } }) else {
            throw Problem(404, "asset_not_found", "no asset \(code)")
        }
        return try json(view)
    }

    func ledgerInfo() throws -> Response {
        let (size, reserves) = try durableState { ledger in (ledger.state.size, ledger.state.reserveStatus(at: ledger.clock())) }
        return try json(
            LedgerView(
                origin: origin, vkey: ledgerVKey, witnesses: witnessVKeys, witnessQuorum: witnessQuorum, size: size,
                checkpoint: publisher.published?.note.formatted, reserves: reserves))
    }

    func stateDigest() async throws -> Response {
        let size = try durableState { $0.state.size }
        let answer = try await digests.answer(currentSize: size) { [self] in try durableState { $0.state } }
        return try json(StateView(origin: origin, size: answer.size, time: answer.time, accounts: answer.accounts, digest: answer.digest))
    }

    func transaction(_ text: String) async throws -> Response {
        guard let id = TransactionID(hex: text) else { throw Problem(400, "invalid_parameter", "a transaction id is 32 hex digits") }
        guard let record = try durableState({ $0.state.record(of: id) }) else { throw Problem(404, "transaction_not_found", "no transaction \(id)") }
        let published = publisher.published
        return try await readStore.read { journal in
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

    func history(_ text: String, _ request: Request) async throws -> Response {
        let query = try Query(request, allowed: ["before", "limit"])
        let id = try resolveAccount(text)
        let limit = try pageSize(query)
        let before = try query.integer("before").map(LeafIndex.init)
        return try await readStore.read { journal in
            let indexes = try journal.history(of: id, before: before, limit: limit)
            let stored = try boundedPage(limit: indexes.count) { offset, count in
                try indexes[offset..<(offset + count)].map { index in try journal.entry(at: index) }
            }
            let more = stored.count < indexes.count || indexes.count == limit
            return try json(EntryPage(entries: try stored.map(entryView), next: more ? stored.last?.index.value : nil))
        }
    }

    func entries(_ request: Request) async throws -> Response {
        let query = try Query(request, allowed: ["from", "limit"])
        let limit = try pageSize(query)
        return try await readStore.read { journal in
            let count = journal.entryCount
            let from = try query.integer("from", in: 0...count) ?? (count > UInt64(limit) ? count - UInt64(limit) : 0)
            let stored = try boundedPage(limit: limit) { offset, count in try journal.entries(from: LeafIndex(from + UInt64(offset)), limit: count) }
            let next = from + UInt64(stored.count)
            return try json(EntryPage(entries: try stored.map(entryView), next: next < count ? next : nil))
        }
    }

    /// A page of at most `limit` entries (at least one), read 32 at a time and
    /// stopping before the entry that would take it past `Limits.maxPageBytes`,
    /// so that neither the answer nor what is read for it grows with the
    /// entries' size. `read(offset, count)` gives the next entries of the page
    /// (fewer than `count` only at the end of what there is).
    private func boundedPage(limit: Int, read: (_ offset: Int, _ count: Int) throws -> [StoredEntry]) throws -> [StoredEntry] {
        var page: [StoredEntry] = []
        var bytes = 0
        while page.count < limit {
            let wanted = min(32, limit - page.count)
            let chunk = try read(page.count, wanted)
            for entry in chunk {
                if !page.isEmpty && bytes + entry.bytes.count > Limits.maxPageBytes { return page }
                bytes += entry.bytes.count
                page.append(entry)
            }
            if chunk.count < wanted { break }
        }
        return page
    }

    func entry(_ text: String) async throws -> Response {
        guard let index = UInt64(text), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), index <= Limits.maxQueryInteger else {
            throw Problem(400, "invalid_parameter", "the entry index is an integer from 0 to \(Limits.maxQueryInteger)")
        }
        return try await readStore.read { journal in
            guard index < journal.entryCount else { throw Problem(404, "entry_not_found", "no entry \(index); the log has \(journal.entryCount)") }
            return try json(try entryView(try journal.entry(at: LeafIndex(index))))
        }
    }

    func inclusionProof(_ request: Request) async throws -> Response {
        let index = try Query(request, allowed: ["index"]).requiredInteger("index")
        guard let published = publisher.published else { throw Problem(404, "no_checkpoint", "no checkpoint has been published yet") }
        guard index < published.checkpoint.size else {
            throw Problem(
                404, "not_yet_covered", "entry \(index) is not covered by the latest checkpoint (\(published.checkpoint.size) entries); retry shortly"
            )
        }
        return try await readStore.read { journal in try json(try proofView(index, published, journal)) }
    }

    func consistencyProof(_ request: Request) async throws -> Response {
        let query = try Query(request, allowed: ["old", "new"])
        let old = try query.requiredInteger("old", in: 1...Limits.maxQueryInteger)
        let new = try query.requiredInteger("new", in: 1...Limits.maxQueryInteger)
        guard old <= new else { throw Problem(400, "invalid_parameter", "old (\(old)) must not exceed new (\(new))") }
        return try await readStore.read { journal in
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
    /// for any tree size up to the latest published checkpoint. Full tiles never
    /// change (`immutable`); a partial one is replaced by a wider one as the log
    /// grows, so it is cached briefly. Bundles may be gzipped, so every tile
    /// response varies by `Accept-Encoding`.
    func tile(_ path: String, _ request: Request) async throws -> Response {
        _ = try Query(request)
        guard let (level, index, width) = Tiles.parse("tile/" + path) else {
            throw Problem(
                400, "invalid_tile_path",
                "tile/\(path.prefix(80)) is not a tile path: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>], L 0 to 63, N in groups of three digits, W 1 to 255 (c2sp.org/tlog-tiles)"
            )
        }
        guard let size = publisher.published?.checkpoint.size else { throw Problem(404, "no_checkpoint", "no checkpoint has been published yet") }
        let levelSize = level.map { $0 < 8 ? size >> UInt64(8 * $0) : 0 } ?? size
        guard let span = Tiles.span(index: index, width: width), span.upperBound <= levelSize else {
            throw Problem(404, "not_found", "tile/\(path.prefix(80)) is beyond the published checkpoint (\(size) entries)")
        }
        var body: [UInt8] = try await readStore.read { journal in
            guard let level else { return Tiles.bundle(try journal.entries(from: LeafIndex(span.lowerBound), limit: width).map(\.bytes)) }
            return Tiles.encode(try journal.hashReader.hashes(level: level, start: span.lowerBound, count: width))
        }
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        headers[.cacheControl] = width == Tiles.width ? "public, max-age=31536000, immutable" : "public, max-age=5"
        headers[.vary] = "Accept-Encoding"
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

    private func pageSize(_ query: Query) throws -> Int {
        Int(try query.integer("limit", in: 1...UInt64(Limits.maxPageEntries)) ?? 20)
    }

    func parameter(_ context: NodeRequestContext, _ name: String) throws -> String {
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
