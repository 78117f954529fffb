import Foundation

/// What an admin does to other accounts: list them, change a role, disable or enable, reset a
/// password. A change that would leave no enabled admin is refused, so nobody locks the
/// organisation out of its own server.
extension AccountService {
    public func allAccounts() async throws -> [Account] { try await accounts.accounts() }

    public func update(account id: Int64, role asked: String?, disabled: Bool?, password: String?) async throws -> Account {
        guard let current = try await accounts.account(id: id) else { throw DomainError.notFound("no account \(id)") }
        var role: Role?
        if let asked {
            guard let parsed = Role(rawValue: asked) else {
                throw DomainError.invalid(code: "invalid_role", message: "role must be admin, operator or viewer")
            }
            role = parsed
        }
        if (role.map { $0 != .admin } ?? false) || disabled == true { try await ensureAnotherAdmin(than: current) }
        var hash: String?
        if let password {
            _ = try validate(username: current.username, password: password)
            hash = try await hashPassword(password)
        }
        return try await accounts.updateAccount(id: id, passwordHash: hash, role: role, disabled: disabled)
    }

    /// Deletes an account and its API keys; its tokens stop working with it. The last enabled
    /// admin stays.
    public func delete(account id: Int64) async throws {
        guard let current = try await accounts.account(id: id) else { throw DomainError.notFound("no account \(id)") }
        try await ensureAnotherAdmin(than: current)
        try await accounts.deleteAccount(id: id)
    }

    /// The caller's own password, confirmed with the current one (a stolen token alone cannot
    /// take the account over). Every login token of the account ends, and a fresh one for this
    /// session is answered.
    public func changePassword(of identity: Identity, current: String, new: String, client: String) async throws -> IssuedToken {
        let account = try await self.account(of: identity)
        _ = try validate(username: account.username, password: new)
        guard try await checkPassword(current, username: account.username, client: client, attempts: "password checks",
                                      account: { try await accounts.account(id: account.id) }) != nil else {
            throw DomainError.forbidden(code: "wrong_password", message: "the current password is wrong")
        }
        let updated = try await accounts.updateAccount(id: account.id, passwordHash: try await hashPassword(new), role: nil, disabled: nil)
        let (token, expiresIn) = try await tokens.issue(for: updated)
        return IssuedToken(token: token, expiresIn: expiresIn, role: updated.role)
    }

    /// Refuses a change that takes `account`'s admin rights away when no other enabled admin is left.
    private func ensureAnotherAdmin(than account: Account) async throws {
        guard account.role == .admin && !account.disabled else { return }
        let admins = try await accounts.accounts().filter { $0.role == .admin && !$0.disabled }
        guard admins.count > 1 else {
            throw DomainError.conflict("\(account.username) is the last enabled admin; make another admin first")
        }
    }

    /// Ends every login token of the caller's account: logging out here logs out everywhere,
    /// since tokens are not stored. API keys are left alone.
    public func logout(_ identity: Identity) async throws {
        try await accounts.revokeTokens(accountID: identity.accountID)
    }
}
