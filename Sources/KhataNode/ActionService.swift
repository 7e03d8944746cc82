import Foundation
import KhataAPI
import KhataBytes
import KhataCore
import KhataEd25519
import KhataEngine
import KhataFiles
import KhataLiabilities
import KhataVerify
import Logging
import ServiceLifecycle

/// Carries every open corporate action through (docs/STOCKCHAIN.md, "Settlement").
///
/// For each open action, oldest first, with the ledger key:
/// 1. it computes the record-date register (from the instrument's holdings and
///    the action's saved holdings, taken between two batches in O(pages); sorted
///    on its own thread), keeps it in `registers/<id>.register` in the ledger
///    directory, builds its Merkle-sum tree and logs a `commit_register`, which
///    the state machine checks against the outstanding amount at the record date;
/// 2. for a payable action, it logs `settle_action` transactions of at most
///    `ActionSettlement.holdersPerEntry` holders each, in ascending order, until the
///    action completes. Each is an ordinary transaction through the write path,
///    so other transactions interleave and none waits behind a whole dividend.
///
/// It keeps the registers it computed and the trees of recent actions in
/// memory; a proof for an older action rebuilds its tree from the file.
public final class ActionService: Service, @unchecked Sendable {
    private let sequencer: Sequencer
    private let origin: String
    private let ledgerKey: SigningKey?
    private let saltKey: [UInt8]
    private let directory: String?
    private let logger: Logger
    private let idle: Duration
    private let lock = NSLock()
    private var registers: [UInt64: [RegisterEntry]] = [:]
    private var trees: [UInt64: LiabilityTree] = [:]
    private var treeOrder: [UInt64] = []
    private static let keptTrees = 4
    /// Actions whose last step failed, and when to try them again: one that
    /// cannot progress (its tree cannot be built, its settlement is rejected)
    /// waits a minute and never holds up the others.
    private var backoff: [UInt64: ContinuousClock.Instant] = [:]
    private static let retryAfter: Duration = .seconds(60)
    /// One tree built at a time for proofs: a burst of requests cannot start many.
    private let treeBuild = NSLock()

    /// `ledgerKey` nil: the node cannot sign, so it settles nothing (only the
    /// ledger key settles). `directory`: where register files are kept (nil: memory only).
    public init(
        sequencer: Sequencer, origin: String, ledgerKey: SigningKey?, directory: String?, logger: Logger, idle: Duration = .milliseconds(250)
    ) {
        self.sequencer = sequencer
        self.origin = origin
        self.ledgerKey = ledgerKey
        self.saltKey = LiabilityHashing.saltKey(ledgerSeed: ledgerKey?.seed ?? [])
        self.directory = directory
        self.logger = logger
        self.idle = idle
    }

    public var canSign: Bool { ledgerKey != nil }

    // MARK: Service

