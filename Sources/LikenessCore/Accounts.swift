public enum Role: String, Sendable, Codable, CaseIterable {
    /// Everything, accounts included.
    case admin
    /// Enroll, edit and delete people and faces.
    case `operator`
    /// Query only.
    case viewer
}

public struct Account: Sendable, Equatable {
    public var id: Int64
    public var username: String
    public var passwordHash: String
    public var role: Role
    public var disabled: Bool
    public var createdAt: Int64
    public var updatedAt: Int64
    /// Login tokens carry the version they were issued under; raising it (a password change,
    /// a disable, a logout) ends every one of them at once.
    public var tokenVersion: Int64

    public init(id: Int64, username: String, passwordHash: String, role: Role, disabled: Bool, createdAt: Int64, updatedAt: Int64,
                tokenVersion: Int64 = 0) {
        self.tokenVersion = tokenVersion
        self.id = id
        self.username = username
        self.passwordHash = passwordHash
        self.role = role
        self.disabled = disabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An API key as stored: only its hash; the key itself is shown once, when created.
public struct APIKey: Sendable, Equatable {
    public var id: Int64
    public var accountID: Int64
    public var name: String
    /// The first characters of the key, so users can tell keys apart.
    public var prefix: String
    public var keyHash: String
    public var createdAt: Int64
    public var revokedAt: Int64?
    /// Milliseconds since 1970 after which the key no longer works; nil for never.
    public var expiresAt: Int64?

    public init(id: Int64, accountID: Int64, name: String, prefix: String, keyHash: String, createdAt: Int64, revokedAt: Int64?,
                expiresAt: Int64? = nil) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.prefix = prefix
        self.keyHash = keyHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.expiresAt = expiresAt
    }
}

public protocol AccountStore: Sendable {
    func createAccount(username: String, passwordHash: String, role: Role) async throws -> Account
    func account(username: String) async throws -> Account?
    func account(id: Int64) async throws -> Account?
    func accountCount() async throws -> Int
    /// Every account, oldest first (an organisation has tens or hundreds, not millions).
    func accounts() async throws -> [Account]
    /// Creates an admin only if there is no account yet, counting and inserting in one
    /// transaction; nil when another account exists (two racing first registrations get one admin).
    func createFirstAdmin(username: String, passwordHash: String) async throws -> Account?
    /// A new password or a disable also raises the token version, in the same statement.
    func updateAccount(id: Int64, passwordHash: String?, role: Role?, disabled: Bool?) async throws -> Account
    /// Ends every login token of the account (API keys are revoked one by one).
    func revokeTokens(accountID: Int64) async throws
    /// Deletes the account with its API keys.
    func deleteAccount(id: Int64) async throws
    func createAPIKey(accountID: Int64, name: String, prefix: String, keyHash: String, expiresAt: Int64?) async throws -> APIKey
    /// A live (neither revoked nor expired) key by its hash, with its account.
    func apiKey(hash: String) async throws -> (APIKey, Account)?
    func apiKeys(accountID: Int64) async throws -> [APIKey]
    func revokeAPIKey(id: Int64, accountID: Int64) async throws
}
