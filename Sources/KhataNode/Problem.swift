import Foundation
import HTTPTypes
import Hummingbird
import KhataAPI
import KhataBytes
import KhataCore
import KhataEngine
import NIOCore
import Synchronization

/// An API error as RFC 9457 problem details (`application/problem+json`), with
/// a stable `code` that clients switch on; `detail` says what was wrong.
public struct Problem: Error, Sendable {
    public let status: Int
    public let code: String
    public let detail: String
    public var retryAfter: Int?
    /// The methods a path serves, for a 405's `Allow` header.
    var allow: String?
    /// The operation at fault, for a refused transaction.
    var operation: UInt16?

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

    /// A transaction the sequencer would not log: 403 when its signers are not
    /// enough, 404 when what it names (and so who must sign) does not exist,
    /// 409 when another body already holds its id.
    init(_ refusal: Refusal) {
        let status =
            switch refusal.code {
            case .accountNotFound, .pendingNotFound, .instrumentInvalid, .actionInvalid: 404
            case .idReusedWithDifferentContent: 409
            default: 403
            }
        self.init(
            status, refusal.code.name,
            "operation \(refusal.operation): \(refusal.code.name); the transaction was not logged and its id is still free for a transaction its rightful signers sign"
        )
        operation = refusal.operation
    }

    static let titles = [
        400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
        415: "Unsupported Media Type", 422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error",
        503: "Service Unavailable",
    ]

    struct Body: Codable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let code: String
        let requestID: String?
        let operation: UInt16?

        enum CodingKeys: String, CodingKey {
            case type, title, status, detail, code, operation
            case requestID = "request_id"
        }
    }

    /// The problem as a response; `requestID` is named in the body (and the
    /// `Request-Id` header) so that an operator can find the request in the log.
    func response(requestID: String? = nil) -> Response {
        let body = Body(
            type: "https://khata.dev/problems/\(code)", title: Problem.titles[status] ?? "Error", status: status,
            detail: detail, code: code, requestID: requestID, operation: operation)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let requestID { headers[.requestID] = requestID }
        if let allow { headers[.allow] = allow }
        let data = (try? encoder.encode(body)) ?? Data()
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension HTTPField.Name {
    /// The id a node gives each request, echoed on every problem.
    static let requestID = HTTPField.Name("Request-Id")!
}

/// The routes a router serves, filled in once every route is registered, so
/// that a known path asked with another method gets 405 and `Allow`, not 404.
final class RouteTable: Sendable {
    private let routes = Mutex<[(method: String, segments: [Substring])]>([])

    /// Keeps the routes of `descriptions` ("GET /v1/accounts/:id"; `:x` matches
    /// one segment, `**` the rest).
    func set(_ descriptions: [(method: String, path: String)]) {
        routes.withLock { $0 = descriptions.map { ($0.method, $0.path.split(separator: "/")) } }
    }

    /// The methods served at `path`, sorted.
    func methods(at path: String) -> [String] {
        let parts = path.split(separator: "/")
        return routes.withLock { routes in
            Set(routes.filter { Self.matches($0.segments, parts) }.map(\.method)).sorted()
        }
    }

    private static func matches(_ pattern: [Substring], _ parts: [Substring]) -> Bool {
        for (position, segment) in pattern.enumerated() {
            if segment == "**" { return parts.count > position }
            guard position < parts.count, segment.hasPrefix(":") || segment == parts[position] else { return false }
        }
        return pattern.count == parts.count
    }
}

/// Turns every error a route throws into problem details: `Problem`s as they
/// are, Hummingbird's own errors (no route, body too large) by their status,
/// the engine's and the sequencer's by meaning. Nothing escapes as a bare 500,
/// and no 5xx tells the client more than its stable code and the request's id:
/// what went wrong inside is logged under that id, never sent.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: NodeMetrics
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Self.problem(for: error, path: request.uri.path)
            if problem.status == 404, error is HTTPError {
                let allowed = routes.methods(at: request.uri.path)
                if !allowed.isEmpty {
                    problem = Problem(
                        405, "method_not_allowed",
                        "\(request.method) is not allowed on \(request.uri.path.prefix(80)); use \(allowed.joined(separator: ", "))")
                    problem.allow = allowed.joined(separator: ", ")
                }
            }
            metrics.recordRefusal(problem.code)
            if problem.status >= 500 {
                context.logger.error(
                    "request failed",
                    metadata: ["path": "\(request.uri.path)", "code": "\(problem.code)", "detail": "\(problem.detail)", "error": "\(error)"])
                return problem.hidingDetail.response(requestID: context.id)
            }
            return problem.response(requestID: context.id)
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
        case let engine as EngineError where engine.code == .outcomeUnknown:
            return Problem(503, "outcome_unknown", engine.message, retryAfter: 5)
        case SequencerError.halted(let reason):
            return Problem(503, "halted", reason, retryAfter: 5)
        case let engine as EngineError:
            return Problem(503, engine.code.rawValue, engine.message, retryAfter: 30)
        case let http as HTTPError:
            switch http.status.code {
            case 404: return Problem(404, "not_found", "no such resource: \(path.prefix(80))")
            case 405: return Problem(405, "method_not_allowed", "this method is not allowed on \(path.prefix(80))")
            case 413: return Problem(413, "payload_too_large", "the request body is too large")
            case 400..<500: return Problem(http.status.code, "http_\(http.status.code)", http.status.reasonPhrase)
            default: return Problem(500, "internal", "\(http)")
            }
        default:
            return Problem(500, "internal", "\(error)")
        }
    }
}

extension Problem {
    /// The problem as a client may see it when it is the server's fault: its
    /// code and a fixed sentence, none of the detail (which can name files,
    /// SQL or the state of the disk).
    var hidingDetail: Problem {
        var hidden = Problem(
            status, code, Problem.fixedDetail[code] ?? "the node could not complete the request; quote the request id to its operator",
            retryAfter: retryAfter)
        hidden.allow = allow
        return hidden
    }

    /// What a client is told for each server-side code.
    static let fixedDetail = [
        "overloaded": "the node's queue is full; retry shortly",
        "shutting_down": "the node is stopping; retry against it once it is back",
        "halted": "the node stopped writing after a storage failure; this request was not done; submit it again once the node is back",
        "outcome_unknown":
            "the node could not make this batch durable, so whether it was logged is unknown; submit the same transactions (the same ids) again once the node is back: a retry answers with the original receipt if they were logged",
        "busy": "the node is receiving too many request bodies at once; retry shortly",
    ]
}
