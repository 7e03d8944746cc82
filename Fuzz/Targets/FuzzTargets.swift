import Foundation
import KhataBytes
import KhataCommands
import KhataCore
import KhataEd25519
import KhataLog
import KhataNode
import KhataTestSupport

/// The parsers of outside bytes, each as a function that must return for every
/// input: no trap, no precondition, no hang. Driven by libFuzzer through
/// `khata-fuzz` (scripts/fuzz), and in `swift test` over every seed and every
/// input that once crashed (`Fuzz/Corpus/<target>/`, `Fuzz/Regressions/<target>/`).
///
/// Where a format is canonical, a target also checks that what decodes
/// re-encodes to the same bytes: two encodings of one thing would let two
/// parties disagree about what was signed or logged.
public enum FuzzTargets {
    /// Every target by name (the corpus folder's name).
    public static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("binary-batch", binaryBatch),
        ("json-transactions", jsonTransactions),
        ("entry", entry),
        ("tile-path", tilePath),
        ("entry-bundle", entryBundle),
        ("signed-note", signedNote),
        ("witness-request", witnessRequest),
        ("tlog-proof", tlogProof),
        ("genesis-file", genesisFile),
        ("node-configuration", nodeConfiguration),
    ]

    public static func target(named name: String) -> (@Sendable ([UInt8]) -> Void)? { all.first { $0.name == name }?.run }

    /// `TransactionBatch.decode`: what it accepts re-encodes to the same bytes,
    /// and each transaction's signatures can be checked without a trap.
    @Sendable static func binaryBatch(_ bytes: [UInt8]) {
        guard let transactions = try? TransactionBatch.decode(bytes) else { return }
        precondition(TransactionBatch.encode(transactions) == bytes, "binary-batch: a decoded batch re-encodes differently")
        for transaction in transactions { _ = try? transaction.verifySignatures(origin: "khata.fuzz/ledger") }
    }

    /// The node's two JSON readers: the direct one (`decodeTransfersJSON`) and
    /// Foundation's. Whatever the direct one accepts, Foundation reads the same.
    @Sendable static func jsonTransactions(_ bytes: [UInt8]) {
        let fast = Transaction.decodeTransfersJSON(bytes)
        let decoder = JSONDecoder()
        let slow =
            (try? decoder.decode([Transaction].self, from: Data(bytes))).map { ($0, true) }
            ?? (try? decoder.decode(Transaction.self, from: Data(bytes))).map { ([$0], false) }
        if let fast {
            precondition(slow != nil, "json-transactions: the direct reader accepts what JSONDecoder refuses")
            precondition(fast.transactions == slow!.0 && fast.isArray == slow!.1, "json-transactions: the two readers disagree")
        }
    }

    /// `Entry(decoding:)`: a decoded entry re-encodes to the same bytes.
    @Sendable static func entry(_ bytes: [UInt8]) {
        guard let entry = try? Entry(decoding: bytes) else { return }
        precondition(entry.encoded == bytes, "entry: a decoded entry re-encodes differently")
    }

    /// `Tiles.parse` and `Tiles.span`: a parsed path prints back as itself, and
    /// the span of any parsed tile is computed without overflow.
    @Sendable static func tilePath(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let (level, index, width) = Tiles.parse(text) else { return }
        precondition(Tiles.path(level: level, index: index, width: width) == text, "tile-path: a parsed path prints differently")
        if let span = Tiles.span(index: index, width: width) { precondition(span.count == width, "tile-path: a span of the wrong width") }
    }

    /// `Tiles.entries(inBundle:)` and `Tiles.decodeHashes`: bundles re-encode exactly.
    @Sendable static func entryBundle(_ bytes: [UInt8]) {
        if let entries = try? Tiles.entries(inBundle: bytes), entries.allSatisfy({ $0.count <= Limits.maxEntryBytes }) {
            precondition(Tiles.bundle(entries) == bytes, "entry-bundle: a bundle re-encodes differently")
        }
        if let hashes = try? Tiles.decodeHashes(bytes) { precondition(Tiles.encode(hashes) == bytes, "entry-bundle: hashes re-encode differently") }
    }

    /// C2SP signed notes, checkpoints and cosignature lines: parsing, and
    /// verification against a key (which must simply fail).
    @Sendable static func signedNote(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let note = try? SignedNote(parsing: text) {
            _ = try? Checkpoint(text: note.text)
            _ = try? note.verify([fuzzKey.verifierKey])
        }
        _ = try? SignedCheckpoint(note: text, logKey: fuzzKey.verifierKey, witnesses: [witnessKey.verifierKey], quorum: 1)
        for line in text.split(separator: "\n") { _ = try? NoteSignature(line: line) }
        _ = try? NoteVerifierKey(vkey: text)
    }

    /// A tlog-witness `add-checkpoint` request, with its consistency proof,
    /// against a witness that has already seen a checkpoint of the fuzz log.
    @Sendable static func witnessRequest(_ bytes: [UInt8]) {
        let store = MemoryWitnessStore()
        let witness = TlogWitness(signer: witnessKey, logs: [WitnessedLog(origin: fuzzOrigin, keys: [fuzzKey.verifierKey])], store: store)
        _ = try? store.replace(
            origin: fuzzOrigin, expectedSize: 0, with: WitnessRecord(size: 3, root: Digest32(bytes: [UInt8](repeating: 7, count: 32))!), note: "")
        _ = witness.addCheckpoint(bytes, time: 1_767_225_600)
    }

    /// An offline inclusion proof file (c2sp.org/tlog-proof), parsed and checked
    /// against an entry.
    @Sendable static func tlogProof(_ bytes: [UInt8]) {
        guard let proof = try? TlogProof(parsing: String(decoding: bytes, as: UTF8.self)) else { return }
        _ = try? proof.verify(entry: Array(bytes.prefix(64)), logKey: fuzzKey.verifierKey)
    }

    /// `khata init --genesis FILE`'s reader; a genesis it accepts is applied by
    /// the state machine (its operations run with genesis authority).
    @Sendable static func genesisFile(_ bytes: [UInt8]) {
        guard let genesis = try? GenesisFile.genesis(fromJSON: Data(bytes)) else { return }
        let (state, _) = LedgerState.genesis(genesis, time: Timestamp(milliseconds: 1_767_225_600_000))
        precondition(state.invariantViolations().isEmpty, "genesis-file: a genesis breaks an invariant")
        precondition((try? Genesis(decoding: genesis.encoded)) == genesis, "genesis-file: a genesis does not round-trip its encoding")
    }

    /// `khata.json` and the environment over it (the first line of the input, as
    /// `NAME=VALUE`): what loads has every integer in its range.
    @Sendable static func nodeConfiguration(_ bytes: [UInt8]) {
        let split = bytes.firstIndex(of: 0x0a) ?? bytes.endIndex
        let line = String(decoding: bytes[..<split], as: UTF8.self)
        let environment =
            line.split(separator: "=", maxSplits: 1).count == 2
            ? [String(line.split(separator: "=", maxSplits: 1)[0]): String(line.split(separator: "=", maxSplits: 1)[1])] : [:]
        let file = split < bytes.endIndex ? Data(bytes[(split + 1)...]) : nil
        guard let configuration = try? NodeConfiguration.parse(file, environment: environment) else { return }
        _ = configuration.clientLimitSettings
    }

    static let fuzzOrigin = "khata.fuzz/ledger"
    static let fuzzKey = try! NoteSigner(name: fuzzOrigin, key: SigningKey(seed: [UInt8](repeating: 1, count: 32))!, type: .ed25519)
    static let witnessKey = try! NoteSigner(
        name: "khata.fuzz/witness", key: SigningKey(seed: [UInt8](repeating: 2, count: 32))!, type: .cosignatureV1)
}
