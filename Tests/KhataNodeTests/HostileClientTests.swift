import Foundation
import KhataAPI
import KhataClient
import KhataCore
import KhataEngine
import KhataLog
import KhataNode
import KhataTestSupport
import Testing

/// The node tried as a hostile client would: overflowing paths, numbers out of
/// every range, wrong methods and encodings, front-running, slow and idle
/// connections, floods of junk. Every answer is a 4xx (or a closed connection),
/// the node keeps serving, and nothing a refused request carried reaches the log.
@Suite("Hostile clients", .serialized)
struct HostileClientTests {
    private func problem(_ response: BlockingHTTP.Response) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    /// Tile indices whose position does not fit in 64 bits trapped the node;
    /// now they, and every other malformed or far-away tile, get a 4xx.
    @Test func tilePathsCannotTrapTheNode() async throws {
        try await withNode { node in
            _ = try await offPool { try node.client.waitForVerifiedReceipt(try node.client.submit([Self.payment(1)])[0].transaction, timeout: 120) }
            var paths = [
                "/log/tile/0/x100/x000/x000/x000/x000/000", "/log/tile/entries/x100/x000/x000/x000/x000/000",
                "/log/tile/entries/x999/x999/x999/x999/x999/x999/999", "/log/tile/0/x072/x057/x594/x037/x927/935",
                "/log/tile/0/x072/x057/x594/x037/x927/935.p/255", "/log/tile/64/000", "/log/tile/-1/000", "/log/tile/0/1000",
                "/log/tile/0/000.p/0", "/log/tile/0/000.p/256", "/log/tile/0/000.p/-1", "/log/tile/0/x/000", "/log/tile/entries",
                "/log/tile/0/000?x=1",
                // 18446744073709551 × 1000 fits; adding 616 to 999 does not (the last group's sum was unchecked).
                "/log/tile/0/x018/x446/x744/x073/x709/x551/616", "/log/tile/entries/x018/x446/x744/x073/x709/x551/999",
            ]
            // 2^56 and 2^56 − 1 at every level, full and partial, hashes and bundles.
            for level in ["entries"] + (0...63).map(String.init) {
                for index: UInt64 in [1 << 56, (1 << 56) - 1, UInt64.max / 256, UInt64.max] {
                    paths.append("/log/" + Tiles.path(level: Int(level), index: index))
                    paths.append("/log/" + Tiles.path(level: Int(level), index: index, width: 17))
                }
            }
            for path in paths {
                let response = try await offPool { try node.request("GET", path) }
                #expect((400..<500).contains(response.status), "GET \(path): \(response.status)")
                #expect(response.header("Content-Type")?.hasPrefix("application/problem+json") == true, "GET \(path)")
            }
            let health = try await offPool { try node.request("GET", "/healthz") }
            #expect(health.status == 200)
            // A real tile still serves, varies by Accept-Encoding, and, partial, is not immutable.
            let tile = try await offPool { try node.request("GET", "/log/tile/entries/000.p/2") }
            #expect(tile.status == 200 && tile.header("Vary") == "Accept-Encoding")
            #expect(tile.header("Cache-Control")?.contains("immutable") == false)
        }
    }

