import Foundation
import Hummingbird
import LikenessUseCases

/// Registration, login, the caller's account, and API keys.
struct AccountController: Sendable {
    typealias Context = LikenessRequestContext
    let accounts: AccountService

    func addRoutes(api: RouterGroup<Context>, v1: RouterGroup<Context>) {
        // Open: registration decides itself who may register (the first account, admins, or
        // anyone with open registration).
        api.post("register", use: register)
        api.post("login", use: login)
        v1.post("accounts", use: register)
        v1.post("auth/login", use: login)
        v1.group().add(middleware: RequireRole.viewer)
            .get("accounts/me", use: me)
            .post("accounts/me/password", use: changePassword)
            .post("logout", use: logout)
            .post("api-keys", use: createKey)
            .get("api-keys", use: keys)
            .delete("api-keys/:id", use: revokeKey)
        v1.group().add(middleware: RequireRole.admin)
            .get("accounts", use: list)
            .patch("accounts/:id", use: update)
            .delete("accounts/:id", use: delete)
    }

    struct PasswordChange: Decodable {
        var current_password: String
        var new_password: String
    }

    @Sendable func changePassword(_ request: Request, context: Context) async throws -> TokenDTO {
        let body = try await request.decode(as: PasswordChange.self, context: context)
        let token = try await accounts.changePassword(of: try context.requireIdentity(), current: body.current_password, new: body.new_password,
                                                      client: context.clientAddress)
        return TokenDTO(access_token: token.token, expires_in: token.expiresIn, role: token.role.rawValue)
    }

    @Sendable func logout(_ request: Request, context: Context) async throws -> HTTPResponse.Status {
        try await accounts.logout(try context.requireIdentity())
        return .noContent
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> HTTPResponse.Status {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError.badRequest("invalid_id", "the account id must be an integer") }
        try await accounts.delete(account: id)
        return .noContent
    }

    struct AccountChange: Decodable {
        var role: String?
        var disabled: Bool?
        var password: String?
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> [AccountDTO] {
        try await accounts.allAccounts().map(AccountDTO.init)
    }

    /// An admin changes another account's role, disables or enables it, or resets its password.
    @Sendable func update(_ request: Request, context: Context) async throws -> AccountDTO {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError.badRequest("invalid_id", "the account id must be an integer") }
        let body = try await request.decode(as: AccountChange.self, context: context)
        return AccountDTO(try await accounts.update(account: id, role: body.role, disabled: body.disabled, password: body.password))
    }

    struct Credentials: Decodable {
        var username: String
        var password: String
        var role: String?
    }

    struct TokenDTO: ResponseCodable {
        var access_token: String
        var token_type = "bearer"
        var expires_in: Int
        var role: String
    }

    struct AccountDTO: ResponseCodable {
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

    struct NewKey: Decodable {
        var name: String
        var password: String?
        var expires_in_days: Int?
        var account_id: Int64?
    }

    struct KeyDTO: ResponseCodable {
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

    @Sendable func register(_ request: Request, context: Context) async throws -> EditedResponse<AccountDTO> {
        let body = try await request.decode(as: Credentials.self, context: context)
        let account = try await accounts.register(username: body.username, password: body.password, role: body.role, caller: context.identity)
        return EditedResponse(status: .created, response: AccountDTO(account))
    }

    @Sendable func login(_ request: Request, context: Context) async throws -> TokenDTO {
        let body = try await request.decode(as: Credentials.self, context: context)
        let token = try await accounts.login(username: body.username, password: body.password, client: context.clientAddress)
        return TokenDTO(access_token: token.token, expires_in: token.expiresIn, role: token.role.rawValue)
    }

    @Sendable func me(_ request: Request, context: Context) async throws -> AccountDTO {
        AccountDTO(try await accounts.account(of: try context.requireIdentity()))
    }

    @Sendable func createKey(_ request: Request, context: Context) async throws -> EditedResponse<KeyDTO> {
        let body = try await request.decode(as: NewKey.self, context: context)
        let (key, secret) = try await accounts.createKey(for: try context.requireIdentity(), name: body.name, password: body.password,
                                                         expiresInDays: body.expires_in_days, accountID: body.account_id,
                                                         client: context.clientAddress)
        return EditedResponse(status: .created, response: KeyDTO(key, key: secret))
    }

    @Sendable func keys(_ request: Request, context: Context) async throws -> [KeyDTO] {
        try await accounts.keys(of: try context.requireIdentity()).map { KeyDTO($0) }
    }

    @Sendable func revokeKey(_ request: Request, context: Context) async throws -> HTTPResponse.Status {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError.badRequest("invalid_id", "the key id must be an integer") }
        try await accounts.revokeKey(id, of: try context.requireIdentity())
        return .noContent
    }
}
