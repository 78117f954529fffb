import Foundation
import Hummingbird
import HummingbirdBcrypt
import LikenessCore

/// Registration, login, the caller's account, and API keys.
struct AccountRoutes: Sendable {
    let accounts: any AccountStore
    let tokens: TokenService
    let throttle: LoginThrottle
    let passwords: BlockingExecutor
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

    /// A key is minted with the caller's current password, so a stolen token alone cannot
    /// turn into lasting access; an admin may mint one for another account.
    struct NewKey: Decodable {
        var name: String
        var password: String?
        var expires_in_days: Int?
        var account_id: Int64?
    }

    struct KeyDTO: Encodable {
        var id: Int64
        var account_id: Int64
        var name: String
        var prefix: String
        var created_at: String
        var expires_at: String?
        var revoked: Bool
        var key: String?

        init(_ k: APIKey, key: String? = nil) {
            id = k.id
            account_id = k.accountID
            name = k.name
            prefix = k.prefix
            created_at = iso(k.createdAt)
            expires_at = k.expiresAt.map(iso)
            revoked = k.revokedAt != nil
            self.key = key
        }
    }

    func register(_ routes: RouterGroup<LikenessRequestContext>, v1: RouterGroup<LikenessRequestContext>) {
        routes.post("register") { request, context in try await register(request, context) }
        routes.post("login") { request, context in try await login(request, context) }
        v1.post("accounts") { request, context in try await register(request, context) }
        v1.post("auth/login") { request, context in try await login(request, context) }
        v1.get("accounts/me") { _, context in
            let me = try context.requireViewer()
            guard let account = try await accounts.account(id: me.accountID) else { throw APIError.unauthorized }
            return try json(AccountDTO(account))
        }
        v1.post("api-keys") { request, context in try await createKey(request, context) }
        v1.get("api-keys") { _, context in
            let me = try context.requireViewer()
            return try json(try await accounts.apiKeys(accountID: me.accountID).map { KeyDTO($0) })
        }
        v1.delete("api-keys/:id") { _, context in
            let me = try context.requireViewer()
            guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError.badRequest("invalid_id", "the key id must be an integer") }
            try await accounts.revokeAPIKey(id: id, accountID: me.accountID)
            return Response(status: .noContent)
        }
    }

    func createKey(_ request: Request, _ context: LikenessRequestContext) async throws -> Response {
        let me = try context.requireViewer()
        guard !me.viaAPIKey else { throw APIError.forbidden("an API key cannot create API keys; log in with a password") }
        let body = try await decodeJSON(NewKey.self, from: request, limit: 1 << 16)
        guard !body.name.isEmpty, body.name.utf8.count <= 128, CredentialPolicy.isPrintable(body.name) else {
            throw APIError.badRequest("invalid", "name must be 1-128 bytes without control characters")
        }
        var owner = me.accountID
        if let other = body.account_id, other != me.accountID {
            guard me.role == .admin else { throw APIError.forbidden("only an admin may create keys for another account") }
            guard try await accounts.account(id: other) != nil else { throw APIError.notFound("no account \(other)") }
            owner = other
        }
        var expiresAt: Int64?
        if let days = body.expires_in_days {
            guard (1...3650).contains(days) else { throw APIError.badRequest("invalid_parameter", "expires_in_days must be 1-3650") }
            expiresAt = Int64((Date().timeIntervalSince1970 + Double(days) * 86400) * 1000)
        }
        // The fresh password: a stolen token alone cannot mint lasting access.
        guard let password = body.password, !password.isEmpty else {
            throw APIError.badRequest("password_required", "confirm with your current password in 'password'")
        }
        guard let account = try await accounts.account(id: me.accountID) else { throw APIError.unauthorized }
        if let wait = await throttle.begin(username: account.username, address: context.clientAddress) {
            throw APIError(.tooManyRequests, "too_many_attempts", "too many failed password checks; wait \(wait) s", retryAfter: wait)
        }
        let valid: Bool
        do {
            if CredentialPolicy.isAcceptable(password: password) {
                valid = try await passwords.run { Bcrypt.verify(password, hash: account.passwordHash) }
            } else {
                valid = false
            }
        } catch {
            await throttle.withdraw(username: account.username, address: context.clientAddress)
            throw APIError.from(error)
        }
        guard valid else { throw APIError(.forbidden, "bad_credentials", "the password is wrong") }
        await throttle.succeeded(username: account.username, address: context.clientAddress)
        let (key, prefix, hash) = TokenService.newAPIKey()
        let stored = try await accounts.createAPIKey(accountID: owner, name: body.name, prefix: prefix, keyHash: hash, expiresAt: expiresAt)
        return try json(KeyDTO(stored, key: key), status: .created)
    }

    /// The first account becomes admin; later ones need an admin, unless registration is open
    /// (then they are viewers).
    func register(_ request: Request, _ context: LikenessRequestContext) async throws -> Response {
        let body = try await credentials(request)
        let username = try validate(body)
        if try await accounts.accountCount() == 0 {
            let hash = try await hashPassword(body.password)
            // Counted and inserted in one transaction: of two racing first registrations, one wins.
            if let account = try await accounts.createFirstAdmin(username: username, passwordHash: hash) {
                return try json(AccountDTO(account), status: .created)
            }
        }
        var role = Role.viewer
        if context.identity?.role == .admin {
            if let asked = body.role {
                guard let parsed = Role(rawValue: asked) else { throw APIError.badRequest("invalid_role", "role must be admin, operator or viewer") }
                role = parsed
            }
        } else if !configuration.openRegistration {
            throw context.identity == nil ? APIError.unauthorized : APIError.forbidden("only an admin may register accounts")
        }
        let hash = try await hashPassword(body.password)
        do {
            let account = try await accounts.createAccount(username: username, passwordHash: hash, role: role)
            return try json(AccountDTO(account), status: .created)
        } catch {
            throw APIError.from(error)
        }
    }

    func login(_ request: Request, _ context: LikenessRequestContext) async throws -> Response {
        let body = try await credentials(request)
        let address = context.clientAddress
        // A name that can never be an account still counts against the address.
        let username = CredentialPolicy.username(body.username) ?? ""
        if let wait = await throttle.begin(username: username, address: address) {
            throw APIError(.tooManyRequests, "too_many_attempts", "too many failed logins; wait \(wait) s", retryAfter: wait)
        }
        let badCredentials = APIError(.unauthorized, "bad_credentials", "wrong username or password")
        guard !username.isEmpty, CredentialPolicy.isAcceptable(password: body.password) else { throw badCredentials }
        let account: Account?
        let valid: Bool
        do {
            account = try await accounts.account(username: username)
            let storedHash = account?.passwordHash ?? dummyHash
            valid = try await passwords.run { Bcrypt.verify(body.password, hash: storedHash) }
        } catch {
            await throttle.withdraw(username: username, address: address)
            throw APIError.from(error)
        }
        guard valid, let account, !account.disabled else { throw badCredentials }
        await throttle.succeeded(username: username, address: address)
        let (token, expiresIn) = try await tokens.issue(for: account)
        return try json(TokenDTO(access_token: token, expires_in: expiresIn, role: account.role.rawValue))
    }

    private func hashPassword(_ password: String) async throws -> String {
        do {
            return try await passwords.run { [cost = configuration.bcryptCost] in Bcrypt.hash(password, cost: cost) }
        } catch {
            throw APIError.from(error)
        }
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

    /// The canonical username, or a 400 saying what is wrong.
    func validate(_ c: Credentials) throws -> String {
        guard let username = CredentialPolicy.username(c.username) else {
            throw APIError.badRequest("invalid_username", "username must be 1-64 bytes without spaces or control characters")
        }
        guard CredentialPolicy.isAcceptable(password: c.password) else {
            throw APIError.badRequest("invalid_password", "password must be 8-72 bytes without control characters")
        }
        return username
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
