import KhataBytes
import KhataCore
import KhataEd25519

/// A holder's request for a proof that shows its holding, signed by one of the
/// account's controller keys (docs/RESERVES.md, docs/STOCKCHAIN.md,
/// docs/PRIVACY.md): its liabilities proof
/// (`GET /v1/reserves/proof/{account}?time=T&key=K&signature=S`) or its place in
/// an action's record-date register
/// (`GET /v1/instruments/{code}/holders/{account}/proof?action=ID&time=T&key=K&signature=S`).
/// A proof carries the holder's balance and the leaf's salt, so the node serves
/// it only to the holder.
///
/// The signed bytes are
/// `"khata/proof-request/v2\n" ‖ origin ‖ "\n" ‖ account (32 lowercase hex) ‖ "\n" ‖ T (decimal) ‖ "\n" ‖ resource ‖ "\n"`,
/// T the request's time in Unix milliseconds and resource `reserves` or
/// `instrument CODE action ID`: a request is good for the one proof it names,
/// and the node accepts it within `maxSkewMilliseconds` of its clock, so a
/// request seen in transit (by a proxy, a log) fetches nothing else and is of
/// no use for long. The domain separator keeps it from being any other signed
/// thing.
public struct HolderProofRequest: Sendable, Equatable {
    public static let domain = "khata/proof-request/v2\n"
    /// How far a request's time may be from the node's: five minutes.
    public static let maxSkewMilliseconds: UInt64 = 300_000

    /// The proof a request is for.
    public enum Resource: Sendable, Equatable, CustomStringConvertible {
        /// The account's liabilities proof.
        case reserves
        /// The account's place in the record-date register of action `action` on instrument `instrument`.
        case register(instrument: AssetCode, action: UInt64)

        public var description: String {
            switch self {
            case .reserves: "reserves"
            case .register(let instrument, let action): "instrument \(instrument) action \(action)"
            }
        }
    }

    public let account: AccountID
    public let resource: Resource
    public let time: Timestamp
    public let key: PublicKey
    public let signature: [UInt8]

    public init(account: AccountID, resource: Resource, time: Timestamp, key: PublicKey, signature: [UInt8]) {
        self.account = account
        self.resource = resource
        self.time = time
        self.key = key
        self.signature = signature
    }

    /// A request signed now (`time`) by `key` for `account`'s `resource` on the ledger `origin`.
    public init(account: AccountID, resource: Resource, time: Timestamp, signedBy key: SigningKey, origin: String) {
        self.init(
            account: account, resource: resource, time: time, key: key.publicKey,
            signature: key.sign(Self.signingBytes(origin: origin, account: account, time: time, resource: resource)))
    }

    public static func signingBytes(origin: String, account: AccountID, time: Timestamp, resource: Resource) -> [UInt8] {
        Array((domain + origin + "\n" + account.hex + "\n" + String(time.milliseconds) + "\n" + resource.description + "\n").utf8)
    }

    /// The query string that carries it: `time=…&key=…&signature=…`.
    public var query: String { "time=\(time.milliseconds)&key=\(key.hex)&signature=\(Hex.encode(signature))" }

    /// Whether the signature is `key`'s over this request on `origin`.
    public func isSigned(origin: String) -> Bool {
        key.isValidSignature(signature, for: Self.signingBytes(origin: origin, account: account, time: time, resource: resource))
    }
}
