import LikenessCore
import CSQLite
import Foundation

/// A SQLite connection in WAL mode, with foreign keys on and a busy timeout so concurrent
/// writers wait for each other instead of failing.
final class SQLiteConnection: SQLConnection {
    let dialect = SQLDialect.sqlite
    private var db: OpaquePointer?
    /// Prepared statements by their SQL, reset after each use: preparing the search's look-up
    /// (faces joined to people) took longer than running it. A statement in use is out of the
    /// cache, so a nested use of the same SQL prepares its own.
    private var statements: [String: OpaquePointer] = [:]
    /// Statements kept; past it, new ones are finalized after use (the IN lists of look-ups
    /// differ by their length, so their SQL comes in many variants).
    static let statementCacheLimit = 64

    init(path: String) throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            db = nil
            throw StoreError.unavailable("SQLite \(path): \(message)")
        }
        sqlite3_busy_timeout(db, 10_000)
        // FULL synchronous: an acknowledged write survives power loss, not only a crash.
        // secure_delete: a deleted face's embedding and crop are overwritten, not left in free pages.
        try executeScript("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;")
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(db)
    }

    /// Statements kept for reuse now (for tests).
    var cachedStatements: Int { statements.count }

    func executeScript(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(db, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard status == SQLITE_OK else {
            throw error(status, message.map { String(cString: $0) } ?? "")
        }
    }

    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) throws -> (changes: Int, lastID: Int64) {
        try withStatement(sql, binds) { statement in
            var status = sqlite3_step(statement)
            while status == SQLITE_ROW { status = sqlite3_step(statement) }
            guard status == SQLITE_DONE else { throw error(status) }
            return (Int(sqlite3_changes(db)), sqlite3_last_insert_rowid(db))
        }
    }

    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        try withStatement(sql, binds) { statement in
            var rows: [SQLRow] = []
            let columns = sqlite3_column_count(statement)
            while true {
                let status = sqlite3_step(statement)
                if status == SQLITE_DONE { break }
                guard status == SQLITE_ROW else { throw error(status) }
                rows.append((0..<columns).map { column(statement, $0) })
            }
            return rows
        }
    }

    private func withStatement<T>(_ sql: String, _ binds: [SQLValue], _ body: (OpaquePointer) throws -> T) throws -> T {
        let statement: OpaquePointer
        if let cached = statements.removeValue(forKey: sql) {
            statement = cached
        } else {
            var prepared: OpaquePointer?
            let status = sqlite3_prepare_v2(db, sql, -1, &prepared, nil)
            guard status == SQLITE_OK, let prepared else {
                // The message first: it is the connection's last error.
                let failure = error(status)
                sqlite3_finalize(prepared)
                throw failure
            }
            statement = prepared
        }
        defer {
            // Reset at once, so that no read transaction stays open on a kept statement (in WAL
            // mode it would hold back checkpoints), and bound blobs and texts are released.
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            if statements[sql] == nil, statements.count < Self.statementCacheLimit {
                statements[sql] = statement
            } else {
                sqlite3_finalize(statement)
            }
        }
        for (i, value) in binds.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32 = switch value {
            case .null: sqlite3_bind_null(statement, index)
            case let .int(v): sqlite3_bind_int64(statement, index, v)
            case let .double(v): sqlite3_bind_double(statement, index, v)
            case let .text(s): sqlite3_bind_text(statement, index, s, -1, likeness_sqlite_transient())
            case let .blob(b):
                b.withUnsafeBytes { sqlite3_bind_blob64(statement, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(b.count), likeness_sqlite_transient()) }
            }
            guard rc == SQLITE_OK else { throw error(rc) }
        }
        return try body(statement)
    }

    private func column(_ statement: OpaquePointer, _ i: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, i) {
        case SQLITE_INTEGER: return .int(sqlite3_column_int64(statement, i))
        case SQLITE_FLOAT: return .double(sqlite3_column_double(statement, i))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, i)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, i))
            guard count > 0, let base = sqlite3_column_blob(statement, i) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: base, count: count)))
        default: return .null
        }
    }

    private func error(_ status: Int32, _ detail: String = "") -> StoreError {
        let message = detail.isEmpty ? String(cString: sqlite3_errmsg(db)) : detail
        switch status & 0xFF {
        case SQLITE_CONSTRAINT: return .conflict(message)
        case SQLITE_FULL: return .storageFull(message)
        case SQLITE_IOERR where (status >> 8) != 0 && message.localizedCaseInsensitiveContains("disk"):
            return .storageFull(message)
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_READONLY, SQLITE_CORRUPT, SQLITE_NOTADB:
            return .unavailable("SQLite: \(message)")
        default: return .unavailable("SQLite error \(status): \(message)")
        }
    }
}
