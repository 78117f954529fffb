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
        let losesAdmin = current.role == .admin && !current.disabled && ((role.map { $0 != .admin } ?? false) || disabled == true)
        if losesAdmin {
            let admins = try await accounts.accounts().filter { $0.role == .admin && !$0.disabled }
            guard admins.count > 1 else {
                throw DomainError.conflict("\(current.username) is the last enabled admin; make another admin first")
            }
        }
        var hash: String?
        if let password {
            _ = try validate(username: current.username, password: password)
            hash = try await hashPassword(password)
        }
        return try await accounts.updateAccount(id: id, passwordHash: hash, role: role, disabled: disabled)
    }
}
