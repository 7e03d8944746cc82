import Dispatch
import Hummingbird
import KhataCore
import KhataEd25519
import KhataEngine
import KhataVerify
import NIOCore
import Synchronization

/// What one client may ask of the node, so that no client (or crowd of
/// clients) takes the node from everyone else. docs/OPERATIONS.md lists each
/// limit with its setting in `khata.json`.
///
/// - Connections: at most `connectionsPerClient` open from one address (more
///   are closed as they arrive); the server as a whole stops accepting at
///   `NodeConfiguration.maxConnections`. A connection that sends nothing for
///   the idle timeout — before its request's head is complete, between parts of
///   its body, or between requests — is closed.
/// - Requests: `requestsPerSecond` from one address, whatever they are.
/// - Signature checks: `signaturesPerSecond` from one address, counted before
///   any is checked, so unauthenticated bodies cost a client its own budget.
/// - Account operations: `accountOperationsPerSecond` `create_account`,
///   `change_controllers` and `close_account` operations from one address.
///   Anyone may open an account under keys of their own (the keys sign for
///   themselves); this bounds how fast a client without value at stake can make
///   the state and the log grow.
/// - Transactions per key: each signer key may sign `transactionsPerKeyPerSecond`
///   transactions (a second's worth at once), from whatever addresses; counted
///   once the signatures are verified, so only the key's holder can spend it.
/// - Rejections: each signer key may have `rejectionsPerKeyPerSecond` of its
///   transactions logged as rejected; a key that has spent them gets 429 until
///   it has earned one back. Transactions whose signers are not enough are
///   refused before the log, so with these a client can add to the log only
///   what its accounts' operations and value allow.
///
/// Every refusal is 429 with Retry-After, problem code `rate_limited`.
public final class ClientLimits: Sendable {
    public struct Settings: Sendable, Equatable {
        public var connectionsPerClient = 128
        public var requestsPerSecond = 20_000.0
        public var signaturesPerSecond = 20_000.0
        public var accountOperationsPerSecond = 20.0
        /// Account operations one address may submit at once, before the rate applies.
        public var accountOperationsBurst = 200.0
        public var transactionsPerKeyPerSecond = 20_000.0
        public var rejectionsPerKeyPerSecond = 100.0
        public var rejectionsPerKeyBurst = 1_000.0
        public init() {}
    }

    public let settings: Settings
    /// Monotonic nanoseconds; tests replace it.
    let clock: @Sendable () -> UInt64
    private let requests: RateLimiter<String>
    private let signatures: RateLimiter<String>
    private let accountChanges: RateLimiter<String>
    private let keyTransactions: RateLimiter<PublicKey>
    private let rejections: RateLimiter<PublicKey>
    private let connections = Mutex<[String: Int]>([:])

    public init(_ settings: Settings, clock: @escaping @Sendable () -> UInt64 = ClientLimits.monotonicNanoseconds) {
        self.settings = settings
        self.clock = clock
        requests = RateLimiter(rate: settings.requestsPerSecond, clock: clock)
        signatures = RateLimiter(rate: settings.signaturesPerSecond, clock: clock)
        keyTransactions = RateLimiter(rate: settings.transactionsPerKeyPerSecond, clock: clock)
        accountChanges = RateLimiter(rate: settings.accountOperationsPerSecond, burst: settings.accountOperationsBurst, clock: clock)
        rejections = RateLimiter(
            rate: settings.rejectionsPerKeyPerSecond, burst: settings.rejectionsPerKeyBurst,
            maxDebt: settings.rejectionsPerKeyPerSecond * 3_600, clock: clock)
    }

