import Hummingbird
import HummingbirdAuth
import LikenessUseCases

/// Reads `Authorization: Bearer …` (a login token, or an API key starting with `lk_`) and
/// records who is calling; `RequireRole` then guards each group of routes. Anonymous requests
/// reach only the routes that allow them; a malformed or wrong credential is a 401 at once.
struct BearerAuthenticator: AuthenticatorMiddleware {
    typealias Context = LikenessRequestContext
    let accounts: AccountService

    func authenticate(request: Request, context: Context) async throws -> Identity? {
        guard request.headers[.authorization] != nil else { return nil }
        guard let bearer = request.headers.bearer else {
            throw APIError(.unauthorized, "bad_token", "the Authorization header must be 'Bearer <token>'")
        }
        return try await accounts.authenticate(bearer.token)
    }
}

/// Lets through only callers with one of the roles: 401 without credentials, 403 with others.
struct RequireRole: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let roles: Set<Role>

    static let viewer = RequireRole(roles: [.viewer, .operator, .admin])
    static let `operator` = RequireRole(roles: [.operator, .admin])
    static let admin = RequireRole(roles: [.admin])

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let identity = try context.requireIdentity()
        guard roles.contains(identity.role) else { throw APIError.forbidden("the \(identity.role.rawValue) role may not do this") }
        return try await next(request, context)
    }
}
