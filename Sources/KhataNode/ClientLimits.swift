import Dispatch
import Hummingbird
import KhataCore
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
/// - New accounts: `newAccountsPerSecond` `create_account` operations from one
///   address. Anyone may open an account under keys of their own (the keys sign
///   for themselves); this is what bounds how fast a client without standing
///   can make the state grow.
/// - Rejections: each signer key may have `rejectionsPerKeyPerSecond` of its
///   transactions logged as rejected; a key that has spent them gets 429 until
///   it has earned one back. Committed transactions cost nothing, and
///   transactions whose signers are not enough are refused before the log, so
///   together these bound what a client can add to the log without moving value.
///
/// Every refusal is 429 with Retry-After, problem code `rate_limited`.
public final class ClientLimits: Sendable {
    public struct Settings: Sendable, Equatable {
        public var connectionsPerClient = 128
        public var requestsPerSecond = 20_000.0
        public var signaturesPerSecond = 20_000.0
        public var newAccountsPerSecond = 20.0
        /// New accounts one address may open at once, before the rate applies.
        public var newAccountsBurst = 200.0
        public var rejectionsPerKeyPerSecond = 100.0
        public var rejectionsPerKeyBurst = 1_000.0
        public init() {}
    }

    public let settings: Settings
    private let requests: RateLimiter<String>
    private let signatures: RateLimiter<String>
    private let newAccounts: RateLimiter<String>
    private let rejections: RateLimiter<PublicKey>
    private let connections = Mutex<[String: Int]>([:])

    public init(_ settings: Settings, clock: @escaping @Sendable () -> UInt64 = ClientLimits.monotonicNanoseconds) {
        self.settings = settings
        requests = RateLimiter(rate: settings.requestsPerSecond, clock: clock)
        signatures = RateLimiter(rate: settings.signaturesPerSecond, clock: clock)
        newAccounts = RateLimiter(rate: settings.newAccountsPerSecond, burst: settings.newAccountsBurst, clock: clock)
        rejections = RateLimiter(rate: settings.rejectionsPerKeyPerSecond, burst: settings.rejectionsPerKeyBurst, clock: clock)
    }

    /// Monotonic nanoseconds (the system's uptime clock).
    public static func monotonicNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The key a client's budgets are kept under: its IP address.
    static func client(_ address: SocketAddress?) -> String { address?.ipAddress ?? "local" }

    // MARK: Budgets

    /// Counts one request from `client`.
    func admitRequest(from client: String) throws {
        if let wait = requests.take(1, for: client) {
            throw Self.limited("this address sends more than \(Int(settings.requestsPerSecond)) requests a second", wait)
        }
    }

    /// Counts what a submission will cost before any of it is done: its
    /// signatures, its new accounts, and whether a signer has spent its rejections.
    func admitSubmission(_ transactions: [Transaction], from client: String) throws {
        let signatureCount = transactions.reduce(0) { $0 + $1.signatures.count }
        if let wait = signatures.take(signatureCount, for: client) {
            throw Self.limited("this address asks for more than \(Int(settings.signaturesPerSecond)) signature checks a second", wait)
        }
        let opened = transactions.reduce(0) { count, transaction in
            count + transaction.operations.count { if case .createAccount = $0 { true } else { false } }
        }
        if opened > 0, let wait = newAccounts.take(opened, for: client) {
            throw Self.limited(
                "this address opens more than \(Int(settings.newAccountsPerSecond)) accounts a second (\(Int(settings.newAccountsBurst)) at once)",
                wait)
        }
        for transaction in transactions {
            for key in transaction.signers {
                if let wait = rejections.take(0, for: key) {
                    throw Self.limited("key \(key) has had too many transactions rejected lately", wait)
                }
            }
        }
    }

    /// Charges each signer of a transaction the log rejected.
    func recordRejections(_ results: [SubmissionResult], of transactions: [Transaction]) {
        for (result, transaction) in zip(results, transactions) {
            guard let receipt = result.receipt, !receipt.isRetry, !receipt.outcome.isCommitted else { continue }
            for key in transaction.signers { rejections.charge(1, for: key) }
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
