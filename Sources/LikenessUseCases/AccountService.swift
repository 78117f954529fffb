import Foundation
import HummingbirdBcrypt

/// A login token as issued.
public struct IssuedToken: Sendable {
    public var token: String
    public var expiresIn: Int
    public var role: Role
}

/// Registration, login, credentials and API keys: the credential policy, the login throttle and
/// bcrypt on its own bounded executor.
public struct AccountService: Sendable {
    public let accounts: any AccountStore
    public let tokens: TokenService
    let throttle: LoginThrottle
    let passwords: BlockingExecutor
    let settings: UseCaseSettings
    /// Checked when the username does not exist, so timing does not reveal which usernames exist.
    let dummyHash: String

    public init(accounts: any AccountStore, secret: [UInt8], executors: WorkExecutors, settings: UseCaseSettings) async throws {
        self.accounts = accounts
        tokens = await TokenService(secret: secret, lifetimeSeconds: settings.tokenLifetimeSeconds)
        throttle = LoginThrottle(freePerPair: settings.loginFailuresPerPair, freePerAddress: settings.loginFailuresPerAddress)
        passwords = executors.passwords
        self.settings = settings
        dummyHash = try await executors.passwords.run { [cost = settings.bcryptCost] in Bcrypt.hash("not a password", cost: cost) }
    }

    /// The first account becomes admin (counted and inserted in one transaction); later ones
    /// need an admin, who may choose the role, unless registration is open (then viewers).
    public func register(username raw: String, password: String, role asked: String?, caller: Identity?) async throws -> Account {
        let username = try validate(username: raw, password: password)
        var hash: String?
        if try await accounts.accountCount() == 0 {
            hash = try await hashPassword(password)
            if let account = try await accounts.createFirstAdmin(username: username, passwordHash: hash!) { return account }
        }
        var role = Role.viewer
        if caller?.role == .admin {
            if let asked {
                guard let parsed = Role(rawValue: asked) else {
                    throw DomainError.invalid(code: "invalid_role", message: "role must be admin, operator or viewer")
                }
                role = parsed
            }
        } else if !settings.openRegistration {
            guard caller != nil else {
                throw DomainError.unauthenticated(code: "unauthorized", message: "a valid bearer token or API key is required")
            }
            throw DomainError.forbidden(code: "forbidden", message: "only an admin may register accounts")
        }
        // Another request became the first account meanwhile: the hash already made still serves.
        let passwordHash: String
        if let hash { passwordHash = hash } else { passwordHash = try await hashPassword(password) }
        return try await accounts.createAccount(username: username, passwordHash: passwordHash, role: role)
    }

    /// A token for the right password; failures slow down per (username, client) and per client.
    public func login(username raw: String, password: String, client: String) async throws -> IssuedToken {
        // A name that can never be an account still counts against the client.
        let username = CredentialPolicy.username(raw) ?? ""
        guard let account = try await checkPassword(password, username: username, client: client, attempts: "logins",
                                                    account: { try await accounts.account(username: username) }) else {
            throw DomainError.unauthenticated(code: "bad_credentials", message: "wrong username or password")
        }
        let (token, expiresIn) = try await tokens.issue(for: account)
        return IssuedToken(token: token, expiresIn: expiresIn, role: account.role)
    }

    /// Who a bearer credential (a login token, or an API key starting with `lk_`) names. The
    /// account is read each time, so a disabled account or a changed role takes effect at once.
    public func authenticate(_ credential: String) async throws -> Identity {
        if credential.hasPrefix("lk_") {
            guard credential.utf8.count <= 128,
                  let (_, account) = try await accounts.apiKey(hash: TokenService.sha256Hex(Array(credential.utf8))), !account.disabled else {
                throw DomainError.unauthenticated(code: "bad_token", message: "unknown or revoked API key")
            }
            return Identity(accountID: account.id, username: account.username, role: account.role, viaAPIKey: true)
        }
        guard credential.utf8.count <= 4096, let (id, _, version) = await tokens.verify(credential) else {
            throw DomainError.unauthenticated(code: "bad_token", message: "the token is invalid or expired")
        }
        guard let account = try await accounts.account(id: id), !account.disabled else {
            throw DomainError.unauthenticated(code: "bad_token", message: "the account is disabled or gone")
        }
        guard account.tokenVersion == version else {
            throw DomainError.unauthenticated(code: "bad_token", message: "the token was revoked (logout or password change); log in again")
        }
        return Identity(accountID: account.id, username: account.username, role: account.role)
    }

