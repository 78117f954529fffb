import Hummingbird
import Metrics

/// Turns every error into the API's JSON error; anything unexpected is logged and answered
/// as a 500 without internals. Each code is counted (`likeness_errors_total`): 503 `busy` is
/// the inference queue's rejections, `database_unavailable` and `storage_full` the store's.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let api = APIError.from(error)
            Counter(label: "likeness_errors_total", dimensions: [("code", api.code), ("status", String(api.status.code))]).increment()
            if api.status == .internalServerError {
                context.logger.error("unexpected error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            throw api
        }
    }
}
