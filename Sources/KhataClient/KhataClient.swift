import Foundation
import KhataAPI
import KhataBytes
import KhataCore
import KhataEd25519
import KhataLog

/// A client of a Khata node that verifies what it is told.
///
/// It pins the ledger's verifier key and, optionally, witnesses' keys and a
/// quorum. Every checkpoint it accepts is signed by the ledger, cosigned by the
/// quorum, and proved consistent with the last checkpoint it accepted; every
/// receipt and entry it returns as verified is proved included in such a
/// checkpoint. A node that lies is caught, not believed.
public final class KhataClient: @unchecked Sendable {
    public let baseURL: String
    public let ledgerKey: NoteVerifierKey
    public let witnesses: [NoteVerifierKey]
    public let quorum: Int
    public let timeout: TimeInterval
    /// Where the last accepted checkpoint is kept across runs (`CheckpointFile`), if anywhere.
    public let checkpointFile: String?
    private let lock = NSLock()
    /// The largest checkpoint accepted; every other accepted one is a prefix of it.
    private var trusted: SignedCheckpoint?
    /// What `checkpointFile` held when this client last read or wrote it.
    private var fileHolds: Checkpoint?
    private var fileRead = false

    /// `checkpointFile`: a file that keeps the last checkpoint this client
    /// accepted (the signed note), so that every later checkpoint, in this run
    /// or any later one, must be proved consistent with it: a node that forks
    /// or rolls back is caught even across restarts of the client.
    public init(
        baseURL: String, ledgerKey: NoteVerifierKey, witnesses: [NoteVerifierKey] = [], quorum: Int = 0, timeout: TimeInterval = 10,
        checkpointFile: String? = nil
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.ledgerKey = ledgerKey
        self.witnesses = witnesses
        self.quorum = quorum
        self.timeout = timeout
        self.checkpointFile = checkpointFile
    }

    /// The wall clock in Unix milliseconds, for the times requests are signed at.
    public static func now() -> Timestamp { Timestamp(milliseconds: UInt64(max(0, Date().timeIntervalSince1970 * 1_000))) }

    /// The ledger's origin: the name in its verifier key.
    public var origin: String { ledgerKey.name }

    /// The latest checkpoint this client verified, if any.
    public var lastCheckpoint: Checkpoint? { lock.withLock { trusted?.checkpoint } }

    // MARK: Writes

    /// Submits transactions (one JSON request, or a binary batch) and returns their
    /// receipts, each checked against the transaction it answers
    /// (`checkedReceipt`). Throws `ClientError` with the refusal's code if the
    /// node refused any of them (its signers were not enough, so it was not
    /// logged and its id is still free); the others are then in the log, and
    /// submitting the same batch again is safe (they answer as retries).
    public func submit(_ transactions: [Transaction], binary: Bool = false) throws -> [Receipt] {
        try submitEach(transactions, binary: binary).enumerated().map { position, result in
            switch result {
            case .logged(let receipt): return receipt
            case .refused(let refusal):
                throw ClientError(code: refusal.code.name, "transaction \(position): \(refusal)")
            }
        }
    }

    /// Submits transactions and returns the node's answer for each, in order:
    /// a receipt (checked against its transaction) or a refusal.
    public func submitEach(_ transactions: [Transaction], binary: Bool = false) throws -> [SubmissionResult] {
        let results: [SubmissionResult]
        if binary {
            let response = try post("/v1/transactions", TransactionBatch.encode(transactions), type: "application/octet-stream")
            results = try decode([SubmissionResult].self, response)
        } else if transactions.count == 1 {
            do {
                let response = try post("/v1/transactions", Array(try JSONEncoder().encode(transactions[0])), type: "application/json")
                results = [.logged(try decode(Receipt.self, response))]
            } catch let error as ClientError where error.status == 403 || error.status == 404 || error.status == 409 {
                guard let code = RejectionCode.allCases.first(where: { $0.name == error.code }) else { throw error }
                results = [.refused(Refusal(transaction: transactions[0].id, code: code, operation: error.operation ?? 0))]
            }
        } else {
            let response = try post("/v1/transactions", Array(try JSONEncoder().encode(transactions)), type: "application/json")
            results = try decode([SubmissionResult].self, response)
        }
        guard results.count == transactions.count else {
            throw ClientError(code: "receipt_mismatch", "the node answered \(results.count) times for \(transactions.count) transactions")
        }
        return try zip(transactions, results).map { transaction, result in
            guard let receipt = result.receipt else {
                guard result.transaction == transaction.id else { throw Self.mismatch(transaction, "a refusal of \(result.transaction)") }
                return result
            }
            let checked = try Self.checkedReceipt(receipt, for: transaction)
            if checked.isRetry { try checkRetry(checked, of: transaction) }
            return .logged(checked)
        }
    }