    public func account(of identity: Identity) async throws -> Account {
        guard let account = try await accounts.account(id: identity.accountID) else {
            throw DomainError.unauthenticated(code: "unauthorized", message: "the account is gone")
        }
        return account
    }

    /// A new API key, shown once: confirmed with the caller's current password (a stolen token
    /// alone cannot mint lasting access), never by another key; an admin may mint for another
    /// account; optionally expiring.
    public func createKey(for identity: Identity, name: String, password: String?, expiresInDays: Int?, accountID: Int64?,
                          client: String) async throws -> (key: APIKey, secret: String) {
        guard !identity.viaAPIKey else {
            throw DomainError.forbidden(code: "forbidden", message: "an API key cannot create API keys; log in with a password")
        }
        guard !name.isEmpty, name.utf8.count <= 128, CredentialPolicy.isPrintable(name) else {
            throw DomainError.invalid(code: "invalid", message: "name must be 1-128 bytes without control characters")
        }
        var owner = identity.accountID
        if let other = accountID, other != identity.accountID {
            guard identity.role == .admin else {
                throw DomainError.forbidden(code: "forbidden", message: "only an admin may create keys for another account")
            }
            guard try await accounts.account(id: other) != nil else { throw DomainError.notFound("no account \(other)") }
            owner = other
        }
        var expiresAt: Int64?
        if let days = expiresInDays {
            guard (1...3650).contains(days) else { throw DomainError.invalid(code: "invalid_parameter", message: "expires_in_days must be 1-3650") }
            expiresAt = Int64((Date().timeIntervalSince1970 + Double(days) * 86400) * 1000)
        }
        guard let password, !password.isEmpty else {
            throw DomainError.invalid(code: "password_required", message: "confirm with your current password in 'password'")
        }
        let account = try await self.account(of: identity)
        guard try await checkPassword(password, username: account.username, client: client, attempts: "password checks",
                                      account: { account }) != nil else {
            throw DomainError.forbidden(code: "bad_credentials", message: "the password is wrong")
        }
        let (secret, prefix, hash) = TokenService.newAPIKey()
        let key = try await accounts.createAPIKey(accountID: owner, name: name, prefix: prefix, keyHash: hash, expiresAt: expiresAt)
        return (key, secret)
    }

    public func keys(of identity: Identity) async throws -> [APIKey] { try await accounts.apiKeys(accountID: identity.accountID) }

    public func revokeKey(_ id: Int64, of identity: Identity) async throws { try await accounts.revokeAPIKey(id: id, accountID: identity.accountID) }

    /// Whether the account store answers (readiness).
    public func isReachable() async -> Bool { (try? await accounts.accountCount()) != nil }

    /// The canonical username, or what is wrong.
    func validate(username raw: String, password: String) throws -> String {
        guard let username = CredentialPolicy.username(raw) else {
            throw DomainError.invalid(code: "invalid_username", message: "username must be 1-64 bytes without spaces or control characters")
        }
        guard CredentialPolicy.isAcceptable(password: password) else {
            throw DomainError.invalid(code: "invalid_password", message: "password must be 8-72 bytes without control characters")
        }
        return username
    }

    /// A password checked under the login throttle: the attempt is counted before bcrypt runs,
    /// forgiven when right, withdrawn when the server could not decide (busy, database down). An
    /// unknown account is checked against a dummy hash, so timing tells nothing. Answers the
    /// account when the password is right and the account enabled.
    func checkPassword(_ password: String, username: String, client: String, attempts: String,
                               account lookup: () async throws -> Account?) async throws -> Account? {
        if let wait = await throttle.begin(username: username, address: client) {
            throw DomainError.throttled(retryAfter: wait, message: "too many failed \(attempts); wait \(wait) s")
        }
        guard !username.isEmpty, CredentialPolicy.isAcceptable(password: password) else { return nil }
        let account: Account?
        let valid: Bool
        do {
            account = try await lookup()
            let storedHash = account?.passwordHash ?? dummyHash
            valid = try await passwords.run { Bcrypt.verify(password, hash: storedHash) }
        } catch {
            await throttle.withdraw(username: username, address: client)
            throw error
        }
        guard valid, let account, !account.disabled else { return nil }
        await throttle.succeeded(username: username, address: client)
        return account
    }

    func hashPassword(_ password: String) async throws -> String {
        try await passwords.run { [cost = settings.bcryptCost] in Bcrypt.hash(password, cost: cost) }
    }
}
