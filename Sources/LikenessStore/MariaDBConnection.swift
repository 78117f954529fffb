import LikenessCore
import CMariaDB
import Foundation

/// A MariaDB/MySQL connection through Connector/C prepared statements. Its calls block, so the
/// pool runs them on its own threads, never on an event loop. Bind buffers are heap-allocated
/// and live until the statement is done: the library reads them at execute and fetch time.
final class MariaDBConnection: SQLConnection {
    let dialect = SQLDialect.mysql
    private let mysql: UnsafeMutablePointer<MYSQL>

    struct Options: Sendable, Equatable {
        var server: DatabaseServer
        var connectTimeout: Int = 5
        /// A query that neither sends nor receives for this long fails as `unavailable`, instead
        /// of holding a pool thread forever on a hung server or network.
        var readWriteTimeout: Int = 30
    }

    init(_ options: Options) throws {
        guard let handle = mysql_init(nil) else { throw StoreError.unavailable("MariaDB: out of memory") }
        mysql = handle
        var timeout = UInt32(options.connectTimeout)
        _ = mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout)
        _ = mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        var ioTimeout = UInt32(options.readWriteTimeout)
        _ = mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &ioTimeout)
        _ = mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &ioTimeout)
        // Affected rows count matched rows, so an update to identical values is not "not found".
        let flags = UInt(CLIENT_FOUND_ROWS)
        let server = options.server
        guard mysql_real_connect(mysql, server.host, server.user, server.password, server.database,
                                 UInt32(server.port), nil, flags) != nil else {
            let message = String(cString: mysql_error(mysql))
            // deinit closes the handle: the object is fully initialised, so it runs on a throw too.
            throw StoreError.unavailable("MariaDB \(server.host):\(server.port): \(message)")
        }
        // Strict mode: a value too long or out of range is an error, never silently cut.
        try executeScript("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'")
    }

    deinit { mysql_close(mysql) }

    func executeScript(_ sql: String) throws {
        guard mysql_real_query(mysql, sql, UInt(sql.utf8.count)) == 0 else {
            throw Self.error(mysql_errno(mysql), String(cString: mysql_error(mysql)))
        }
        // Drain any result so the connection is ready for the next command.
        if let result = mysql_store_result(mysql) { mysql_free_result(result) }
    }

    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) throws -> (changes: Int, lastID: Int64) {
        try withStatement(sql, binds) { statement in
            (Int(mysql_stmt_affected_rows(statement)), Int64(mysql_stmt_insert_id(statement)))
        }
    }

    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        try withStatement(sql, binds) { statement in try fetchAll(statement) }
    }

    private func withStatement<T>(_ sql: String, _ binds: [SQLValue], _ body: (UnsafeMutablePointer<MYSQL_STMT>) throws -> T) throws -> T {
        guard let statement = mysql_stmt_init(mysql) else { throw StoreError.unavailable("MariaDB: out of memory") }
        defer { mysql_stmt_close(statement) }
        guard mysql_stmt_prepare(statement, sql, UInt(sql.utf8.count)) == 0 else { throw statementError(statement) }
        let params = ParameterBuffers(binds)
        defer { params.free() }
        if !binds.isEmpty {
            guard mysql_stmt_bind_param(statement, params.binds) == 0 else { throw statementError(statement) }
        }
        guard mysql_stmt_execute(statement) == 0 else { throw statementError(statement) }
        return try body(statement)
    }

    private func fetchAll(_ statement: UnsafeMutablePointer<MYSQL_STMT>) throws -> [SQLRow] {
        guard let metadata = mysql_stmt_result_metadata(statement) else { return [] }
        defer { mysql_free_result(metadata) }
        var update: my_bool = 1
        mysql_stmt_attr_set(statement, STMT_ATTR_UPDATE_MAX_LENGTH, &update)
        guard mysql_stmt_store_result(statement) == 0 else { throw statementError(statement) }
        let count = Int(mysql_num_fields(metadata))
        let fields = mysql_fetch_fields(metadata)!
        let results = ResultBuffers(fields: fields, count: count)
        defer { results.free() }
        guard mysql_stmt_bind_result(statement, results.binds) == 0 else { throw statementError(statement) }
        var rows: [SQLRow] = []
        while true {
            let status = mysql_stmt_fetch(statement)
            if status == MYSQL_NO_DATA { break }
            guard status == 0 || status == MYSQL_DATA_TRUNCATED else { throw statementError(statement) }
            rows.append((0..<count).map { results.value($0) })
        }
        return rows
    }

    private func statementError(_ statement: UnsafeMutablePointer<MYSQL_STMT>) -> StoreError {
        Self.error(mysql_stmt_errno(statement), String(cString: mysql_stmt_error(statement)))
    }

    static func error(_ code: UInt32, _ message: String) -> StoreError {
        switch code {
        // The server's own words (which may quote values and SQL) stay out of answers to clients.
        case 1062, 1557, 1586: return .conflict("a record with the same key exists")
        case 1451, 1452: return .conflict("a foreign key constraint failed")
        case 1021, 1114: return .storageFull(message)  // disk full, table full
        case 3 where message.localizedCaseInsensitiveContains("full"), 1030 where message.localizedCaseInsensitiveContains("full"):
            return .storageFull(message)
        case 1406: return .invalid("a value is too long")
        case 1366, 1264: return .invalid("a value is out of range or of the wrong kind")
        default: return .unavailable("MariaDB error \(code): \(message)")
        }
    }
}