    /// `receipt` if it answers `transaction`: the same id, and, for a first
    /// answer, a leaf hash that is the hash of the entry this transaction, at the
    /// receipt's index, time and outcome, encodes to (so its content, signatures
    /// and outcome are bound to what was sent). A retry's entry was logged from
    /// an earlier submission, perhaps with other signatures; it is checked by id
    /// here, and `submitEach` fetches the logged entry to check its content.
    public static func checkedReceipt(_ receipt: Receipt, for transaction: Transaction) throws -> Receipt {
        guard receipt.transaction == transaction.id else { throw mismatch(transaction, "a receipt for \(receipt.transaction)") }
        guard !receipt.isRetry else { return receipt }
        let entry = Entry.encode(index: receipt.index, time: receipt.time, kind: 1, payload: transaction.encoded, outcome: receipt.outcome)
        guard Entry.leafHash(entry) == receipt.leafHash else {
            throw mismatch(transaction, "a receipt whose leaf hash is not this transaction's entry")
        }
        return receipt
    }

    /// A retry's receipt answers with an entry logged from an earlier
    /// submission: fetch that entry and check it is this transaction (the same
    /// content digest: the same body, whatever signatures it was logged with)
    /// at the receipt's index, with the receipt's outcome and leaf hash.
    private func checkRetry(_ receipt: Receipt, of transaction: Transaction) throws {
        let view = try decode(TransactionView.self, try get("/v1/transactions/\(transaction.id.hex)"))
        guard let bytes = Hex.decode(view.entry.bytes), let entry = try? Entry(decoding: bytes), Entry.leafHash(bytes) == receipt.leafHash,
            case .transaction(let logged) = entry.payload, logged.contentDigest == transaction.contentDigest,
            entry.index == receipt.index, entry.outcome == receipt.outcome
        else { throw Self.mismatch(transaction, "a retry receipt whose logged entry is another transaction or outcome") }
    }

    private static func mismatch(_ transaction: Transaction, _ what: String) -> ClientError {
        ClientError(code: "receipt_mismatch", "the node answered transaction \(transaction.id) with \(what); not accepted")
    }

    /// Signs `operations` with `keys` under a fresh id and submits them.
    public func sign(_ operations: [LedgerOperation], keys: [SigningKey], id: TransactionID = .random()) throws -> Transaction {
        try Transaction(id: id, operations: operations).signed(by: keys, origin: origin)
    }

    // MARK: Reads

    public func ledger() throws -> LedgerView { try decode(LedgerView.self, try get("/v1/ledger")) }
    /// The durable state's size and digest as the node says (not verified: an
    /// audit that replays to the same size must reach the same digest).
    public func state() throws -> StateView { try decode(StateView.self, try get("/v1/state")) }
    /// The node's reserve report (not verified: `ReserveVerifier` checks it against an audited log).
    public func reserves() throws -> ReservesView { try decode(ReservesView.self, try get("/v1/reserves")) }
    /// A holder's liabilities proof as the node serves it (check it with
    /// `ReserveVerifier`). The node serves it only to the holder: the request
    /// is signed here, now, by `key`, one of the account's controllers.
    public func liabilityProof(_ account: AccountID, key: SigningKey, now: Timestamp = KhataClient.now()) throws -> LiabilityProofView {
        let request = HolderProofRequest(account: account, resource: .reserves, time: now, signedBy: key, origin: origin)
        return try decode(LiabilityProofView.self, try get("/v1/reserves/proof/\(account.hex)?\(request.query)"))
    }
    public func account(_ id: AccountID) throws -> AccountView { try decode(AccountView.self, try get("/v1/accounts/\(id.hex)")) }
    public func asset(_ code: AssetCode) throws -> AssetView { try decode(AssetView.self, try get("/v1/assets/\(code)")) }
    /// Every asset, read a page of 1,000 at a time.
    public func assets() throws -> [AssetView] {
        try listing { after in
            try decode([AssetView].self, try get("/v1/assets?limit=1000" + (after.map { "&after=\($0)" } ?? "")))
        } code: {
            $0.code
        }
    }

    /// Every item of a listing by asset code, page after page (`after` the
    /// last code seen) until a short page; a page that does not move past
    /// `after` (a node that ignores it) is an error, not a loop.
    func listing<Item>(_ page: (AssetCode?) throws -> [Item], code: (Item) -> AssetCode) throws -> [Item] {
        var items: [Item] = []
        var after: AssetCode?
        while true {
            let next = try page(after)
            if let after, let first = next.first, code(first) <= after {
                throw ClientError(status: 0, code: "bad_listing", "the node listed \(code(first)) after \(after): it does not page by code")
            }
            items += next
            guard next.count == Limits.maxPageEntries, let last = next.last else { return items }
            after = code(last)
        }
    }

