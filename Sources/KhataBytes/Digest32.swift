import Crypto

/// A SHA-256 digest.
public struct Digest32: Hashable, Sendable, CustomStringConvertible, Codable {
    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        self.bytes = Array(bytes)
    }

    public static func sha256(_ data: some DataProtocolLike) -> Digest32 {
        Digest32(bytes: data.sha256Bytes())!
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = Hex.decode(text), let digest = Digest32(bytes: bytes) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected 64 hex digits"))
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// Byte containers SHA-256 can read without copying.
public protocol DataProtocolLike {
    func sha256Bytes() -> [UInt8]
}

extension Array: DataProtocolLike where Element == UInt8 {
    public func sha256Bytes() -> [UInt8] { Array(SHA256.hash(data: self)) }
}

extension ArraySlice: DataProtocolLike where Element == UInt8 {
    public func sha256Bytes() -> [UInt8] { Array(SHA256.hash(data: self)) }
}
