import LikenessCore
/// A value bound to, or read from, a SQL statement. Every value from a user is bound as a
/// parameter; SQL text is only ever built from constants.
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])

    var int: Int64? {
        switch self {
        case let .int(v): v
        case let .double(v): Int64(exactly: v.rounded(.towardZero))
        case let .text(s): Int64(s) ?? Double(s).flatMap { Int64(exactly: $0.rounded(.towardZero)) }
        // MariaDB sends DECIMAL results (SUM of integers) as their text.
        case let .blob(b): Self.text(b).int
        default: nil
        }
    }

    private static func text(_ bytes: [UInt8]) -> SQLValue { .text(String(decoding: bytes, as: UTF8.self)) }

    var double: Double? {
        switch self {
        case let .double(v): v
        case let .int(v): Double(v)
        case let .text(s): Double(s)
        default: nil
        }
    }

    var text: String? {
        switch self {
        case let .text(s): s
        case let .blob(b): String(decoding: b, as: UTF8.self)
        case let .int(v): String(v)
        default: nil
        }
    }

    var blob: [UInt8]? {
        switch self {
        case let .blob(b): b
        case let .text(s): Array(s.utf8)
        default: nil
        }
    }
}

public typealias SQLRow = [SQLValue]

/// One database connection. Not thread-safe: the pool hands it to one caller at a time.
/// Errors thrown are `StoreError`s.
protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs a statement; answers rows changed and the last inserted id.
    @discardableResult func execute(_ sql: String, _ binds: [SQLValue]) throws -> (changes: Int, lastID: Int64)
    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow]
    /// Runs several statements without parameters (migrations).
    func executeScript(_ sql: String) throws
}

extension SQLConnection {
    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try executeScript(dialect.begin)
        do {
            let result = try body()
            try executeScript("COMMIT")
            return result
        } catch {
            try? executeScript("ROLLBACK")
            throw error
        }
    }
}
