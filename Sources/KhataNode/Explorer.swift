import Foundation
import Hummingbird
import NIOCore

/// The explorer: one self-contained page (HTML, CSS and JavaScript inline; no
/// external resources), served at `/`.
enum Explorer {
    static let page: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "index", withExtension: "html", subdirectory: "Explorer"),
            let data = try? Data(contentsOf: url)
        else { return Array("<!doctype html><title>Khata</title><p>The explorer is missing from this build.".utf8) }
        return Array(data)
    }()

    static func response() -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: page)))
    }
}