    /// The node's current checkpoint, verified: the ledger's signature, the witness
    /// quorum, and consistency with the last checkpoint this client accepted.
    @discardableResult
    public func checkpoint() throws -> SignedCheckpoint {
        let response = try get("/log/checkpoint")
        let signed: SignedCheckpoint
        do {
            signed = try SignedCheckpoint(
                note: String(decoding: response.body, as: UTF8.self), logKey: ledgerKey, witnesses: witnesses, quorum: quorum)
        } catch {
            throw ClientError(code: "bad_checkpoint", "the node's checkpoint does not verify: \(error)")
        }
        try accept(signed)
        return signed
    }

    /// A transaction's receipt, verified: the entry's bytes hash to the leaf, decode
    /// to this transaction with this outcome, and are included in a verified checkpoint.
    /// Throws `not_yet_covered` while no published checkpoint covers it.
    public func verifiedReceipt(_ id: TransactionID) throws -> (Receipt, Entry, Checkpoint) {
        let view = try decode(TransactionView.self, try get("/v1/transactions/\(id.hex)"))
        guard let inclusion = view.inclusion else { throw ClientError(code: "not_yet_covered", "no published checkpoint covers \(id) yet") }
        let entry = try verifiedEntry(view.entry, inclusion)
        guard case .transaction(let transaction) = entry.payload, transaction.id == id,
            entry.outcome == view.receipt.outcome, entry.index == view.receipt.index, view.receipt.leafHash == view.entry.leafHash
        else { throw ClientError(code: "bad_receipt", "the receipt for \(id) does not match its logged entry") }
        return (view.receipt, entry, try Checkpoint(text: try SignedNote(parsing: inclusion.checkpoint).text))
    }

