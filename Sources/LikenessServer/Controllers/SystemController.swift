import Hummingbird
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
        v1.group().add(middleware: RequireRole.admin).post("index/rebuild", use: rebuild)
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
        return Status(status: "ready", faces: String(gallery.indexStatus.count))
    }

    @Sendable func openAPI(_ request: Request, context: Context) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }

    @Sendable func index(_ request: Request, context: Context) async throws -> IndexStatusDTO { IndexStatusDTO(gallery.indexStatus) }

    @Sendable func rebuild(_ request: Request, context: Context) async throws -> IndexStatusDTO {
        try await gallery.rebuildIndex()
        return IndexStatusDTO(gallery.indexStatus)
    }
}
