import Foundation
import Hummingbird
import HummingbirdBcrypt
import LikenessCore

/// Registration, login, the caller's account, and API keys.
struct AccountRoutes: Sendable {
    let accounts: any AccountStore
    let tokens: TokenService
    let throttle: LoginThrottle
    let configuration: ServerConfiguration
    /// Checked when the username does not exist, so timing does not reveal which usernames exist.
    let dummyHash: String

    struct Credentials: Decodable {
        var username: String
        var password: String
        var role: String?
    }

    struct TokenDTO: Encodable {
        var access_token: String
        var token_type = "bearer"
        var expires_in: Int
        var role: String
    }

    struct AccountDTO: Encodable {
        var id: Int64
        var username: String
        var role: String
        var disabled: Bool
        var created_at: String
        init(_ a: Account) {
            id = a.id
            username = a.username
            role = a.role.rawValue
            disabled = a.disabled
            created_at = iso(a.createdAt)
        }
    }

    struct NewKey: Decodable { var name: String }

    struct KeyDTO: Encodable {
        var id: Int64
        var name: String
        var prefix: String
        var created_at: String
        var revoked: Bool
        var key: String?
    }

    func register(_ routes: RouterGroup<LikenessRequestContext>, v1: RouterGroup<LikenessRequestContext>) {
        routes.post("register") { request, context in try await register(request, context) }
        routes.post("login") { request, _ in try await login(request) }
        v1.post("accounts") { request, context in try await register(request, context) }
        v1.post("auth/login") { request, _ in try await login(request) }
        v1.get("accounts/me") { _, context in
            let me = try context.requireViewer()
            guard let account = try await accounts.account(id: me.accountID) else { throw APIError.unauthorized }
            return try json(AccountDTO(account))
        }
        v1.post("api-keys") { request, context in
            let me = try context.requireViewer()
            let body = try await decodeJSON(NewKey.self, from: request)
            guard !body.name.isEmpty, body.name.utf8.count <= 128 else { throw APIError.badRequest("invalid", "name must be 1-128 bytes") }
            let (key, prefix, hash) = TokenService.newAPIKey()
            let stored = try await accounts.createAPIKey(accountID: me.accountID, name: body.name, prefix: prefix, keyHash: hash)
            return try json(KeyDTO(id: stored.id, name: stored.name, prefix: prefix, created_at: iso(stored.createdAt), revoked: false, key: key),
                            status: .created)
        }
        v1.get("api-keys") { _, context in
            let me = try context.requireViewer()
            return try json(try await accounts.apiKeys(accountID: me.accountID).map {
                KeyDTO(id: $0.id, name: $0.name, prefix: $0.prefix, created_at: iso($0.createdAt), revoked: $0.revokedAt != nil, key: nil)
            })
        }
        v1.delete("api-keys/:id") { _, context in
            let me = try context.requireViewer()
            guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError.badRequest("invalid_id", "the key id must be an integer") }
            try await accounts.revokeAPIKey(id: id, accountID: me.accountID)
            return Response(status: .noContent)
        }
    }

    /// The first account becomes admin; later ones need an admin, unless registration is open
    /// (then they are viewers).
    func register(_ request: Request, _ context: LikenessRequestContext) async throws -> Response {
        let body = try await credentials(request)
        try validate(body)
        let first = try await accounts.accountCount() == 0
        var role = Role.viewer
        if first {
            role = .admin
        } else if context.identity?.role == .admin {
            if let asked = body.role {
                guard let parsed = Role(rawValue: asked) else { throw APIError.badRequest("invalid_role", "role must be admin, operator or viewer") }
                role = parsed
            }
        } else if !configuration.openRegistration {
            throw context.identity == nil ? APIError.unauthorized : APIError.forbidden("only an admin may register accounts")
        }
        let hash = await blocking { Bcrypt.hash(body.password, cost: configuration.bcryptCost) }
        do {
            let account = try await accounts.createAccount(username: body.username, passwordHash: hash, role: role)
            return try json(AccountDTO(account), status: .created)
        } catch {
            throw APIError.from(error)
        }
    }

    func login(_ request: Request) async throws -> Response {
        let body = try await credentials(request)
        if let wait = await throttle.waitBeforeAttempt(body.username) {
            throw APIError(.tooManyRequests, "too_many_attempts", "too many failed logins; wait \(wait) s", retryAfter: wait)
        }
        let account = try await accounts.account(username: body.username)
        let storedHash = account?.passwordHash ?? dummyHash
        let valid = await blocking { Bcrypt.verify(body.password, hash: storedHash) }
        guard valid, let account, !account.disabled else {
            await throttle.failed(body.username)
            throw APIError(.unauthorized, "bad_credentials", "wrong username or password")
        }
        await throttle.succeeded(body.username)
        let (token, expiresIn) = try await tokens.issue(for: account)
        return try json(TokenDTO(access_token: token, expires_in: expiresIn, role: account.role.rawValue))
    }

    /// JSON, or a form (as FastAPI's OAuth2 password form sends).
    func credentials(_ request: Request) async throws -> Credentials {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if type.hasPrefix("application/x-www-form-urlencoded") {
            let body = try await request.body.collect(upTo: 1 << 16)
            let fields = parseForm(String(decoding: body.readableBytesView, as: UTF8.self))
            guard let username = fields["username"], let password = fields["password"] else {
                throw APIError.badRequest("invalid_credentials", "username and password are required")
            }
            return Credentials(username: username, password: password, role: fields["role"])
        }
        return try await decodeJSON(Credentials.self, from: request, limit: 1 << 16)
    }

    func validate(_ c: Credentials) throws {
        guard !c.username.isEmpty, c.username.utf8.count <= 64, c.username.allSatisfy({ !$0.isWhitespace && !$0.isNewline }) else {
            throw APIError.badRequest("invalid_username", "username must be 1-64 bytes without spaces")
        }
        guard c.password.count >= 8, c.password.utf8.count <= 72 else {
            throw APIError.badRequest("invalid_password", "password must be 8-72 bytes")
        }
    }
}

func parseForm(_ text: String) -> [String: String] {
    var fields: [String: String] = [:]
    for pair in text.split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1).map {
            String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
        }
        if let key = kv.first { fields[key] = kv.count > 1 ? kv[1] : "" }
    }
    return fields
}
