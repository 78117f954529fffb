import Hummingbird

/// Turns every error into the API's JSON error; anything unexpected is logged and answered
/// as a 500 without internals.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let api = APIError.from(error)
            if api.status == .internalServerError {
                context.logger.error("unexpected error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            throw api
        }
    }
}
