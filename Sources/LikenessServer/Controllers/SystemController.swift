import Hummingbird
import LikenessCore
import LikenessUseCases

/// Health, readiness and the OpenAPI document (open to anyone), and `/v1/index`.
struct SystemController: Sendable {
    typealias Context = LikenessRequestContext
    let accounts: AccountService
    let gallery: GalleryService

    func addRoutes(to root: RouterGroup<Context>, v1: RouterGroup<Context>) {
        root.get("healthz", use: health)
            .get("readyz", use: ready)
            .get("openapi.json", use: openAPI)
        v1.group().add(middleware: RequireRole.viewer).get("index", use: index)
        v1.group().add(middleware: RequireRole.admin)
            .post("index/rebuild", use: rebuild)
            .post("index/optimize", use: optimize)
    }

    struct Status: ResponseCodable {
        var status: String
        var faces: String?
    }

    @Sendable func health(_ request: Request, context: Context) async throws -> Status { Status(status: "ok") }

    @Sendable func ready(_ request: Request, context: Context) async throws -> Status {
        guard await accounts.isReachable() else {
            throw APIError(.serviceUnavailable, "not_ready", "the database is not reachable", retryAfter: 5)
        }
        return Status(status: "ready", faces: String(await gallery.indexStatus.count))
    }

    @Sendable func openAPI(_ request: Request, context: Context) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }

    @Sendable func index(_ request: Request, context: Context) async throws -> IndexStatusDTO { IndexStatusDTO(await gallery.indexStatus) }

    @Sendable func rebuild(_ request: Request, context: Context) async throws -> IndexStatusDTO {
        try await gallery.rebuildIndex()
        return IndexStatusDTO(await gallery.indexStatus)
    }

    struct OptimizeRequest: Decodable {
        var kind: String?
    }

    /// Switches the kind, or rebuilds the current one (retraining IVF for the gallery's size).
    @Sendable func optimize(_ request: Request, context: Context) async throws -> IndexStatusDTO {
        // No body (or no content type): rebuild the current kind.
        let body = request.headers[.contentType] == nil ? nil : try await request.decode(as: OptimizeRequest.self, context: context)
        var kind: IndexKind?
        if let name = body?.kind {
            guard let parsed = IndexKind(setting: name) else {
                throw APIError.badRequest("invalid_kind", "kind must be one of \(IndexKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = parsed
        }
        try await gallery.rebuildIndex(kind: kind)
        return IndexStatusDTO(await gallery.indexStatus)
    }
}
