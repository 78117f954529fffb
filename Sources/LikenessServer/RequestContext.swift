import Foundation
import Hummingbird
import HummingbirdAuth
import LikenessUseCases
import NIOCore

public struct LikenessRequestContext: AuthRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Identity?
    public let remoteAddress: SocketAddress?
    /// Set by `ClientAddressMiddleware` when a trusted proxy names the client.
    var forwardedFor: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        remoteAddress = source.channel.remoteAddress
        forwardedFor = nil
    }

    /// The client's IP address, the key of per-client limits ("local" in in-process tests).
    var clientAddress: String { forwardedFor ?? remoteAddress?.ipAddress ?? "local" }

    /// Uploads are read by the handlers with their own limit.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }

    public var requestDecoder: LikenessRequestDecoder { LikenessRequestDecoder() }

    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The caller, or 401.
    func requireIdentity() throws -> Identity {
        guard let identity else { throw APIError.unauthorized }
        return identity
    }
}

/// Request bodies through Hummingbird's decoders: JSON, or an URL-encoded form (as FastAPI's
/// OAuth2 password form sends), at most 1 MB; a malformed body is a 400 saying what is wrong.
public struct LikenessRequestDecoder: RequestDecoder {
    static let limit = 1 << 20

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: Self.limit) } catch {
            throw APIError(.contentTooLarge, "body_too_large", "the request body exceeds \(Self.limit) bytes")
        }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        do {
            if contentType.hasPrefix("application/x-www-form-urlencoded") {
                return try URLEncodedFormDecoder().decode(T.self, from: String(buffer: body))
            }
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw APIError.badRequest("invalid_json", "the body is not what this endpoint expects: \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, _): "missing field '\(key.stringValue)'"
        case let DecodingError.typeMismatch(_, context): "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case let DecodingError.valueNotFound(_, context): "null at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: "malformed body"
        }
    }
}
