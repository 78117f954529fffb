import LikenessCore
import Foundation

/// The one setting that picks the backend: `sqlite:///path/to/likeness.db` (or
/// `sqlite://relative.db`), `mysql://user:pass@host:3306/database` (`mariadb://` too) or
/// `postgres://user:pass@host:5432/database` (`postgresql://` too).
public enum DatabaseURL: Sendable, Equatable {
    case sqlite(path: String)
    case mysql(DatabaseServer)
    case postgres(DatabaseServer)

    public init(_ text: String) throws {
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw StoreError.invalid("database_url: sqlite path missing") }
            self = .sqlite(path: path)
            return
        }
        guard let url = URLComponents(string: text), let scheme = url.scheme,
              ["mysql", "mariadb", "postgres", "postgresql"].contains(scheme) else {
            throw StoreError.invalid("database_url must start with sqlite://, mysql:// or postgres://")
        }
        let postgres = scheme.hasPrefix("postgres")
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard let host = url.host, !host.isEmpty, !database.isEmpty else {
            throw StoreError.invalid("database_url: \(scheme)://user:pass@host:port/database expected")
        }
        let user = url.user?.removingPercentEncoding ?? (postgres ? "postgres" : "root")
        let password = url.password?.removingPercentEncoding ?? ""
        self = postgres
            ? .postgres(DatabaseServer(host: host, port: url.port ?? 5432, user: user, password: password, database: database))
            : .mysql(DatabaseServer(host: host, port: url.port ?? 3306, user: user, password: password, database: database))
    }

    /// The URL itself, password included: for a child process given the same database.
    public var text: String {
        func encoded(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed.subtracting(CharacterSet(charactersIn: ":@"))) ?? s }
        switch self {
        case let .sqlite(path): return "sqlite://\(path)"
        case let .mysql(s): return "mysql://\(encoded(s.user)):\(encoded(s.password))@\(s.host):\(s.port)/\(s.database)"
        case let .postgres(s): return "postgres://\(encoded(s.user)):\(encoded(s.password))@\(s.host):\(s.port)/\(s.database)"
        }
    }

    /// For logs: the URL without its password.
    public var redacted: String {
        switch self {
        case let .sqlite(path): "sqlite://\(path)"
        case let .mysql(s): "mysql://\(s.user):***@\(s.host):\(s.port)/\(s.database)"
        case let .postgres(s): "postgres://\(s.user):***@\(s.host):\(s.port)/\(s.database)"
        }
    }
}

/// A MariaDB or PostgreSQL server, the account and the database: what a mysql:// or
/// postgres:// URL names, and what their connections are opened with.
public struct DatabaseServer: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var database: String

    public init(host: String, port: Int, user: String, password: String, database: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// The same server and account, another database (a test's own, or a replica's copy).
    public func with(database: String) -> DatabaseServer {
        var copy = self
        copy.database = database
        return copy
    }

    /// Another server (a replica) with this account and database.
    public func at(host: String, port: Int) -> DatabaseServer {
        var copy = self
        copy.host = host
        copy.port = port
        return copy
    }
}
