import Foundation
import KhataCore
import KhataEd25519
import KhataLog

extension FuzzTargets {
    /// A seed corpus: well-formed inputs for every target, made here from the
    /// same types the ledger uses, so the fuzzer starts inside each format.
    /// `khata-fuzz --write-seeds Fuzz/Corpus` writes them (they are committed).
    public static func seeds() -> [(target: String, name: String, bytes: [UInt8])] {
        let alice = SigningKey(seed: [UInt8](repeating: 3, count: 32))!
        let carol = (4...6).map { SigningKey(seed: [UInt8](repeating: UInt8($0), count: 32))! }
        let inr = AssetCode("INR")!
        let a = AccountID(high: 0, low: 2)
        let b = AccountID(high: 0, low: 3)
        let payment = try! Transaction(
            id: TransactionID(high: 0xA, low: 1),
            operations: [.transfer(Transfer(asset: inr, debit: a, credit: b, amount: Amount(250), memo: "rent"))]
        ).signed(by: [alice], origin: fuzzOrigin)
        let multisig = try! Transaction(
            id: TransactionID(high: 0xA, low: 2),
            operations: [
                .createAccount(
                    CreateAccount(account: AccountID(high: 0, low: 9), controllers: try! KeySet(threshold: 2, keys: carol.map(\.publicKey)))),
                .pendingTransfer(PendingTransfer(transfer: Transfer(asset: inr, debit: a, credit: b, amount: Amount(5)), timeoutSeconds: 60)),
                .postPending(PostPending(pending: PendingID(transaction: TransactionID(high: 0xA, low: 2), operation: 1), amount: Amount(5))),
                .closeAccount(CloseAccount(account: b)),
            ]
        ).signed(by: carol, origin: fuzzOrigin)
        let genesis = try! Genesis(
            origin: fuzzOrigin, ledgerKey: fuzzKey.verifierKey.publicKey, issuer: KeySet(single: alice.publicKey),
            operations: [.createAccount(CreateAccount(account: a, controllers: KeySet(single: alice.publicKey)))])
        let entries = [
            Entry(index: LeafIndex(0), time: Timestamp(milliseconds: 1_000), payload: .genesis(genesis), outcome: .committed),
            Entry(index: LeafIndex(1), time: Timestamp(milliseconds: 2_000), payload: .transaction(payment), outcome: .committed),
            Entry(
                index: LeafIndex(2), time: Timestamp(milliseconds: 3_000), payload: .transaction(multisig),
                outcome: .rejected(.exceedsAvailableBalance, operation: 1)),
        ].map(\.encoded)
        let leaves = entries.map(Entry.leafHash)
        let root = RFC6962.rootOfLeafHashes(leaves[...])
        let checkpoint = Checkpoint(origin: fuzzOrigin, size: 3, root: root)
        var note = SignedNote(text: checkpoint.text)
        note.signatures = [fuzzKey.sign(checkpoint.text)]
        var cosigned = note
        cosigned.signatures.append(witnessKey.sign(checkpoint.text, time: 1_767_225_600))
        let inclusion = [leaves[1], leaves[2]]  // RFC 9162 §2.1.3: PATH(0, D[0:3])
        func json(_ value: some Encodable) -> [UInt8] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return Array(try! encoder.encode(value))
        }
        return [
            ("binary-batch", "two", TransactionBatch.encode([payment, multisig])),
            ("binary-batch", "one", TransactionBatch.encode([payment])),
            ("json-transactions", "transfer", json(payment)),
            ("json-transactions", "batch", json([payment, payment])),
            ("json-transactions", "other-operations", json(multisig)),
            ("entry", "genesis", entries[0]),
            ("entry", "transfer", entries[1]),
            ("entry", "rejected", entries[2]),
            ("tile-path", "hash", Array("tile/0/x001/234".utf8)),
            ("tile-path", "partial", Array("tile/2/000.p/17".utf8)),
            ("tile-path", "bundle", Array("tile/entries/x123/x456/789.p/255".utf8)),
            ("entry-bundle", "three", Tiles.bundle(entries)),
            ("entry-bundle", "hashes", Tiles.encode(leaves)),
            ("signed-note", "checkpoint", Array(note.formatted.utf8)),
            ("signed-note", "cosigned", Array(cosigned.formatted.utf8)),
            ("signed-note", "vkey", Array(fuzzKey.verifierKey.vkey.utf8)),
            ("witness-request", "first", Array(try! TlogWitness.Request(oldSize: 0, proof: [], note: note).body.utf8)),
            ("witness-request", "proof", Array(try! TlogWitness.Request(oldSize: 3, proof: [leaves[0]], note: note).body.utf8)),
            ("tlog-proof", "entry", Array(TlogProof(index: 0, path: inclusion, checkpoint: cosigned.formatted).formatted.utf8)),
            (
                "genesis-file", "two-accounts",
                Array(
                    """
                    {"origin": "\(fuzzOrigin)", "ledger_key": "\(fuzzKey.verifierKey.publicKey.hex)",
                     "issuer": {"threshold": 1, "keys": ["\(alice.publicKey.hex)"]},
                     "operations": [
                      {"type": "create_account", "account": "\(a.hex)", "controllers": {"threshold": 1, "keys": ["\(alice.publicKey.hex)"]}},
                      {"type": "create_account", "account": "\(b.hex)", "controllers": {"threshold": 2, "keys": [\(carol.map { "\"\($0.publicKey.hex)\"" }.joined(separator: ", "))]}},
                      {"type": "register_asset", "asset": "INR", "kind": "currency", "scale": 2, "issuer": "\(a.hex)", "issuance_account": "00000000000000000000000000000100"},
                      {"type": "transfer", "asset": "INR", "debit": "00000000000000000000000000000100", "credit": "\(b.hex)", "amount": "1000", "memo": "opening"}
                     ],
                     "participants": [{"name": "asha", "role": "person", "account": "\(a.hex)", "key": "keys/asha.key"}]}
                    """.utf8)
            ),
            (
                "node-configuration", "full",
                Array(
                    """
                    KHATA_IDLE_TIMEOUT_MS=5000
                    {"ledger_key": "keys/ledger.key", "witnesses": [{"url": "http://127.0.0.1:7380", "vkey": "\(witnessKey.verifierKey.vkey)"}],
                     "witness_quorum": 1, "host": "127.0.0.1", "port": 7370, "checkpoint_interval_ms": 500, "queue_capacity": 65536,
                     "max_body_bytes": 16777216, "liabilities_interval_s": 3600, "commit_spacing_us": 1000, "max_connections": 4096,
                     "max_connections_per_client": 128, "body_timeout_ms": 30000, "buffered_body_bytes": 67108864,
                     "client_requests_per_s": 20000, "client_signatures_per_s": 20000, "client_account_operations_per_s": 20,
                     "key_rejections_per_s": 100}
                    """.utf8)
            ),
        ]
    }
}
