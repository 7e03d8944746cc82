import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A small blocking HTTP client over URLSession, for the command line and the
/// witness client, which are synchronous. Every call has a timeout.
///
/// Kept instead of async-http-client on a measurement (2026-12-03, this 2-core
/// machine): adding async-http-client to KhataClient cost 249 s of release build
/// on top of a built tree (NIOSSL with its own BoringSSL, NIOHTTP2, NIOSOCKS, the
/// client; 39 s of it rebuilding Khata's modules), against a clean release build
/// of `khata` of 352 s: about +60 %, three times the 20 % the project allows, for
/// callers that send one small request at a time and wait for it.
public enum BlockingHTTP {
    public struct Response: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    public static func request(
        _ method: String, _ url: String, body: [UInt8]? = nil, headers: [String: String] = [:], timeout: TimeInterval = 10
    ) throws -> Response {
        guard let target = URL(string: url), target.scheme == "http" || target.scheme == "https" else {
            throw Failure("\(url) is not an http(s) URL")
        }
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = method
        if let body { request.httpBody = Data(body) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(Failure("cannot reach \(url): \(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
                box.result = .success(Response(status: http.statusCode, headers: fields, body: Array(data ?? Data())))
            } else {
                box.result = .failure(Failure("no HTTP response from \(url)"))
            }
            done.signal()
        }.resume()
        done.wait()
        return try box.result!.get()
    }

    private final class Box: @unchecked Sendable {
        var result: Result<Response, Failure>?
    }
}