    public func run() async throws {
        // A service that returned would end the node's group: without a key it waits for the stop.
        guard ledgerKey != nil else { return try await gracefulShutdown() }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let worked: Bool
            do { worked = try await step() } catch {
                if Task.isShuttingDownGracefully { return }
                logger.error("corporate action step failed", metadata: ["error": "\(error)"])
                worked = false
            }
            if !worked { try? await Task.sleep(for: idle) }
        }
    }

    /// Does the next piece of work, if any: commits a register, or settles a
    /// chunk of holders. False when every open action is committed and settled.
    public func step() async throws -> Bool {
        guard let key = ledgerKey else { return false }
        let open = sequencer.read { ledger in
            ledger.state.securities.openActions.values.joined().sorted().map { ledger.state.securities.actions[$0]! }
        }
        // Registers kept for settling are let go once their action is done (proofs read the file).
        let openIDs = Set(open.map(\.id))
        lock.withLock { registers = registers.filter { openIDs.contains($0.key) || trees[$0.key] != nil } }
        let now = ContinuousClock.now
        for action in open where lock.withLock({ backoff[action.id].map { $0 <= now } ?? true }) {
            do {
                if action.register == nil {
                    try await commitRegister(of: action.id, key: key)
                    return true
                }
                if action.declaration.terms.ballot == nil, let accounts = try await nextHolders(of: action) {
                    try await submit(
                        .settleAction(SettleAction(action: action.id, accounts: accounts)), key: key, what: "settlement of action \(action.id)")
                    return true
                }
            } catch {
                if Task.isShuttingDownGracefully { throw error }
                lock.withLock { backoff[action.id] = .now + Self.retryAfter }
                logger.error("corporate action step failed; retrying it in a minute", metadata: ["action": "\(action.id)", "error": "\(error)"])
                return true
            }
        }
        return false
    }

    // MARK: What the API reads

    /// The register of action `id`'s tree and the proof of `account` in it; nil
    /// if the register is not known here (not committed by this node, or its file is gone).
    public func proof(action id: UInt64, account: AccountID, recordDate: LeafIndex, asset: AssetCode) async throws -> LiabilityProof?? {
        if let tree = lock.withLock({ trees[id] }) { return .some(tree.proof(for: account)) }
        guard let entries = try await registerEntries(action: id) else { return .none }
        // Not a holder: answered from the sorted register, without building anything.
        var (low, high) = (0, entries.count)
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].account < account { low = middle + 1 } else { high = middle }
        }
        guard low < entries.count, entries[low].account == account else { return .some(nil) }
        let saltKey = self.saltKey
        let tree = try await onOwnThread { [self] in
            try treeBuild.withLock {
                if let built = lock.withLock({ trees[id] }) { return built }
                return try Self.tree(entries, asset: asset, recordDate: recordDate, saltKey: saltKey)
            }
        }
        keep(tree, for: id)
        return .some(tree.proof(for: account))
    }

    /// Action `id`'s record-date register, ascending by account: in memory, or
    /// read from its file on a thread of its own (never an event loop); nil if
    /// this node does not have it.
    public func registerEntries(action id: UInt64) async throws -> [RegisterEntry]? {
        if let entries = lock.withLock({ registers[id] }) { return entries }
        return try await onOwnThread { [self] in try register(id) }
    }

    // MARK: Steps

    private func commitRegister(of id: UInt64, key: SigningKey) async throws {
        guard let (action, holdings) = sequencer.read({ $0.state.registerSources(of: id) }) else { return }
        let saltKey = self.saltKey
        let started = ContinuousClock.now
        let (entries, tree) = try await cancelWhenGracefulShutdown {
            try await onOwnThread {
                let entries = CorporateAction.register(holdings: holdings, saved: action.saved)
                return (entries, try Self.tree(entries, asset: action.asset, recordDate: action.recordDate, saltKey: saltKey))
            }
        }
        lock.withLock { registers[id] = entries }
        try save(entries, of: action)
        keep(tree, for: id)
        let commit = CommitRegister(action: id, total: Amount(tree.total), leafCount: tree.leafCount, root: tree.root)
        try await submit(.commitRegister(commit), key: key, what: "register of action \(id)")
        logger.info(
            "register committed",
            metadata: [
                "action": "\(id)", "asset": "\(action.asset)", "holders": "\(entries.count)", "total": "\(tree.total)",
                "seconds": "\(started.duration(to: .now))",
            ])
    }

    /// The next holders to settle after the action's cursor, or nil when none is left.
    private func nextHolders(of action: CorporateAction) async throws -> [AccountID]? {
        let entries: [RegisterEntry]
        if let known = try register(action.id) {
            entries = known
        } else {
            guard let (current, holdings) = sequencer.read({ $0.state.registerSources(of: action.id) }) else { return nil }
            entries = try await onOwnThread { CorporateAction.register(holdings: holdings, saved: current.saved) }
            lock.withLock { registers[action.id] = entries }
        }
        var start = 0
        if let cursor = action.cursor {
            var (low, high) = (0, entries.count)
            while low < high {
                let middle = (low + high) / 2
                if entries[middle].account <= cursor { low = middle + 1 } else { high = middle }
            }
            start = low
        }
        guard start < entries.count else { return nil }
        return entries[start..<min(entries.count, start + ActionSettlement.holdersPerEntry)].map(\.account)
    }

    private func submit(_ operation: LedgerOperation, key: SigningKey, what: String) async throws {
        let transaction = try Transaction(id: .random(), operations: [operation]).signed(by: [key], origin: origin)
        let verified = try SignatureVerifier.verify([transaction], origin: origin)[0].get()
        let result = try await sequencer.submit([verified])[0]
        guard let receipt = result.receipt, receipt.outcome == .committed else {
            throw ServiceFailure("\(what) not committed: \(result)")
        }
    }

    // MARK: Registers and trees

    /// The register's Merkle-sum tree: the liabilities tree of docs/RESERVES.md
    /// with the instrument as asset and the record date's index as `as_of`.
    public static func tree(_ entries: [RegisterEntry], asset: AssetCode, recordDate: LeafIndex, saltKey: [UInt8]) throws -> LiabilityTree {
        var book = HoldingBook(asset: asset)
        for entry in entries { book.set(entry.account, posted: Int128(entry.units)) }
        return try LiabilityTree.build(holdings: book.view, asOf: recordDate.value, saltKey: saltKey)
    }

    private func keep(_ tree: LiabilityTree, for id: UInt64) {
        lock.withLock {
            if trees[id] == nil { treeOrder.append(id) }
            trees[id] = tree
            while treeOrder.count > Self.keptTrees {
                let evicted = treeOrder.removeFirst()
                trees[evicted] = nil
                registers[evicted] = nil  // read again from its file when asked
            }
        }
    }

    private func path(_ id: UInt64) -> String? { directory.map { "\($0)/\(id).register" } }

    /// The register of action `id`: in memory, or read from its file.
    private func register(_ id: UInt64) throws -> [RegisterEntry]? {
        if let entries = lock.withLock({ registers[id] }) { return entries }
        guard let path = path(id), let data = FileManager.default.contents(atPath: path) else { return nil }
        let entries = try RegisterFile.decode(Array(data), action: id)
        lock.withLock { registers[id] = entries }
        return entries
    }

    private func save(_ entries: [RegisterEntry], of action: CorporateAction) throws {
        guard let directory else { return }
        try RegisterFile.save(entries, action: action.id, in: directory)
    }
}