    /// Every integer parameter is checked: out of range, negative, not decimal,
    /// unknown or repeated parameters get a 400 that names the parameter; no
    /// parameter is silently ignored or reinterpreted.
    @Test func everyParameterIsChecked() async throws {
        try await withNode { node in
            _ = try await offPool { try node.client.waitForVerifiedReceipt(try node.client.submit([Self.payment(1)])[0].transaction, timeout: 120) }
            let cases: [(String, Int, String)] = [
                ("/v1/entries?start=-5", 400, "start"),
                ("/v1/entries?from=-5", 400, "from"),
                ("/v1/entries?from=18446744073709551616", 400, "from"),
                ("/v1/entries?from=9223372036854775808", 400, "from"),
                ("/v1/entries?from=3", 400, "from"),
                ("/v1/entries?from=+1", 400, "from"),
                ("/v1/entries?limit=1001", 400, "limit"),
                ("/v1/entries?limit=1&limit=2", 400, "limit"),
                ("/v1/entries/18446744073709551615", 400, "index"),
                ("/v1/entries/9223372036854775807", 404, ""),
                ("/v1/entries/18446744073709551616", 400, "index"),
                ("/v1/entries/-1", 400, "index"),
                ("/v1/entries/+1", 400, "index"),
                ("/v1/proofs/inclusion?index=0&size=1", 400, "size"),
                ("/v1/proofs/inclusion?index=18446744073709551615", 400, "index"),
                ("/v1/proofs/inclusion?index=5", 404, ""),
                ("/v1/proofs/consistency?old=0&new=2", 400, "old"),
                ("/v1/proofs/consistency?old=1&new=99", 404, ""),
                ("/v1/proofs/consistency?old=1&new=18446744073709551615", 400, "new"),
                ("/v1/accounts/\(Fixture.alice.hex)/entries?before=-1", 400, "before"),
                ("/v1/accounts/\(Fixture.alice.hex)/entries?before=99999999999999999999", 400, "before"),
                ("/v1/accounts/\(Fixture.alice.hex)?verbose=1", 400, "verbose"),
                ("/v1/ledger?x", 400, "x"),
            ]
            for (path, status, named) in cases {
                let response = try await offPool { try node.request("GET", path) }
                #expect(response.status == status, "GET \(path): \(response.status) \(String(decoding: response.body, as: UTF8.self))")
                #expect(named.isEmpty || (problem(response)["detail"] as? String ?? "").contains(named), "GET \(path): the detail names \(named)")
            }
            let fine = try await offPool { try node.request("GET", "/v1/proofs/inclusion?index=1") }
            #expect(fine.status == 200)
        }
    }

    /// A known path asked with another method is 405 with Allow; an unknown path 404.
    @Test func wrongMethodGets405() async throws {
        try await withNode { node in
            for (method, path, allow) in [("DELETE", "/v1/ledger", "GET"), ("PUT", "/v1/transactions", "POST"), ("POST", "/log/tile/0/000", "GET")] {
                let response = try await offPool { try node.request(method, path) }
                #expect(response.status == 405 && response.header("Allow") == allow, "\(method) \(path): \(response.status)")
            }
            #expect(try await offPool { try node.request("GET", "/v2/nothing") }.status == 404)
        }
    }

