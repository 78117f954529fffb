import Foundation
import Hummingbird
import LikenessCore
import LikenessUseCases

/// Every error the API answers: a status and a stable code, as
/// `{"error": {"code": "...", "message": "..."}}`.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let body = try JSONEncoder().encode(["error": ["code": code, "message": message]])
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    static let unauthorized = APIError(.unauthorized, "unauthorized", "a valid bearer token or API key is required")
    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
    static let noFace = APIError(.unprocessableContent, "no_face", "no face was found in the image")

    static func spoof(score: Double, threshold: Double) -> APIError {
        APIError(.unprocessableContent, "spoof_detected",
                 "the face looks like a print or a screen (liveness \((score * 1000).rounded() / 1000) < \(threshold)); it was not enrolled")
    }

    /// The one place the domain's refusals become statuses and codes.
    static func from(_ e: DomainError) -> APIError {
        switch e {
        case let .notFound(m): return .notFound(m)
        case let .invalid(code, m): return .badRequest(code, m)
        case let .conflict(m): return APIError(.conflict, "conflict", m)
        case .noFace: return .noFace
        case let .spoof(score, threshold): return .spoof(score: score, threshold: threshold)
        case let .unprocessable(code, m): return APIError(.unprocessableContent, code, m)
        case let .unauthenticated(code, m): return APIError(.unauthorized, code, m)
        case let .forbidden(code, m): return APIError(.forbidden, code, m)
        case let .throttled(wait, m): return APIError(.tooManyRequests, "too_many_attempts", m, retryAfter: wait)
        case let .full(code, m): return APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), code, m)
        case let .switching(m): return APIError(.serviceUnavailable, "model_switching", m, retryAfter: 1)
        }
    }

    /// The API's reading of any error from below: user mistakes become 4xx; the rest 503/500.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let e as APIError:
            return e
        case let e as DomainError:
            return from(e)
        case let e as ImageError:
            switch e {
            case .tooLarge, .tooManyPixels: return APIError(.contentTooLarge, e.code, e.message)
            case .unsupportedFormat: return APIError(.unsupportedMediaType, e.code, e.message)
            default: return APIError(.badRequest, e.code, e.message)
            }
        case let e as StoreError:
            switch e {
            case let .conflict(m): return APIError(.conflict, "conflict", m)
            case let .notFound(m): return APIError(.notFound, "not_found", m)
            case let .invalid(m): return APIError(.badRequest, "invalid", m)
            // The store's own words name hosts, users and SQL: they go to the log, never to clients.
            case .unavailable: return APIError(.serviceUnavailable, "database_unavailable", "the database is unavailable; try again shortly", retryAfter: 5)
            case .storageFull: return APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "storage_full",
                                               "the server's storage is full; nothing was changed")
            }
        case let e as BlockingExecutor.Rejection:
            switch e {
            case .busy: return APIError(.serviceUnavailable, "busy", "the server is busy; try again shortly", retryAfter: 2)
            case .shutDown: return APIError(.serviceUnavailable, "shutting_down", "the server is shutting down", retryAfter: 5)
            }
        case is CancellationError:
            return APIError(.serviceUnavailable, "timeout", "the request was cancelled before it finished", retryAfter: 5)
        case let e as VectorIndexError:
            return APIError(.badRequest, "invalid_vector", "\(e)")
        case let e as HTTPError where e.status == .contentTooLarge:
            return APIError(.contentTooLarge, "upload_too_large", "the request body is too large")
        case let e as HTTPError:
            return APIError(e.status, "http_error", e.body ?? e.status.reasonPhrase)
        default:
            return APIError(.internalServerError, "internal", "internal error")
        }
    }
}
