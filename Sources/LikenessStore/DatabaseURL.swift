import LikenessCore
import Foundation

/// The one setting that picks the backend: `sqlite:///path/to/likeness.db` (or
/// `sqlite://relative.db`), `mysql://user:pass@host:3306/database` (`mariadb://` too) or
/// `postgres://user:pass@host:5432/database` (`postgresql://` too).
public enum DatabaseURL: Sendable, Equatable {
    case sqlite(path: String)
    case mysql(host: String, port: Int, user: String, password: String, database: String)
    case postgres(host: String, port: Int, user: String, password: String, database: String)

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
            ? .postgres(host: host, port: url.port ?? 5432, user: user, password: password, database: database)
            : .mysql(host: host, port: url.port ?? 3306, user: user, password: password, database: database)
    }

    /// The URL itself, password included: for a child process given the same database.
    public var text: String {
        func encoded(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed.subtracting(CharacterSet(charactersIn: ":@"))) ?? s }
        switch self {
        case let .sqlite(path): return "sqlite://\(path)"
        case let .mysql(host, port, user, password, database): return "mysql://\(encoded(user)):\(encoded(password))@\(host):\(port)/\(database)"
        case let .postgres(host, port, user, password, database): return "postgres://\(encoded(user)):\(encoded(password))@\(host):\(port)/\(database)"
        }
    }

    /// For logs: the URL without its password.
    public var redacted: String {
        switch self {
        case let .sqlite(path): "sqlite://\(path)"
        case let .mysql(host, port, user, _, database): "mysql://\(user):***@\(host):\(port)/\(database)"
        case let .postgres(host, port, user, _, database): "postgres://\(user):***@\(host):\(port)/\(database)"
        }
    }
}
