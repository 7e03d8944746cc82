import Foundation
import KhataAPI
import KhataBytes
import KhataCore
import KhataEd25519
import KhataEngine
import KhataFiles

/// A key file: a JSON object with the key's name, public key and 32-byte seed,
/// written readable by its owner only (mode 0600).
///
/// ```json
/// {"name": "asha", "public_key": "8139…", "seed": "0202…"}
/// ```
public struct KeyFile: Codable, Sendable {
    public var name: String
    public var publicKey: String
    public var seed: String

    enum CodingKeys: String, CodingKey {
        case name
        case publicKey = "public_key"
        case seed
    }

    public init(name: String, key: SigningKey) {
        self.name = name
        publicKey = key.publicKey.hex
        seed = Hex.encode(key.seed)
    }

    public func signingKey(path: String) throws -> SigningKey {
        guard let bytes = Hex.decode(seed), let key = SigningKey(seed: bytes) else {
            throw ConfigurationError("\(path): \"seed\" is not 64 hex digits; the key file is damaged")
        }
        guard key.publicKey.hex == publicKey.lowercased() else {
            throw ConfigurationError("\(path): the seed does not match \"public_key\"; the key file is damaged")
        }
        return key
    }

    /// Reads a key file, refusing one that others may read or write: a seed
    /// readable by another user is a key they hold too.
    public static func read(_ path: String) throws -> KeyFile {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw ConfigurationError("cannot read key file \(path); create one with `khata keys new --out \(path)`")
        }
        let permissions = status.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw ConfigurationError(
                "\(path) has mode \(String(permissions, radix: 8)): others may read the key; make it readable by its owner only with `chmod 600 \(path)`"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read key file \(path); check that it is readable by this user")
        }
        do {
            return try JSONDecoder().decode(KeyFile.self, from: data)
        } catch {
            throw ConfigurationError("\(path) is not a Khata key file: \(describeDecodingError(error))")
        }
    }

    /// Writes the key file with mode 0600 from its first byte, synced with its
    /// directory. Fails if `path` exists, unless `replace` (then the old key is
    /// replaced atomically: whoever reads it sees the old key or the new one).
    public func write(to path: String, replace: Bool = false) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes = Array(try encoder.encode(self) + Data("\n".utf8))
        do {
            if replace {
                try AtomicFile.write(bytes, to: path, mode: 0o600)
            } else {
                try AtomicFile.create(bytes, at: path, mode: 0o600)
            }
        } catch  where error.code == .exists {
            throw ConfigurationError("\(path) already exists; a key file is never overwritten — choose another path (or pass --force)")
        } catch {
            throw ConfigurationError("cannot write \(path): \(error.message)")
        }
    }
}

/// A readable message for a decoding error, naming the field.
/// A configuration file, key file or setting that cannot be used, with what to do about it.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
