/// What differs between SQLite and MariaDB/MySQL, in one place. Queries are otherwise shared.
struct SQLDialect: Sendable {
    enum Kind: Sendable { case sqlite, mysql }
    let kind: Kind

    static let sqlite = SQLDialect(kind: .sqlite)
    static let mysql = SQLDialect(kind: .mysql)

    var autoIncrementKey: String {
        kind == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"
    }
    var blob: String { kind == .sqlite ? "BLOB" : "LONGBLOB" }
    /// Text with a bounded length, indexable in MySQL.
    func varchar(_ n: Int) -> String { kind == .sqlite ? "TEXT" : "VARCHAR(\(n))" }
    var tableOptions: String { kind == .sqlite ? "" : " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin" }
    /// SQLite must take its write lock at the start, or concurrent transactions deadlock
    /// and fail instead of waiting.
    var begin: String { kind == .sqlite ? "BEGIN IMMEDIATE" : "START TRANSACTION" }
    /// Case-insensitive substring match on a column.
    func contains(_ column: String) -> String {
        kind == .sqlite ? "instr(lower(\(column)), lower(?)) > 0" : "LOCATE(LOWER(?), LOWER(\(column))) > 0"
    }
}
