import Foundation
import HTTPTypes
import Hummingbird

/// The web console (`/console/`) and the API docs page (`/docs`), from files compiled into the
/// binary. The pages call only the public `/v1` API with the user's token, so they need no
/// route of their own; what they need from the server is a strict Content-Security-Policy.
struct ConsoleController: Sendable {
    typealias Context = LikenessRequestContext

    struct Asset: Sendable {
        var body: ByteBuffer
        var contentType: String
        var etag: String
    }

    /// Scripts and styles from this origin only (no inline code), images from uploads (blob:)
    /// and the webcam, requests to this server only, and no framing.
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:",
        "media-src 'self' blob: mediastream:", "connect-src 'self'", "base-uri 'none'", "form-action 'none'",
        "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static let assets: [String: Asset] = {
        var out: [String: Asset] = [:]
        for (name, encoded) in ConsoleAssets.base64 {
            guard let data = Data(base64Encoded: encoded) else { continue }
            out[name] = Asset(body: ByteBuffer(bytes: data), contentType: contentType(of: name), etag: "\"\(fnv1a(data))\"")
        }
        return out
    }()

    static func contentType(of name: String) -> String {
        switch (name as NSString).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }

    /// A content hash for ETags: the files change only with the binary.
    static func fnv1a(_ data: Data) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in data { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }

    func addRoutes(to root: RouterGroup<Context>) {
        // The router ignores a trailing slash, so `/console` and `/console/` are one route: the
        // page names its files by absolute path.
        root.get("/", use: { _, _ in Self.redirect("/console/") })
            .get("console", use: { request, _ in try Self.serve("index.html", request) })
            .get("console/:file", use: { request, context in
                try Self.serve(context.parameters.require("file"), request)
            })
            .get("docs", use: { request, _ in try Self.serve("docs.html", request) })
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .found, headers: [.location: location])
    }

    static func serve(_ name: String, _ request: Request) throws -> Response {
        guard let asset = assets[name] else { throw APIError(.notFound, "not_found", "no console file '\(name)'") }
        let headers: HTTPFields = [
            .contentType: asset.contentType, .eTag: asset.etag, .cacheControl: "no-cache",
            .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff",
            .referrerPolicy: "no-referrer", .xFrameOptions: "DENY",
        ]
        if request.headers[.ifNoneMatch] == asset.etag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }
}