struct ServiceFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A register kept by the node to serve proofs after the action completes
/// (docs/OPERATIONS.md, "The ledger directory"): `KRG1 ‖ u64 action ‖ u32 n ‖
/// n × (16-byte account ‖ u64 units)`, ascending by account.
public enum RegisterFile {
    static let magic = Array("KRG1".utf8)

    /// Writes action `id`'s register to `directory/<id>.register`, atomically.
    public static func save(_ entries: [RegisterEntry], action id: UInt64, in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try AtomicFile.write(encode(entries, action: id), to: "\(directory)/\(id).register")
    }

    static func encode(_ entries: [RegisterEntry], action: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + entries.count * 24)
        writer.write(bytes: magic)
        writer.write(action)
        writer.write(UInt32(entries.count))
        for entry in entries {
            writer.write(id: entry.account)
            writer.write(entry.units)
        }
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8], action: UInt64) throws -> [RegisterEntry] {
        var reader = ByteReader(bytes)
        guard Array(try reader.readBytes(4, "magic")) == magic, try reader.readUInt64("action") == action else {
            throw MalformedInput(.invalidValue, "not the register file of action \(action)")
        }
        let count = try reader.readUInt32("count")
        guard Int(count) <= reader.remaining / 24 else { throw MalformedInput(.truncated, "register file of action \(action) is short") }
        var entries: [RegisterEntry] = []
        entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            entries.append(RegisterEntry(account: try reader.readID(AccountID.self, "account"), units: try reader.readUInt64("units")))
        }
        try reader.expectEnd("the register file")
        return entries
    }
}