    /// JSON is UTF-8 (RFC 8259 §8.1): the same valid transaction in UTF-16, with
    /// a byte order mark, or with invalid UTF-8 is refused; absurd nesting too.
    @Test func jsonIsUTF8Only() async throws {
        try await withNode { node in
            let json = String(decoding: try JSONEncoder().encode(Self.payment(7)), as: UTF8.self)
            let bodies: [[UInt8]] = [
                Array(json.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] },
                [0xFF, 0xFE] + Array(json.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] },
                [0xEF, 0xBB, 0xBF] + Array(json.utf8),
                Array(json.utf8.dropLast()) + [0xC3, 0x28, UInt8(ascii: "}")],
                Array(repeating: UInt8(ascii: "["), count: 100_000) + Array(repeating: UInt8(ascii: "]"), count: 100_000),
            ]
            for body in bodies {
                let response = try await offPool { try node.request("POST", "/v1/transactions", body: body, type: "application/json") }
                #expect((400..<500).contains(response.status), "\(response.status) \(String(decoding: response.body, as: UTF8.self))")
            }
            #expect(try await offPool { try node.client.ledger().size } == 1)
        }
    }

    /// A declared body over the limit is refused from its Content-Length alone,
    /// before a byte of it is sent: the client waiting on 100-continue gets 413.
    @Test func declaredOversizeGetsAnEarly413() async throws {
        try await withNode { node in
            let socket = try RawSocket(to: node.port)
            socket.send(
                "POST /v1/transactions HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000000000000\r\nExpect: 100-continue\r\n\r\n")
            let head = try await offPool { socket.readHead() }
            #expect(head.hasPrefix("HTTP/1.1 413"), "\(head)")
        }
    }

    /// A page of entries stops before a megabyte of entry bytes; its `next` continues it.
    @Test func pagesAreBoundedInBytes() async throws {
        try await withNode { node in
            // 30 transactions of 1,000 transfers each: entries of about 50 KB.
            let big = (1...30).map { n in
                Fixture.transaction(
                    UInt64(n), (0..<1_000).map { _ in Fixture.transfer(1, from: Fixture.alice, to: Fixture.bob) }, signedBy: [Fixture.aliceKey])
            }
            _ = try await offPool { try node.client.submit(big, binary: true) }
            let response = try await offPool { try node.request("GET", "/v1/entries?from=0&limit=1000") }
            let page = try JSONDecoder().decode(EntryPage.self, from: Data(response.body))
            let bytes = page.entries.reduce(0) { $0 + $1.bytes.count / 2 }
            #expect(page.entries.count < 31 && bytes <= Limits.maxPageBytes, "\(page.entries.count) entries, \(bytes) bytes")
            #expect(page.next == UInt64(page.entries.count))
            let rest = try JSONDecoder().decode(
                EntryPage.self, from: Data(try await offPool { try node.request("GET", "/v1/entries?from=\(page.next!)&limit=1000") }.body))
            #expect(page.entries.count + rest.entries.count == 31 && rest.next == nil)
        }
    }

    /// A third party who signs a seen body with its own key and submits it first
    /// is refused and logs nothing; the genuine transaction then commits.
    @Test func frontRunnerCannotPinAGenuineTransaction() async throws {
        try await withNode { node in
            let genuine = Self.payment(42)
            let body = try Transaction(id: genuine.id, operations: genuine.operations)
            for thief in [Fixture.bobKey, testKey(99)] {
                let stolen = try body.signed(by: [thief], origin: Fixture.origin)
                let answer = try await offPool { try node.client.submitEach([stolen]) }
                #expect(answer[0].refusal?.code == .insufficientSignatures)
                let http = try await offPool {
                    try node.request("POST", "/v1/transactions", body: Array(try JSONEncoder().encode(stolen)), type: "application/json")
                }
                #expect(http.status == 403 && problem(http)["code"] as? String == "insufficient_signatures")
            }
            #expect(try await offPool { try node.request("GET", "/v1/transactions/\(genuine.id.hex)") }.status == 404)
            #expect(try await offPool { try node.client.ledger().size } == 1)
            let receipt = try await offPool { try node.client.submit([genuine])[0] }
            #expect(receipt.outcome == .committed && !receipt.isRetry)
        }
    }

    /// One co-signer of Carol's 2-of-3 account submitting early, with only its
    /// own signature, is refused; the fully signed transaction then commits.
    @Test func earlyCoSignerCannotBurnAMultisig() async throws {
        try await withNode { node in
            let fund = Fixture.transaction(1, [Fixture.transfer(100, from: Fixture.alice, to: Fixture.carol)], signedBy: [Fixture.aliceKey])
            _ = try await offPool { try node.client.submit([fund]) }
            let body = try Transaction(id: transactionID(2), operations: [Fixture.transfer(60, from: Fixture.carol, to: Fixture.bob)])
            let early = try body.signed(by: [Fixture.carolKeys[0]], origin: Fixture.origin)
            #expect(try await offPool { try node.client.submitEach([early]) }[0].refusal?.code == .insufficientSignatures)
            let both = try body.signed(by: [Fixture.carolKeys[0], Fixture.carolKeys[2]], origin: Fixture.origin)
            #expect(try await offPool { try node.client.submit([both]) }[0].outcome == .committed)
            // In a batch, the refused one is answered as refused and the rest go on.
            let batch = [
                try Transaction(id: transactionID(3), operations: [Fixture.transfer(1, from: Fixture.carol, to: Fixture.bob)])
                    .signed(by: [Fixture.carolKeys[1]], origin: Fixture.origin),
                Self.payment(4),
            ]
            for binary in [false, true] {
                let answers = try await offPool { try node.client.submitEach(batch, binary: binary) }
                #expect(answers[0].refusal == Refusal(transaction: transactionID(3), code: .insufficientSignatures, operation: 0))
                #expect(answers[1].receipt?.outcome == .committed)
            }
        }
    }

    /// A receipt that does not answer the transaction sent is not accepted.
    @Test func clientRejectsAReceiptForAnythingElse() throws {
        let payment = Self.payment(5)
        let other = Self.payment(6)
        let entry = Entry.encode(index: LeafIndex(3), time: Timestamp(milliseconds: 9), kind: 1, payload: payment.encoded, outcome: .committed)
        let right = Receipt(
            transaction: payment.id, index: LeafIndex(3), time: Timestamp(milliseconds: 9), outcome: .committed, leafHash: Entry.leafHash(entry),
            isRetry: false)
        #expect(try KhataClient.checkedReceipt(right, for: payment) == right)
        #expect(throws: ClientError.self) { try KhataClient.checkedReceipt(right, for: other) }
        let lying = Receipt(
            transaction: payment.id, index: LeafIndex(3), time: Timestamp(milliseconds: 9), outcome: .rejected(.amountZero, operation: 0),
            leafHash: Entry.leafHash(entry), isRetry: false)
        #expect(throws: ClientError.self) { try KhataClient.checkedReceipt(lying, for: payment) }
    }

    /// Many half-sent and idle connections from one address do not stop another
    /// client: past its connection cap a client's connections are closed at once,
    /// and a connection that sends nothing for the idle timeout is closed.
    @Test func slowClientsDoNotStopOthers() async throws {
        try await withNode(configure: {
            $0.idleTimeoutMilliseconds = 300
            $0.maxConnectionsPerClient = 8
        }) { node in
            var held: [RawSocket] = []
            for n in 0..<30 {
                let socket = try RawSocket(to: node.port, from: "127.0.0.2")
                if n % 2 == 0 { socket.send("GET /v1/ledger HTTP/1.1\r\nHost: no") }  // half a header
                held.append(socket)
            }
            // Another address is served while those are held.
            let other = try RawSocket(to: node.port, from: "127.0.0.3")
            other.send("GET /healthz HTTP/1.1\r\nHost: node\r\n\r\n")
            #expect(try await offPool { other.readHead() }.hasPrefix("HTTP/1.1 200"))
            #expect(try await offPool { try node.request("GET", "/v1/ledger") }.status == 200)
            // Every held connection is closed: the ones past the cap at once, the rest when idle.
            let all = held
            let closed = try await offPool { all.map { $0.readUntilClosed() } }
            #expect(closed.allSatisfy { $0.isEmpty || String(decoding: $0, as: UTF8.self).hasPrefix("HTTP/1.1 4") })
            #expect(try await offPool { try node.request("GET", "/healthz") }.status == 200)
        }
    }

    /// A client without keys can add nothing to the log: 10,000 transactions it
    /// signs for accounts it does not control are refused, junk is a 400, and
    /// the accounts it may open under its own keys are capped per address.
    @Test func keylessClientCannotGrowTheLog() async throws {
        try await withNode(configure: { $0.clientAccountOperationsPerSecond = 1 }) { node in
            let stranger = testKey(200)
            let unauthorized = (0..<10_000).map { n in
                try! Transaction(id: transactionID(100_000 + UInt64(n)), operations: [Fixture.transfer(1, from: Fixture.alice, to: Fixture.bob)])
                    .signed(by: [stranger], origin: Fixture.origin)
            }
            for chunk in stride(from: 0, to: unauthorized.count, by: 1_000) {
                let answers = try await offPool { try node.client.submitEach(Array(unauthorized[chunk..<(chunk + 1_000)]), binary: true) }
                #expect(answers.allSatisfy { $0.refusal?.code == .insufficientSignatures })
            }
            for n in 0..<200 {
                let junk = Array("{\"id\":\"\(n)\"".utf8)
                #expect(try await offPool { try node.request("POST", "/v1/transactions", body: junk, type: "application/json") }.status == 400)
            }
            #expect(try await offPool { try node.client.ledger().size } == 1)
            // Opening accounts: 10 at once (ten seconds' worth), then about one a second.
            let started = Date()
            var opened = 0
            var limited = 0
            for n in 0..<40 {
                let key = testKey(UInt8(150 + n))
                let open = Fixture.transaction(
                    UInt64(200_000 + n),
                    [.createAccount(CreateAccount(account: accountID(5_000 + UInt64(n)), controllers: KeySet(single: key.publicKey)))],
                    signedBy: [key])
                let response = try await offPool {
                    try node.request("POST", "/v1/transactions", body: Array(try JSONEncoder().encode(open)), type: "application/json")
                }
                if response.status == 200 { opened += 1 }
                if response.status == 429 {
                    limited += 1
                    #expect(response.header("Retry-After") != nil && problem(response)["code"] as? String == "rate_limited")
                }
            }
            let allowance = 10 + Int(Date().timeIntervalSince(started).rounded(.up))
            #expect(opened >= 10 && opened <= allowance && limited == 40 - opened, "opened \(opened), allowance \(allowance)")
            #expect(try await offPool { try node.client.ledger().size } == UInt64(1 + opened))
        }
    }

    /// A signer key whose transactions keep being rejected is slowed to its
    /// allowance of rejections; committed transactions cost it nothing.
    @Test func rejectionsArePacedPerKey() async throws {
        try await withNode(configure: { $0.keyRejectionsPerSecond = 1 }) { node in
            var statuses: [Int] = []
            for n in 0..<30 {
                let overdraft = Fixture.transaction(
                    UInt64(n + 1), [Fixture.transfer(Fixture.aliceOpeningINR * 10, from: Fixture.alice, to: Fixture.bob)],
                    signedBy: [Fixture.aliceKey])
                let response = try await offPool {
                    try node.request("POST", "/v1/transactions", body: Array(try JSONEncoder().encode(overdraft)), type: "application/json")
                }
                statuses.append(response.status)
            }
            let logged = statuses.count { $0 == 200 }
            #expect(logged >= 10 && logged < 20 && statuses.suffix(5).allSatisfy { $0 == 429 }, "\(statuses)")
            // Bob's key has spent nothing.
            let bobPays = Fixture.transaction(99, [Fixture.transfer(0, from: Fixture.bob, to: Fixture.alice)], signedBy: [Fixture.bobKey])
            #expect(try await offPool { try node.client.submit([bobPays]) }[0].outcome == .rejected(.amountZero, operation: 0))
        }
    }

    /// A key is paced across requests and batches: past its allowance of
    /// transactions it gets 429 with Retry-After, while other keys go on; and
    /// only verified signatures count, so nobody can spend a key they do not hold.
    @Test func transactionsArePacedPerKey() async throws {
        try await withNode(configure: { $0.keyTransactionsPerSecond = 1 }) { node in
            // 50 requests claiming Alice's key with a broken signature: refused, and not charged to her.
            let genuine = Self.payment(50)
            let forged = try Transaction(
                id: genuine.id, operations: genuine.operations,
                signatures: genuine.signatures.map { TransactionSignature(key: $0.key, signature: [UInt8](repeating: 7, count: 64)) })
            for _ in 0..<50 {
                let response = try await offPool {
                    try node.request("POST", "/v1/transactions", body: Array(try JSONEncoder().encode(forged)), type: "application/json")
                }
                #expect(response.status == 422)
            }
            // Alice's own batch of 3 passes on her full bucket and leaves her owing two seconds;
            // her next transaction at once is 429 (it would pass only after those two seconds).
            let batch = (1...3).map { Self.payment(UInt64($0)) }
            #expect(try await offPool { try node.client.submit(batch, binary: true) }.count == 3)
            let response = try await offPool {
                try node.request("POST", "/v1/transactions", body: Array(try JSONEncoder().encode(Self.payment(6))), type: "application/json")
            }
            #expect(response.status == 429 && response.header("Retry-After") != nil && problem(response)["code"] as? String == "rate_limited")
            let bob = Fixture.transaction(7, [Fixture.transfer(1, from: Fixture.bob, to: Fixture.alice)], signedBy: [Fixture.bobKey])
            #expect(try await offPool { try node.client.submit([bob]) }[0].outcome == .committed)
        }
    }

    /// A different body under an id the log already holds is refused (409), not logged.
    @Test func aTakenIdIsRefusedNotLogged() async throws {
        try await withNode { node in
            _ = try await offPool { try node.client.submit([Self.payment(1)]) }
            let other = Fixture.transaction(1, [Fixture.transfer(2, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey])
            let response = try await offPool {
                try node.request("POST", "/v1/transactions", body: Array(try JSONEncoder().encode(other)), type: "application/json")
            }
            #expect(response.status == 409 && problem(response)["code"] as? String == "id_reused_with_different_content")
            #expect(try await offPool { try node.client.submitEach([other], binary: true) }[0].refusal?.code == .idReusedWithDifferentContent)
            #expect(try await offPool { try node.client.ledger().size } == 2)
        }
    }

    private static func payment(_ n: UInt64) -> Transaction {
        Fixture.transaction(n, [Fixture.transfer(1, from: Fixture.alice, to: Fixture.bob)], signedBy: [Fixture.aliceKey])
    }
}
