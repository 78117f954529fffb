import Hummingbird
import LikenessCore

/// Counts the requests in hand that may need a core (every method but GET, HEAD and OPTIONS),
/// from their head to their handler's answer, as the inference engine's sign of load
/// (`InferenceDemand`): a request's passes spread over every core only while it is the only one,
/// so an upload that is still being read, or one between its analysis and its search, keeps
/// another request from taking both cores. Health checks and metric scrapes do not count.
struct DemandMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        switch request.method {
        case .get, .head, .options: return try await next(request, context)
        default: return try await InferenceDemand.shared.counting { try await next(request, context) }
        }
    }
}