    /// Waits (polling) until a published checkpoint covers the transaction, then verifies it.
    public func waitForVerifiedReceipt(_ id: TransactionID, timeout: TimeInterval = 10) throws -> (Receipt, Entry, Checkpoint) {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            do { return try verifiedReceipt(id) } catch let error as ClientError where error.code == "not_yet_covered" && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// An account's history, each entry verified as included in a verified checkpoint.
    public func verifiedHistory(_ id: AccountID, limit: Int = 20) throws -> [Entry] {
        let page = try decode(EntryPage.self, try get("/v1/accounts/\(id.hex)/entries?limit=\(limit)"))
        return try page.entries.map { view in
            let proof = try decode(InclusionProofView.self, try get("/v1/proofs/inclusion?index=\(view.index.value)"))
            return try verifiedEntry(view, proof)
        }
    }

    // MARK: Verification

    private func verifiedEntry(_ view: EntryView, _ inclusion: InclusionProofView) throws -> Entry {
        guard let bytes = Hex.decode(view.bytes) else { throw ClientError(code: "bad_entry", "the entry's bytes are not hex") }
        let leaf = RFC6962.leafHash(bytes)
        guard leaf == view.leafHash, leaf == inclusion.leafHash else {
            throw ClientError(code: "bad_entry", "the entry does not hash to its leaf hash")
        }
        let signed: SignedCheckpoint
        do {
            signed = try SignedCheckpoint(note: inclusion.checkpoint, logKey: ledgerKey, witnesses: witnesses, quorum: quorum)
        } catch {
            throw ClientError(code: "bad_checkpoint", "the proof's checkpoint does not verify: \(error)")
        }
        try accept(signed)
        let path = try inclusion.proof.map { text -> Digest32 in
            guard let hash = Base64.decode(text).flatMap({ Digest32(bytes: $0) }) else {
                throw ClientError(code: "bad_proof", "a proof hash is not base64")
            }
            return hash
        }
        do {
            try MerkleTree.verifyInclusion(
                leafHash: leaf, index: view.index.value, size: signed.checkpoint.size, proof: path, root: signed.checkpoint.root)
        } catch {
            throw ClientError(code: "bad_proof", "entry \(view.index) is not included in the checkpoint: \(error)")
        }
        let entry: Entry
        do { entry = try Entry(decoding: bytes) } catch { throw ClientError(code: "bad_entry", "entry \(view.index) does not decode: \(error)") }
        guard entry.index == view.index else { throw ClientError(code: "bad_entry", "the entry says it is \(entry.index), not \(view.index)") }
        return entry
    }

    /// Accepts a verified checkpoint if it is consistent with the last one accepted.
    /// Accepts `signed` if it is consistent with the last checkpoint this client
    /// (or, with a `checkpointFile`, any client sharing that file, in any
    /// process, in any earlier run) accepted. Every checkpoint accepted is a
    /// prefix of `trusted` or `trusted` itself: a new one is proved against a
    /// snapshot of `trusted` and stored only if that is still `trusted` and the
    /// file still holds what this client last saw there (under the lock, and an
    /// exclusive `flock` of the file). When another client moved the file on,
    /// what it stored is proved against `trusted` too, and the larger of the
    /// two is kept, before trying again. So neither threads nor processes can
    /// store a checkpoint that was not proved consistent with every other.
    private func accept(_ signed: SignedCheckpoint) throws {
        while true {
            let (last, inFile) = try lock.withLock { () throws -> (SignedCheckpoint?, Checkpoint?) in
                if let checkpointFile, !fileRead {
                    trusted = try CheckpointFile.read(checkpointFile, logKey: ledgerKey)
                    fileHolds = trusted?.checkpoint
                    fileRead = true
                }
                return (trusted, fileHolds)
            }
            if let last { try proveConsistent(between: last.checkpoint, and: signed.checkpoint) }
            let best = last.map { signed.checkpoint.size > $0.checkpoint.size ? signed : $0 } ?? signed
            let moved = try lock.withLock { () throws -> SignedCheckpoint?? in
                guard trusted?.checkpoint == last?.checkpoint, fileHolds == inFile else { return .none }  // changed meanwhile: again
                if let checkpointFile, best.checkpoint != inFile {
                    if case .moved(let other) = try CheckpointFile.replace(checkpointFile, expected: inFile, with: best, logKey: ledgerKey) {
                        fileHolds = other.checkpoint
                        return .some(other)
                    }
                    fileHolds = best.checkpoint
                }
                trusted = best
                return .some(nil)
            }
            guard let moved else { continue }
            guard let other = moved else { return }
            // Another client stored `other`: it must be consistent with what this one trusts.
            if let last { try proveConsistent(between: last.checkpoint, and: other.checkpoint) }
            lock.withLock {
                if trusted?.checkpoint == last?.checkpoint, other.checkpoint.size > (last?.checkpoint.size ?? 0) { trusted = other }
            }
        }
    }

    private func proveConsistent(between a: Checkpoint, and b: Checkpoint) throws {
        guard a != b else { return }
        try a.size <= b.size ? proveConsistent(a, b) : proveConsistent(b, a)
    }

    private func proveConsistent(_ old: Checkpoint, _ new: Checkpoint) throws {
        let proof: [Digest32]
        if old.size == new.size {
            proof = []
        } else {
            let view = try decode(ConsistencyProofView.self, try get("/v1/proofs/consistency?old=\(old.size)&new=\(new.size)"))
            proof = view.proof.compactMap { Base64.decode($0).flatMap { Digest32(bytes: $0) } }
            guard proof.count == view.proof.count else { throw ClientError(code: "inconsistent", "a consistency proof hash is not base64") }
        }
        do {
            try MerkleTree.verifyConsistency(oldSize: old.size, newSize: new.size, oldRoot: old.root, newRoot: new.root, proof: proof)
        } catch {
            throw ClientError(
                code: "inconsistent",
                "the node showed checkpoints of \(old.size) and \(new.size) entries that are not consistent (a fork, or a rollback): \(error)")
        }
    }

    // MARK: HTTP

    /// GETs `path` from the node; a non-2xx answer is a `ClientError`. For
    /// what has no typed method (the load generator reads `/metrics`).
    public func get(_ path: String) throws -> BlockingHTTP.Response {
        try check(try BlockingHTTP.request("GET", baseURL + path, timeout: timeout))
    }

    func post(_ path: String, _ body: [UInt8], type: String) throws -> BlockingHTTP.Response {
        try check(try BlockingHTTP.request("POST", baseURL + path, body: body, headers: ["Content-Type": type], timeout: timeout))
    }

    private func check(_ response: BlockingHTTP.Response) throws -> BlockingHTTP.Response {
        guard (200..<300).contains(response.status) else {
            struct Problem: Decodable {
                let code: String
                let detail: String
                let operation: UInt16?
            }
            if let problem = try? JSONDecoder().decode(Problem.self, from: Data(response.body)) {
                var error = ClientError(status: response.status, code: problem.code, problem.detail)
                error.operation = problem.operation
                throw error
            }
            throw ClientError(status: response.status, code: "http_\(response.status)", String(decoding: response.body.prefix(300), as: UTF8.self))
        }
        return response
    }

    private func decode<T: Decodable>(_ type: T.Type, _ response: BlockingHTTP.Response) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(response.body)) } catch {
            throw ClientError(code: "bad_response", "the node's answer is not a \(type): \(error)")
        }
    }
}

/// What went wrong talking to a node: its problem code and detail, or what the
/// client refused to believe.
public struct ClientError: Error, CustomStringConvertible, Sendable {
    public let status: Int?
    public let code: String
    public let message: String
    /// The operation at fault, when the node refused a transaction.
    public var operation: UInt16?

    public init(status: Int? = nil, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { status.map { "HTTP \($0) \(code): \(message)" } ?? "\(code): \(message)" }
}