/// Heap copies of the parameters, alive until `free`.
private final class ParameterBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private var allocations: [UnsafeMutableRawPointer] = []
    private let count: Int

    init(_ values: [SQLValue]) {
        count = values.count
        binds = .allocate(capacity: max(values.count, 1))
        binds.initialize(repeating: MYSQL_BIND(), count: max(values.count, 1))
        for (i, value) in values.enumerated() {
            switch value {
            case .null:
                binds[i].buffer_type = MYSQL_TYPE_NULL
            case let .int(v):
                let p = allocate(8)
                p.storeBytes(of: v, as: Int64.self)
                binds[i].buffer_type = MYSQL_TYPE_LONGLONG
                binds[i].buffer = p
            case let .double(v):
                let p = allocate(8)
                p.storeBytes(of: v, as: Double.self)
                binds[i].buffer_type = MYSQL_TYPE_DOUBLE
                binds[i].buffer = p
            case let .text(s):
                setBytes(i, Array(s.utf8), MYSQL_TYPE_STRING)
            case let .blob(b):
                setBytes(i, b, MYSQL_TYPE_BLOB)
            }
        }
    }

    private func allocate(_ n: Int) -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1), alignment: 8)
        allocations.append(p)
        return p
    }

    private func setBytes(_ i: Int, _ bytes: [UInt8], _ type: enum_field_types) {
        let p = allocate(bytes.count)
        bytes.withUnsafeBytes { if !$0.isEmpty { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        binds[i].buffer_type = type
        binds[i].buffer = p
        binds[i].buffer_length = UInt(bytes.count)
        let length = allocate(MemoryLayout<UInt>.size).bindMemory(to: UInt.self, capacity: 1)
        length.pointee = UInt(bytes.count)
        binds[i].length = length
    }

    func free() {
        for p in allocations { p.deallocate() }
        binds.deinitialize(count: max(count, 1))
        binds.deallocate()
    }
}

/// Result buffers sized from each column's longest value in the stored result.
private final class ResultBuffers {
    enum Kind { case integer, real, bytes }
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let kinds: [Kind]
    private let lengths: UnsafeMutablePointer<UInt>
    private let nulls: UnsafeMutablePointer<my_bool>
    private var buffers: [UnsafeMutableRawPointer] = []
    private let count: Int

    init(fields: UnsafeMutablePointer<MYSQL_FIELD>, count: Int) {
        self.count = count
        binds = .allocate(capacity: max(count, 1))
        binds.initialize(repeating: MYSQL_BIND(), count: max(count, 1))
        lengths = .allocate(capacity: max(count, 1))
        lengths.initialize(repeating: 0, count: max(count, 1))
        nulls = .allocate(capacity: max(count, 1))
        nulls.initialize(repeating: 0, count: max(count, 1))
        var kinds: [Kind] = []
        for i in 0..<count {
            let field = fields[i]
            let kind: Kind
            switch field.type {
            case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_INT24, MYSQL_TYPE_YEAR:
                kind = .integer
            case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
                kind = .real
            default:
                kind = .bytes
            }
            kinds.append(kind)
            let size = kind == .bytes ? max(Int(field.max_length), 1) : 8
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            buffers.append(buffer)
            binds[i].buffer = buffer
            binds[i].buffer_length = UInt(size)
            binds[i].buffer_type = kind == .integer ? MYSQL_TYPE_LONGLONG : (kind == .real ? MYSQL_TYPE_DOUBLE : MYSQL_TYPE_BLOB)
            binds[i].length = lengths + i
            binds[i].is_null = nulls + i
        }
        self.kinds = kinds
    }

    func value(_ i: Int) -> SQLValue {
        if nulls[i] != 0 { return .null }
        switch kinds[i] {
        case .integer: return .int(buffers[i].load(as: Int64.self))
        case .real: return .double(buffers[i].load(as: Double.self))
        case .bytes:
            let n = min(Int(lengths[i]), Int(binds[i].buffer_length))
            return .blob(Array(UnsafeRawBufferPointer(start: buffers[i], count: n)))
        }
    }

    func free() {
        for b in buffers { b.deallocate() }
        binds.deinitialize(count: max(count, 1))
        binds.deallocate()
        lengths.deallocate()
        nulls.deallocate()
    }
}
