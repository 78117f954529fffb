import LikenessCore

extension SQLStore {
    static let accountColumns = "id, username, password_hash, role, disabled, created_at, updated_at, token_version"

    static func account(_ r: SQLRow) -> Account {
        Account(id: r[0].int ?? 0, username: r[1].text ?? "", passwordHash: r[2].text ?? "",
                role: Role(rawValue: r[3].text ?? "") ?? .viewer, disabled: (r[4].int ?? 0) != 0,
                createdAt: r[5].int ?? 0, updatedAt: r[6].int ?? 0, tokenVersion: r[7].int ?? 0)
    }

    static let keyColumns = "id, account_id, name, prefix, key_hash, created_at, revoked_at, expires_at"

    static func key(_ r: SQLRow) -> APIKey {
        APIKey(id: r[0].int ?? 0, accountID: r[1].int ?? 0, name: r[2].text ?? "", prefix: r[3].text ?? "",
               keyHash: r[4].text ?? "", createdAt: r[5].int ?? 0, revokedAt: r[6].int, expiresAt: r[7].int)
    }

    /// The one account insert, for createAccount and createFirstAdmin.
    static func insertAccount(_ c: any SQLConnection, username: String, passwordHash: String, role: Role) throws -> Account {
        guard !username.isEmpty, username.utf8.count <= 64 else { throw StoreError.invalid("username must be 1-64 bytes") }
        let t = now()
        do {
            let (_, id) = try c.execute(
                "INSERT INTO accounts (username, password_hash, role, disabled, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)",
                [.text(username), .text(passwordHash), .text(role.rawValue), .int(t), .int(t)])
            return Account(id: id, username: username, passwordHash: passwordHash, role: role, disabled: false, createdAt: t, updatedAt: t)
        } catch StoreError.conflict {
            throw StoreError.conflict("the username \(username) is taken")
        }
    }

    public func createAccount(username: String, passwordHash: String, role: Role) async throws -> Account {
        try await pool.run { c in try Self.insertAccount(c, username: username, passwordHash: passwordHash, role: role) }
    }

    public func createFirstAdmin(username: String, passwordHash: String) async throws -> Account? {
        guard !username.isEmpty, username.utf8.count <= 64 else { throw StoreError.invalid("username must be 1-64 bytes") }
        return try await pool.run { c in
            try c.transaction { () throws -> Account? in
                // Lock a row every writer of this kind must take (SQLite's BEGIN IMMEDIATE already
                // serialises; on MariaDB the UPDATE holds the row lock until commit).
                try c.execute("UPDATE change_log_head SET position = position WHERE id = 1", [])
                guard (try c.query("SELECT COUNT(*) FROM accounts", []).first?[0].int ?? 0) == 0 else { return nil }
                return try Self.insertAccount(c, username: username, passwordHash: passwordHash, role: .admin)
            }
        }
    }

    public func account(username: String) async throws -> Account? {
        try await pool.run { c in
            try c.query("SELECT \(Self.accountColumns) FROM accounts WHERE username = ?", [.text(username)]).first.map(Self.account)
        }
    }

    public func account(id: Int64) async throws -> Account? {
        try await pool.run { c in
            try c.query("SELECT \(Self.accountColumns) FROM accounts WHERE id = ?", [.int(id)]).first.map(Self.account)
        }
    }

    public func accountCount() async throws -> Int {
        try await pool.run { c in Int(try c.query("SELECT COUNT(*) FROM accounts", []).first?[0].int ?? 0) }
    }

    public func accounts() async throws -> [Account] {
        try await pool.run { c in try c.query("SELECT \(Self.accountColumns) FROM accounts ORDER BY id", []).map(Self.account) }
    }

    public func updateAccount(id: Int64, passwordHash: String?, role: Role?, disabled: Bool?) async throws -> Account {
        try await pool.run { c in
            let (changed, _) = try c.execute("""
                UPDATE accounts SET password_hash = COALESCE(?, password_hash), role = COALESCE(?, role),
                  disabled = COALESCE(?, disabled), updated_at = ?, token_version = token_version + ? WHERE id = ?
                """, [passwordHash.map(SQLValue.text) ?? .null, role.map { .text($0.rawValue) } ?? .null,
                      disabled.map { .int($0 ? 1 : 0) } ?? .null, .int(now()),
                      .int(passwordHash != nil || disabled == true ? 1 : 0), .int(id)])
            guard changed > 0, let row = try c.query("SELECT \(Self.accountColumns) FROM accounts WHERE id = ?", [.int(id)]).first else {
                throw StoreError.notFound("no account \(id)")
            }
            return Self.account(row)
        }
    }

    public func revokeTokens(accountID: Int64) async throws {
        try await pool.run { c in
            let (changed, _) = try c.execute("UPDATE accounts SET token_version = token_version + 1 WHERE id = ?", [.int(accountID)])
            guard changed > 0 else { throw StoreError.notFound("no account \(accountID)") }
        }
    }

    public func deleteAccount(id: Int64) async throws {
        try await pool.run { c in
            try c.transaction {
                // Keys first: the cascade is the schema's, but SQLite applies it only with foreign keys on.
                try c.execute("DELETE FROM api_keys WHERE account_id = ?", [.int(id)])
                let (changed, _) = try c.execute("DELETE FROM accounts WHERE id = ?", [.int(id)])
                guard changed > 0 else { throw StoreError.notFound("no account \(id)") }
            }
        }
    }

    public func createAPIKey(accountID: Int64, name: String, prefix: String, keyHash: String, expiresAt: Int64?) async throws -> APIKey {
        try await pool.run { c in
            let t = now()
            do {
                let (_, id) = try c.execute(
                    "INSERT INTO api_keys (account_id, name, prefix, key_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [.int(accountID), .text(name), .text(prefix), .text(keyHash), .int(t), expiresAt.map(SQLValue.int) ?? .null])
                return APIKey(id: id, accountID: accountID, name: name, prefix: prefix, keyHash: keyHash, createdAt: t, revokedAt: nil,
                              expiresAt: expiresAt)
            } catch StoreError.conflict(let message) {
                // The only foreign key: the account.
                throw message.localizedCaseInsensitiveContains("foreign") ? StoreError.notFound("no account \(accountID)") : StoreError.conflict(message)
            }
        }
    }

    public func apiKey(hash: String) async throws -> (APIKey, Account)? {
        try await pool.run { c in
            guard let k = try c.query("""
                    SELECT \(Self.keyColumns) FROM api_keys
                    WHERE key_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
                    """, [.text(hash), .int(now())]).first.map(Self.key),
                let a = try c.query("SELECT \(Self.accountColumns) FROM accounts WHERE id = ?", [.int(k.accountID)]).first.map(Self.account)
            else { return nil }
            return (k, a)
        }
    }

    public func apiKeys(accountID: Int64) async throws -> [APIKey] {
        try await pool.run { c in
            try c.query("SELECT \(Self.keyColumns) FROM api_keys WHERE account_id = ? ORDER BY id", [.int(accountID)]).map(Self.key)
        }
    }

    public func revokeAPIKey(id: Int64, accountID: Int64) async throws {
        try await pool.run { c in
            let (changed, _) = try c.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND account_id = ? AND revoked_at IS NULL",
                                             [.int(now()), .int(id), .int(accountID)])
            guard changed > 0 else { throw StoreError.notFound("no live API key \(id)") }
        }
    }
}
