import Foundation
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLog
import KhataStorage
import KhataVerify

/// A key derived from one byte, so that tests and golden vectors are reproducible.
public func testKey(_ n: UInt8) -> SigningKey { SigningKey(seed: Array(repeating: n, count: 32))! }

public func accountID(_ n: UInt64) -> AccountID { AccountID(high: 0, low: n) }
public func transactionID(_ n: UInt64) -> TransactionID { TransactionID(high: 0xA, low: n) }

public let inr = AssetCode("INR")!
public let btc = AssetCode("BTC")!

/// A small ledger: a central bank that issues INR and BTC, and three people.
public enum Fixture {
    public static let origin = "khata.test/ledger"
    public static let ledgerKey = testKey(100)
    public static let issuerKey = testKey(1)
    public static let aliceKey = testKey(2)
    public static let bobKey = testKey(3)
    public static let carolKeys = [testKey(4), testKey(5), testKey(6)]

    public static let centralBank = accountID(1)
    public static let alice = accountID(2)
    public static let bob = accountID(3)
    /// A 2-of-3 account.
    public static let carol = accountID(4)
    public static let inrIssuance = accountID(0x100)
    public static let btcIssuance = accountID(0x101)
    public static let aliceOpeningINR: UInt64 = 1_000_000

    public static var genesis: Genesis {
        let carolSet = try! KeySet(threshold: 2, keys: carolKeys.map(\.publicKey))
        return try! Genesis(
            origin: origin, ledgerKey: ledgerKey.publicKey, issuer: KeySet(single: issuerKey.publicKey),
            operations: [
                .createAccount(CreateAccount(account: centralBank, controllers: KeySet(single: issuerKey.publicKey))),
                .createAccount(CreateAccount(account: alice, controllers: KeySet(single: aliceKey.publicKey))),
                .createAccount(CreateAccount(account: bob, controllers: KeySet(single: bobKey.publicKey))),
                .createAccount(CreateAccount(account: carol, controllers: carolSet)),
                .registerAsset(RegisterAsset(asset: inr, kind: .currency, scale: 2, issuer: centralBank, issuanceAccount: inrIssuance)),
                .registerAsset(RegisterAsset(asset: btc, kind: .reserve, scale: 8, issuer: centralBank, issuanceAccount: btcIssuance)),
                .transfer(Transfer(asset: inr, debit: inrIssuance, credit: alice, amount: Amount(aliceOpeningINR), memo: "opening")),
            ])
    }

    public static func genesisState(time: UInt64 = 1_000) -> LedgerState {
        let (state, outcome) = LedgerState.genesis(genesis, time: Timestamp(milliseconds: time))
        precondition(outcome == .committed, "fixture genesis: \(outcome)")
        return state
    }

    /// A transaction signed by `signers` for the fixture's origin.
    public static func transaction(_ id: UInt64, _ operations: [LedgerOperation], signedBy signers: [SigningKey]) -> Transaction {
        try! Transaction(id: transactionID(id), operations: operations).signed(by: signers, origin: origin)
    }

    public static func transfer(_ amount: UInt64, from debit: AccountID, to credit: AccountID, asset: AssetCode = inr) -> LedgerOperation {
        .transfer(Transfer(asset: asset, debit: debit, credit: credit, amount: Amount(amount)))
    }
}

/// A clock that advances by a fixed step each time it is read.
public final class SteppingClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: UInt64
    private let step: UInt64

    public init(start: UInt64 = 1_000, step: UInt64 = 1) {
        now = start
        self.step = step
    }

    public func read() -> Timestamp {
        lock.lock()
        defer { lock.unlock() }
        now += step
        return Timestamp(milliseconds: now)
    }

    public func advance(milliseconds: UInt64) {
        lock.lock()
        now += milliseconds
        lock.unlock()
    }
}

/// SplitMix64: a small seeded generator, so that random workloads are reproducible.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A fresh temporary directory, removed by the caller's `defer`.
public func temporaryDirectory(_ name: String = #function) -> String {
    let base = FileManager.default.temporaryDirectory.path
    let clean = name.filter { $0.isLetter || $0.isNumber }
    let path = "\(base)/khata-test-\(clean)-\(UInt64.random(in: 0...UInt64.max))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

public func removeDirectory(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// Runs blocking work (HTTP through the synchronous client) on its own thread and
/// awaits it, so that async tests never block the cooperative thread pool that an
/// in-process server needs to answer them (on 2 cores the pool has 2 threads).
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

extension Ledger {
    /// `submit`, for tests whose transactions are all signed by enough keys: the
    /// receipts, or a thrown `Refusal` if the sequencer refused one.
    public func submitLogged(_ batch: [VerifiedTransaction]) throws -> [Receipt] {
        try submit(batch).map { result in
            switch result {
            case .logged(let receipt): return receipt
            case .refused(let refusal): throw refusal
            }
        }
    }
}

/// Builds, in `directory`, a closed fixture ledger of `size` entries (1 to
/// `size` − 1 are one-unit payments from alice to bob) whose latest snapshot
/// covers the first `snapshotAt` and whose published checkpoint (in the
/// journal and the directory's `checkpoint` file) the first `checkpointAt`:
/// what a node restarting after a crash finds. Returns the checkpoint.
@discardableResult
public func makeRestartableLedger(in directory: String, size: Int, snapshotAt: Int, checkpointAt: Int) throws -> SignedCheckpoint {
    let ledgerDirectory = LedgerDirectory(directory)
    let ledger = try ledgerDirectory.create(genesis: Fixture.genesis)
    let signer = try NoteSigner(name: Fixture.origin, key: Fixture.ledgerKey, type: .ed25519)
    var checkpoint: SignedCheckpoint?
    for mark in [snapshotAt, checkpointAt, size].sorted() {
        while ledger.state.size < UInt64(mark) {
            let first = ledger.state.size
            let count = min(UInt64(mark) - first, 500)
            let payments = (first..<(first + count)).map { n in
                Fixture.transaction(n, [Fixture.transfer(1, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey])
            }
            _ = try ledger.submitLogged(SignatureVerifier.verify(payments, origin: Fixture.origin).map { try $0.get() })
        }
        if mark == snapshotAt { try ledger.snapshot() }
        if mark == checkpointAt { checkpoint = try ledgerDirectory.publishCheckpoint(ledger, signer: signer) }
    }
    return checkpoint!
}

/// Damages a ledger file's pages as a failing disk would: overwrites the
/// page-type byte of `table`'s root page with one no page has, after copying
/// the WAL into the file. SQLite's `quick_check` then fails; reading other
/// tables still works.
public func damageRootPage(of table: String, journalPath: String) throws {
    let db = try SQLiteConnection(path: journalPath, create: false)
    let page = try db.scalarInt("SELECT rootpage FROM sqlite_master WHERE name = '\(table)'")
    let pageSize = try db.scalarInt("PRAGMA page_size")
    _ = try db.scalarText("PRAGMA wal_checkpoint(TRUNCATE)")
    guard page > 0, let file = FileHandle(forUpdatingAtPath: journalPath) else {
        throw StorageError(.notFound, "no table \(table) in \(journalPath)")
    }
    defer { try? file.close() }
    try file.seek(toOffset: UInt64((page - 1) * pageSize))
    try file.write(contentsOf: [0xFF])
    try file.synchronize()
}
