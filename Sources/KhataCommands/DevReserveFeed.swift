import Foundation
import KhataClient
import KhataCore
import KhataEd25519
import KhataEngine
import KhataLog
import KhataNode
import Logging
import ServiceLifecycle

/// `khata dev`'s stand-in for the outside world: the demo oracles publish prices
/// every minute (a small random walk around the genesis prices) and the demo
/// custodians re-attest their holdings every day, each signing with its own key
/// and submitting over HTTP like any other client. Without it the development
/// ledger's prices go stale after an hour and mints are refused, as they should be.
/// RemitCo, the demo exchange, publishes a fresh firm quote (USD → INR, ten
/// minutes) to the node's book at the start and on every tick.
final class DevReserveFeed: Service, @unchecked Sendable {
    let baseURL: String
    let directory: String
    let participants: Participants
    let logger: Logger
    let interval: Duration
    private var btcPrice = DevGenesis.btcPrice
    private var goldPrice = DevGenesis.goldPricePerGram
    private var lastAttestation: ContinuousClock.Instant?
    private var generator = SystemRandomNumberGenerator()

    init(baseURL: String, directory: String, logger: Logger, interval: Duration = .seconds(60)) {
        self.baseURL = baseURL
        self.directory = directory
        self.participants = Participants.load(from: directory)
        self.logger = logger
        self.interval = interval
    }

    func run() async throws {
        // The attestors' keys and the pinned ledger key, read once.
        let keys: [SigningKey]
        let remitco: SigningKey?
        let client: KhataClient
        do {
            keys = try ["oracle-1", "oracle-2", "oracle-3", "btc-vault", "gold-vault"].map { try participants.signingKey($0, directory: directory) }
            remitco = try? participants.signingKey("remitco", directory: directory)
            let vkey = try NoteVerifierKey(
                vkey: try String(contentsOfFile: "\(directory)/vkey", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
            client = KhataClient(baseURL: baseURL, ledgerKey: vkey)
        } catch {
            logger.error("demo reserve feed: cannot start", metadata: ["error": "\(error)"])
            return
        }
        let origin = (try? String(contentsOfFile: "\(directory)/vkey", encoding: .utf8)).flatMap { $0.split(separator: "+").first.map(String.init) }
        func publishQuote() async {
            guard let remitco, let origin else { return }
            let now = Ledger.systemClock()
            let quote = DevGenesis.quote(
                id: now.milliseconds / 1_000, remitco: remitco, origin: origin, expiresAt: Timestamp(milliseconds: now.milliseconds + 600_000))
            do { try await onOwnThread { try client.publish(quote) } } catch {
                logger.warning("demo exchange: quote not published", metadata: ["error": "\(error)"])
            }
        }
        await publishQuote()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Woken by a shutdown at once, not at the next tick (Ctrl-C stops `khata dev` promptly).
            let interval = self.interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            let attest = lastAttestation.map { $0.duration(to: .now) > .seconds(86_400) } ?? true
            let operations = step(attest: attest)
            do {
                try await submit(operations, keys: keys, client: client)
                if attest { lastAttestation = .now }
            } catch {
                logger.warning("demo reserve feed: submission failed", metadata: ["error": "\(error)"])
            }
            await publishQuote()
        }
    }

    /// The next prices: each moves by up to ±1 %, staying within ±30 % of genesis.
    private func step(attest: Bool) -> [LedgerOperation] {
        func walk(_ price: UInt64, around base: UInt64) -> UInt64 {
            let moved = price / 10_000 * (9_900 + generator.next() % 201)
            return min(max(moved, base / 10 * 7), base / 10 * 13)
        }
        btcPrice = walk(btcPrice, around: DevGenesis.btcPrice)
        goldPrice = walk(goldPrice, around: DevGenesis.goldPricePerGram)
        return DevGenesis.reserveUpdates(now: Ledger.systemClock(), btcPrice: btcPrice, goldPrice: goldPrice, attest: attest)
    }

    private func submit(_ operations: [LedgerOperation], keys: [SigningKey], client: KhataClient) async throws {
        let transaction = try client.sign(operations, keys: keys)
        let receipts = try await onOwnThread { try client.submit([transaction]) }
        if receipts.first?.outcome.isCommitted != true {
            logger.warning("demo reserve feed: update refused", metadata: ["outcome": "\(String(describing: receipts.first?.outcome))"])
        }
    }
}
