/// Input that cannot be a valid Khata encoding or request: truncated, oversized,
/// of an unknown version or tag, or violating a rule that needs no ledger state.
///
/// Malformed input is refused before sequencing, so it never reaches the log and
/// changes nothing. `code` is stable (it becomes part of API error codes);
/// `message` says what was wrong in words a person can act on.
public struct MalformedInput: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let truncated = Code(rawValue: "truncated")
        public static let trailingBytes = Code(rawValue: "trailing_bytes")
        public static let limitExceeded = Code(rawValue: "limit_exceeded")
        public static let unknownVersion = Code(rawValue: "unknown_version")
        public static let unknownTag = Code(rawValue: "unknown_tag")
        public static let invalidValue = Code(rawValue: "invalid_value")
        public static let nonCanonical = Code(rawValue: "non_canonical")
        public static let badSignature = Code(rawValue: "bad_signature")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
