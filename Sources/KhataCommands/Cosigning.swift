import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEngine
import KhataLog
import KhataNode

/// Asks the configured witnesses to cosign a newly signed checkpoint, and stores
/// the cosigned note (in the journal and the checkpoint file).
enum Cosigning {
    static func collect(_ signed: SignedCheckpoint, ledger: Ledger, directory: LedgerDirectory, configuration: NodeConfiguration) throws
        -> SignedCheckpoint
    {
        let keys = try configuration.witnessKeys()
        guard !keys.isEmpty, let witnesses = configuration.witnesses else { return signed }
        let endpoints = zip(witnesses, keys).map { WitnessEndpoint(url: $0.url, key: $1) }
        let reader = ledger.journal.hashReader
        let outcome = CheckpointCosigning.cosign(signed, witnesses: endpoints) { oldSize in
            try MerkleTree.consistencyProof(oldSize: oldSize, newSize: signed.checkpoint.size, reader: reader)
        }
        for (name, reason) in outcome.failures.sorted(by: { $0.key < $1.key }) {
            FileHandle.standardError.write(Data("warning: witness \(name) did not cosign: \(reason)\n".utf8))
        }
        let quorum = configuration.witnessQuorum ?? keys.count
        if outcome.cosigners.count < quorum {
            FileHandle.standardError.write(Data("warning: \(outcome.cosigners.count) of the \(quorum) witness cosignatures required\n".utf8))
        }
        guard !outcome.cosigners.isEmpty else { return signed }
        try engine { () throws(EngineError) in
            try ledger.storeCosigned(outcome.note)
            try directory.writeCheckpointFile(outcome.note.formatted)
        }
        return ledger.latestCheckpoint ?? signed
    }
}
