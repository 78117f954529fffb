import LikenessCore
import Foundation

/// The one setting that picks the backend: `sqlite:///path/to/likeness.db` (or
/// `sqlite://relative.db`) or `mysql://user:pass@host:3306/database` (`mariadb://` too).
public enum DatabaseURL: Sendable, Equatable {
    case sqlite(path: String)
    case mysql(host: String, port: Int, user: String, password: String, database: String)

    public init(_ text: String) throws {
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw StoreError.invalid("database_url: sqlite path missing") }
            self = .sqlite(path: path)
            return
        }
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["mysql", "mariadb"].contains(scheme) else {
            throw StoreError.invalid("database_url must start with sqlite:// or mysql://")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard let host = url.host, !host.isEmpty, !database.isEmpty else {
            throw StoreError.invalid("database_url: mysql://user:pass@host:port/database expected")
        }
        self = .mysql(host: host, port: url.port ?? 3306, user: url.user?.removingPercentEncoding ?? "root",
                      password: url.password?.removingPercentEncoding ?? "", database: database)
    }

    /// For logs: the URL without its password.
    public var redacted: String {
        switch self {
        case let .sqlite(path): "sqlite://\(path)"
        case let .mysql(host, port, user, _, database): "mysql://\(user):***@\(host):\(port)/\(database)"
        }
    }
}
