import Foundation
import HTTPTypes
import Hummingbird
import KhataAPI
import KhataCore
import KhataEngine
import NIOCore

/// An API error as RFC 9457 problem details (`application/problem+json`), with
/// a stable `code` that clients switch on; `detail` says what was wrong.
public struct Problem: Error, Sendable {
    public let status: Int
    public let code: String
    public let detail: String
    public var retryAfter: Int?

    public init(_ status: Int, _ code: String, _ detail: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.detail = detail
        self.retryAfter = retryAfter
    }

    /// Malformed input from the core: 400, with the core's stable code.
    init(_ malformed: MalformedInput, prefix: String = "") {
        let status = malformed.code == .badSignature ? 422 : 400
        self.init(status, malformed.code.rawValue, prefix + malformed.message)
    }

    static let titles = [
        400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
        415: "Unsupported Media Type", 422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error",
        503: "Service Unavailable",
    ]

    struct Body: Codable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let code: String
    }

    var response: Response {
        let body = Body(
            type: "https://khata.dev/problems/\(code)", title: Problem.titles[status] ?? "Error", status: status,
            detail: detail, code: code)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let data = (try? encoder.encode(body)) ?? Data()
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error a route throws into problem details: `Problem`s as they
/// are, Hummingbird's own errors (no route, body too large) by their status,
/// the engine's and the sequencer's by meaning. Nothing escapes as a bare 500.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: NodeMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Self.problem(for: error, path: request.uri.path)
            metrics.recordRefusal(problem.code)
            if problem.status >= 500 {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            return problem.response
        }
    }

    static func problem(for error: any Error, path: String) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let malformed as MalformedInput:
            return Problem(malformed)
        case is NIOTooManyBytesError:
            return Problem(413, "payload_too_large", "the request body exceeds the node's limit")
        case SequencerError.overloaded:
            return Problem(503, "overloaded", "the node's queue is full; retry shortly", retryAfter: 1)
        case SequencerError.shuttingDown:
            return Problem(503, "shutting_down", "the node is stopping; retry against it once it is back", retryAfter: 5)
        case let engine as EngineError where engine.code == .batchTooLarge:
            return Problem(413, "batch_too_large", engine.message)
        case let engine as EngineError:
            return Problem(503, engine.code.rawValue, engine.message, retryAfter: 30)
        case let http as HTTPError:
            switch http.status.code {
            case 404: return Problem(404, "not_found", "no such resource: \(path)")
            case 405: return Problem(405, "method_not_allowed", "this method is not allowed on \(path)")
            case 413: return Problem(413, "payload_too_large", "the request body is too large")
            default: return Problem(http.status.code, "http_\(http.status.code)", http.body ?? http.status.reasonPhrase)
            }
        default:
            return Problem(500, "internal", "an unexpected error: \(error)")
        }
    }
}
