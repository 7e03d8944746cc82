import Foundation
import Hummingbird
import KhataBytes
import KhataLog
import Logging
import NIOCore

/// A C2SP tlog-witness over HTTP (c2sp.org/tlog-witness): `POST <prefix>/add-checkpoint`,
/// plus `GET <prefix>/` answering the witness's verifier key, for people.
public enum WitnessServer {
    /// The Hummingbird application serving `witness` at `host:port`.
    /// `onRunning` receives the bound port (useful with port 0).
    public static func application(
        witness: TlogWitness, host: String, port: Int, prefix: String = "", logger: Logger = Logger(label: "khata.witness"),
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        let box = WitnessBox(witness)
        let base = prefix.isEmpty ? "" : "/" + prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        router.post("\(base)/add-checkpoint") { request, _ -> Response in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: TlogWitness.maxRequestBytes)
            } catch {
                return response(TlogWitness.Response(status: 413, contentType: "text/plain; charset=utf-8", body: "the request is too large\n"))
            }
            let answer = await box.addCheckpoint(Array(body.readableBytesView), time: UInt64(Date().timeIntervalSince1970))
            logger.info("add-checkpoint", metadata: ["status": "\(answer.status)"])
            return response(answer)
        }
        let vkey = witness.signer.verifierKey.vkey
        router.get("\(base)/") { _, _ -> Response in
            response(TlogWitness.Response(status: 200, contentType: "text/plain; charset=utf-8", body: vkey + "\n"))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "khata-witness"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    static func response(_ answer: TlogWitness.Response) -> Response {
        Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: [.contentType: answer.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
    }
}

/// Serialises requests on one queue of its own: the witness's check-then-store
/// is atomic in its store, the queue keeps its SQLite connection single-threaded,
/// and the store's synced writes never block the cooperative threads that serve
/// requests (in `khata dev` those are the node's too).
final class WitnessBox: @unchecked Sendable {
    private let witness: TlogWitness
    private let queue = DispatchQueue(label: "khata.witness.store")

    init(_ witness: TlogWitness) { self.witness = witness }

    func addCheckpoint(_ body: [UInt8], time: UInt64) async -> TlogWitness.Response {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: self.witness.addCheckpoint(body, time: time)) }
        }
    }
}
