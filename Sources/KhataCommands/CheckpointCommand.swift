import ArgumentParser
import Foundation
import KhataAPI
import KhataCore
import KhataEngine
import KhataLog
import KhataNode

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign a checkpoint of the log as it stands, ask the witnesses to cosign it, and print it.",
        discussion: """
            Example:
              khata checkpoint --data ./ledger
              khata checkpoint --data ./ledger --vkey      # print the ledger's verifier key only
            Needs "ledger_key" in DIR/khata.json (`init --dev` sets it). The checkpoint is a C2SP
            signed note (c2sp.org/tlog-checkpoint), stored in the journal and in DIR/checkpoint.
            Writing commands (khata tx …) publish one after every commit by themselves.
            """
    )
    @OptionGroup var ledger: LedgerOptions
    @Flag(help: "Print the ledger's verifier key (C2SP name+keyid+base64) and nothing else.")
    var vkey = false

    func run() throws {
        if vkey {
            let session = try ledger.openForReading()
            return print(try ledgerVerifierKey(origin: session.ledger.origin, key: session.ledger.state.ledgerKey).vkey)
        }
        let session = try ledger.openForWriting()
        guard let signed = try session.publishCheckpoint() else {
            throw CommandFailure("no ledger key is configured: set \"ledger_key\" in \(NodeConfiguration.path(in: ledger.data))")
        }
        print(signed.note.formatted, terminator: "")
    }
}

struct ProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proof",
        abstract: "Print an entry's inclusion proof against the latest signed checkpoint.",
        discussion: """
            Example:
              khata proof 7 --data ./ledger
              khata proof 7 --data ./ledger --out entry-7.tlog-proof
            --out writes an offline proof in the c2sp.org/tlog-proof@v1 format: the audit path and
            the signed (and cosigned) checkpoint, checkable with the entry bytes alone.
            """
    )
    @OptionGroup var ledger: LedgerOptions
    @Argument(help: "The entry's index.")
    var index: UInt64
    @Option(help: ArgumentHelp("Write a .tlog-proof file.", valueName: "file"))
    var out: String?

    func run() throws {
        let session = try ledger.openForReading()
        guard let signed = session.ledger.latestCheckpoint else {
            throw CommandFailure("the ledger has not signed a checkpoint yet; run `khata checkpoint --data \(ledger.data)`")
        }
        let size = signed.checkpoint.size
        guard index < size else {
            throw CommandFailure("entry \(index) is not covered by the latest checkpoint (\(size) entries); run `khata checkpoint` first")
        }
        let journal = session.ledger.journal
        let path = try MerkleTree.inclusionProof(index: index, size: size, reader: journal.hashReader)
        let entry = try journal.entry(at: LeafIndex(index))
        try MerkleTree.verifyInclusion(leafHash: entry.leafHash, index: index, size: size, proof: path, root: signed.checkpoint.root)
        let proof = TlogProof(index: index, path: path, checkpoint: signed.note.formatted)
        if let out {
            try proof.formatted.write(toFile: out, atomically: true, encoding: .utf8)
            print("wrote \(out): entry \(index) in the checkpoint of \(size) entries (\(path.count) hashes)")
        } else {
            print("entry      \(index)")
            print("leaf hash  \(entry.leafHash)")
            print("tree size  \(size)")
            print("root       \(signed.checkpoint.root)")
            print("path       \(path.map(\.hex).joined(separator: "\n           "))")
        }
    }
}