    /// Monotonic nanoseconds (the system's uptime clock).
    public static func monotonicNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The key a client's budgets are kept under: its IPv4 address, or the /64
    /// prefix of its IPv6 address (one subscriber's usual allocation; keyed by
    /// the whole address, one IPv6 client would have 2^64 budgets).
    static func client(_ address: SocketAddress?) -> String {
        guard let address else { return "local" }
        guard case .v6(let v6) = address else { return address.ipAddress ?? "local" }
        let prefix = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0.prefix(8)) }
        if prefix == [0, 0, 0, 0, 0, 0, 0, 0] { return address.ipAddress ?? "local" }  // v4-mapped and loopback: the whole address
        return prefix.map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    // MARK: Budgets

    /// Counts one request from `client`.
    func admitRequest(from client: String) throws {
        if let wait = requests.take(1, for: client) {
            throw Self.limited("this address sends more than \(Int(settings.requestsPerSecond)) requests a second", wait)
        }
    }

    /// Counts `count` signature checks asked by `client` (429 beyond its budget).
    func admitSignatureChecks(_ count: Int, from client: String) throws {
        if let wait = signatures.take(count, for: client) {
            throw Self.limited("this address asks for more than \(Int(settings.signaturesPerSecond)) signature checks a second", wait)
        }
    }

    /// Counts what a submission will cost before any of it is checked: its
    /// signature checks and its account operations, against `client`'s budgets.
    func admitSubmission(_ transactions: [Transaction], from client: String) throws {
        try admitSignatureChecks(transactions.reduce(0) { $0 + $1.signatures.count }, from: client)
        let accountOperations = transactions.reduce(0) { count, transaction in
            count + transaction.operations.count { Self.isAccountOperation($0) }
        }
        if accountOperations > 0, let wait = accountChanges.take(accountOperations, for: client) {
            throw Self.limited(
                "this address opens, rekeys or closes more than \(Int(settings.accountOperationsPerSecond)) accounts a second "
                    + "(\(Int(settings.accountOperationsBurst)) at once)",
                wait)
        }
    }

    /// Counts each signer key's transactions, once its signatures are verified
    /// (so nobody can spend the budget of a key they do not hold): 429 when a
    /// key has spent its transactions or owes rejections.
    func admitSigners(of transactions: [VerifiedTransaction]) throws {
        var perKey: [PublicKey: Int] = [:]
        for verified in transactions {
            for signature in verified.transaction.signatures { perKey[signature.key, default: 0] += 1 }
        }
        for (key, count) in perKey.sorted(by: { $0.key < $1.key }) {
            if let wait = rejections.take(0, for: key) {
                throw Self.limited("key \(key) has had too many transactions rejected lately", wait)
            }
            if let wait = keyTransactions.take(count, for: key) {
                throw Self.limited("key \(key) signs more than \(Int(settings.transactionsPerKeyPerSecond)) transactions a second", wait)
            }
        }
    }

    /// Charges each signer of a transaction the log rejected. The check before
    /// sequencing lets requests already in flight through, so a key may run
    /// into debt (up to an hour of its allowance) and is refused until it has
    /// paid it back: over time a key's rejections never pass its rate. (A
    /// transaction whose id another body took is refused before the log, so it
    /// is never a rejection and never charged.)
    func recordRejections(_ results: [SubmissionResult], of transactions: [Transaction]) {
        for (result, transaction) in zip(results, transactions) {
            guard let receipt = result.receipt, !receipt.isRetry, !receipt.outcome.isCommitted else { continue }
            for key in transaction.signers { rejections.charge(1, for: key) }
        }
    }

    /// The operations that open, rekey or close an account: those by which a
    /// client with no value at stake makes the state and the log grow.
    static func isAccountOperation(_ operation: LedgerOperation) -> Bool {
        switch operation {
        case .createAccount, .changeControllers, .closeAccount: true
        default: false
        }
    }

    private static func limited(_ what: String, _ wait: Int) -> Problem {
        Problem(429, "rate_limited", "\(what); retry in \(wait) s", retryAfter: wait)
    }

    // MARK: Connections

    /// Counts a connection from `client`; false (and not counted) if it has its fill.
    func openConnection(from client: String) -> Bool {
        connections.withLock { counts in
            let open = counts[client, default: 0]
            guard open < settings.connectionsPerClient else { return false }
            counts[client] = open + 1
            return true
        }
    }

    func closeConnection(from client: String) {
        connections.withLock { counts in
            let open = counts[client, default: 0]
            precondition(open > 0, "ClientLimits.closeConnection: no connection from \(client) is open")
            counts[client] = open > 1 ? open - 1 : nil
        }
    }

    /// Connections open from `client` now.
    func openConnections(from client: String) -> Int { connections.withLock { $0[client, default: 0] } }

    /// A channel handler that counts its connection against its client's
    /// `connectionsPerClient` and closes it at once when the client has its fill.
    func connectionGate() -> any RemovableChannelHandler { ConnectionGate(limits: self) }
}

/// Counts one connection for `ClientLimits` while it is open.
private final class ConnectionGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let limits: ClientLimits
    private var counted: String?

    init(limits: ClientLimits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) {
        let client = ClientLimits.client(context.channel.remoteAddress)
        guard limits.openConnection(from: client) else {
            context.close(promise: nil)
            return
        }
        counted = client
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let counted { limits.closeConnection(from: counted) }
        counted = nil
    }
}

/// Counts every request against its client's request budget (429 beyond it).
struct ClientLimitMiddleware: RouterMiddleware {
    let limits: ClientLimits

    func handle(
        _ request: Request, context: NodeRequestContext, next: (Request, NodeRequestContext) async throws -> Response
    ) async throws -> Response {
        try limits.admitRequest(from: ClientLimits.client(context.remoteAddress))
        return try await next(request, context)
    }
}
