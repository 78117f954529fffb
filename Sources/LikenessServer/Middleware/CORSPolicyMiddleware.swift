import HTTPTypes
import Hummingbird

/// Cross-origin access for browser apps on other origins, off unless origins are configured.
/// Hummingbird's CORSMiddleware does the work; this decides which origins it may answer, since
/// its own list (`oneOf`) takes only literal arguments. A request from another origin passes
/// through with no CORS headers, so the browser keeps its same-origin rule.
struct CORSPolicyMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let origins: Set<String>
    private let cors: CORSMiddleware<Context>

    init?(origins: [String]) {
        guard !origins.isEmpty else { return nil }
        self.origins = Set(origins)
        // Tokens travel in Authorization, never in cookies, so credentials stay off.
        cors = CORSMiddleware(
            allowOrigin: origins.contains("*") ? .all : .originBased,
            allowHeaders: [.accept, .authorization, .contentType, .origin, .ifNoneMatch],
            allowMethods: [.get, .post, .put, .patch, .delete, .head, .options],
            allowCredentials: false,
            exposedHeaders: ["X-Total-Count", "Retry-After", "ETag", "X-Request-Id"],
            maxAge: .seconds(600))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains("*") || origins.contains(origin) else {
            return try await next(request, context)
        }
        return try await cors.handle(request, context: context, next: next)
    }
}
