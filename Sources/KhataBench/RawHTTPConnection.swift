import Foundation
import KhataClient

#if canImport(Glibc)
    import Glibc
#endif

/// One keep-alive HTTP/1.1 connection over a plain TCP socket, for the load
/// generator: far cheaper per request than URLSession, so the generator can offer
/// rates the node (not the client) limits. Handles `Content-Length` responses only.
final class RawHTTPConnection {
    let descriptor: Int32
    private let host: String
    private var buffer: [UInt8] = []

    init(host: String, port: UInt16) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BlockingHTTP.Failure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            close(descriptor)
            throw BlockingHTTP.Failure("the load generator connects to IPv4 addresses only, not \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw BlockingHTTP.Failure("cannot connect to \(host):\(port): \(String(cString: strerror(errno)))")
        }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.descriptor = descriptor
        self.host = host
    }

    deinit { close(descriptor) }

    /// Sends a POST and reads the whole response; returns its status.
    func post(_ path: String, contentType: String, body: [UInt8]) throws -> Int {
        try sendRequest(path, contentType: contentType, body: body)
        while true {
            if let status = try takeResponse() { return status }
            try fill()
        }
    }

    /// Sends a GET and reads the whole response; returns its status.
    func get(_ path: String) throws -> Int {
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard n > 0 else { throw BlockingHTTP.Failure("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
        while true {
            if let status = try takeResponse() { return status }
            try fill()
        }
    }

    /// Sends a POST without waiting for its answer (requests are small enough
    /// for the socket's buffer, so this does not wait either).
    func sendRequest(_ path: String, contentType: String, body: [UInt8]) throws {
        let head = "POST \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\r\n"
        let request = Array(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard n > 0 else { throw BlockingHTTP.Failure("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    /// Reads what has arrived without waiting (after `poll` said it is readable).
    func readAvailable() throws {
        try fill()
    }

    /// The status of the first complete response buffered, removing it; nil if
    /// none is complete yet.
    func takeResponse() throws -> Int? {
        guard let end = headerEnd() else { return nil }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw BlockingHTTP.Failure("a malformed response")
        }
        let length =
            lines.dropFirst().compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
        guard buffer.count >= end + 4 + length else { return nil }
        buffer.removeFirst(end + 4 + length)
        return status
    }

    private func headerEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 { return i }
        return nil
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let n = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw BlockingHTTP.Failure("the node closed the connection") }
        buffer += chunk[..<n]
    }
}
