import Hummingbird
import LikenessCore

/// Reads `Authorization: Bearer …` (a login token, or an API key starting with `lk_`) and
/// records who is calling. Routes then demand a role; anonymous requests reach only the routes
/// that allow them.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let tokens: TokenService
    let accounts: any AccountStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError(.unauthorized, "bad_token", "the Authorization header must be 'Bearer <token>'")
            }
            context.identity = try await identify(String(parts[1]))
        }
        return try await next(request, context)
    }

    private func identify(_ credential: String) async throws -> Identity {
        if credential.hasPrefix("lk_") {
            guard credential.utf8.count <= 128 else { throw APIError(.unauthorized, "bad_token", "unknown or revoked API key") }
            guard let (_, account) = try await accounts.apiKey(hash: TokenService.sha256Hex(Array(credential.utf8))), !account.disabled else {
                throw APIError(.unauthorized, "bad_token", "unknown or revoked API key")
            }
            return Identity(accountID: account.id, username: account.username, role: account.role, viaAPIKey: true)
        }
        guard credential.utf8.count <= 4096, let (id, _) = await tokens.verify(credential) else {
            throw APIError(.unauthorized, "bad_token", "the token is invalid or expired")
        }
        // The account is read again so a disabled account or a changed role takes effect at once.
        guard let account = try await accounts.account(id: id), !account.disabled else {
            throw APIError(.unauthorized, "bad_token", "the account is disabled or gone")
        }
        return Identity(accountID: account.id, username: account.username, role: account.role)
    }
}
