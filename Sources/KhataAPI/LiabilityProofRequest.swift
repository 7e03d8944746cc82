import KhataBytes
import KhataCore
import KhataEd25519

/// A holder's request for their liabilities proof, signed by one of the
/// account's controller keys (docs/RESERVES.md, docs/PRIVACY.md). A proof
/// carries the holder's balance and the leaf's salt, so the node serves it only
/// to the holder: `GET /v1/reserves/proof/{account}?time=T&key=K&signature=S`.
///
/// The signed bytes are
/// `"khata/liability-proof-request/v1\n" ‖ origin ‖ "\n" ‖ account (32 lowercase hex) ‖ "\n" ‖ T (decimal) ‖ "\n"`,
/// T the request's time in Unix milliseconds; the node accepts it within
/// `maxSkewMilliseconds` of its clock, so a request seen in transit is of no
/// use for long. The domain separator keeps it from being any other signed thing.
public struct LiabilityProofRequest: Sendable, Equatable {
    public static let domain = "khata/liability-proof-request/v1\n"
    /// How far a request's time may be from the node's: five minutes.
    public static let maxSkewMilliseconds: UInt64 = 300_000

    public let account: AccountID
    public let time: Timestamp
    public let key: PublicKey
    public let signature: [UInt8]

    public init(account: AccountID, time: Timestamp, key: PublicKey, signature: [UInt8]) {
        self.account = account
        self.time = time
        self.key = key
        self.signature = signature
    }

    /// A request signed now (`time`) by `key` for `account` on the ledger `origin`.
    public init(account: AccountID, time: Timestamp, signedBy key: SigningKey, origin: String) {
        self.init(
            account: account, time: time, key: key.publicKey,
            signature: key.sign(Self.signingBytes(origin: origin, account: account, time: time)))
    }

    public static func signingBytes(origin: String, account: AccountID, time: Timestamp) -> [UInt8] {
        Array((domain + origin + "\n" + account.hex + "\n" + String(time.milliseconds) + "\n").utf8)
    }

    /// The query string that carries it: `time=…&key=…&signature=…`.
    public var query: String { "time=\(time.milliseconds)&key=\(key.hex)&signature=\(Hex.encode(signature))" }

    /// Whether the signature is `key`'s over this request on `origin`.
    public func isSigned(origin: String) -> Bool {
        key.isValidSignature(signature, for: Self.signingBytes(origin: origin, account: account, time: time))
    }
}
