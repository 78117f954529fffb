import CPostgres
import Foundation
import LikenessCore

/// A PostgreSQL connection through libpq. Like the other two backends its calls block, so the
/// pool runs them on its own threads. Statements are written once for every backend with `?`
/// placeholders; here they become `$1, $2, ...`. Every parameter is sent typed (text, int8,
/// float8, or bytea in binary), so the server never has to guess a type.
final class PostgresConnection: SQLConnection {
    let dialect = SQLDialect.postgres
    private let connection: OpaquePointer

    struct Options: Sendable, Equatable {
        var server: DatabaseServer
        var connectTimeout: Int = 5
    }

    /// Tables whose inserts answer the generated id (`RETURNING id`), as the other backends'
    /// last-insert-id does.
    static let generatedIDTables: Set<String> = ["accounts", "api_keys", "people", "faces"]

    init(_ options: Options) throws {
        let keys = ["host", "port", "user", "password", "dbname", "connect_timeout", "application_name", "client_encoding"]
        let server = options.server
        let values = [server.host, String(server.port), server.user, server.password, server.database,
                      String(options.connectTimeout), "likeness", "UTF8"]
        let handle: OpaquePointer? = Self.withCStrings(keys) { k in
            Self.withCStrings(values) { v in PQconnectdbParams(k, v, 0) }
        }
        guard let handle else { throw StoreError.unavailable("PostgreSQL: out of memory") }
        connection = handle
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
            // deinit closes the handle: the object is fully initialised, so it runs on a throw too.
            throw StoreError.unavailable("PostgreSQL \(server.host):\(server.port): \(message)")
        }
        // A query that hangs (a lock never released, a server gone quiet) fails instead of
        // holding a pool thread forever; notices (NOTICE: ... already exists) stay quiet.
        try executeScript("SET statement_timeout = '30s'; SET client_min_messages = warning")
    }

    deinit { PQfinish(connection) }

    /// The session settings this connection was given through `set(_:to:)`.
    private var settings: [String: String] = [:]

    /// Sets a session setting, sparing the round trip when the connection already has that
    /// value (a search sets `hnsw.ef_search` each time). Only outside a transaction: a SET that
    /// a rollback undoes would leave the remembered value wrong.
    func set(_ name: String, to value: String) throws {
        guard settings[name] != value else { return }
        settings[name] = nil
        try executeScript("SET \(name) = \(value)")
        settings[name] = value
    }

    func executeScript(_ sql: String) throws {
        guard let result = PQexec(connection, sql) else { throw connectionError() }
        defer { PQclear(result) }
        try check(result)
    }

    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) throws -> (changes: Int, lastID: Int64) {
        let returning = Self.returnsID(sql)
        return try run(returning ? sql + " RETURNING id" : sql, binds) { result in
            let changes = Int(String(cString: PQcmdTuples(result))) ?? 0
            let id = returning && PQntuples(result) > 0 ? Int64(String(cString: PQgetvalue(result, 0, 0))) ?? 0 : 0
            return (changes, id)
        }
    }

    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        try run(sql, binds) { result in
            let rows = Int(PQntuples(result)), columns = Int(PQnfields(result))
            let types = (0..<columns).map { PQftype(result, Int32($0)) }
            return (0..<rows).map { r in
                (0..<columns).map { c in Self.value(result, row: r, column: c, type: types[c]) }
            }
        }
    }

    // MARK: Statements

    private func run<T>(_ sql: String, _ binds: [SQLValue], _ body: (OpaquePointer) throws -> T) throws -> T {
        let text = Self.numberedPlaceholders(sql)
        let params = try Parameters(binds)
        let result = params.withPointers { values, lengths, formats, types in
            PQexecParams(connection, text, Int32(binds.count), types, values, lengths, formats, 0)
        }
        guard let result else { throw connectionError() }
        defer { PQclear(result) }
        try check(result)
        return try body(result)
    }

    static func returnsID(_ sql: String) -> Bool {
        let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" }).prefix(3).map { $0.lowercased() }
        return words.count == 3 && words[0] == "insert" && words[1] == "into" && generatedIDTables.contains(words[2])
    }

    /// `?` outside quoted text becomes `$n`.
    static func numberedPlaceholders(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var n = 0
        var quote: Character?
        for ch in sql {
            if let q = quote {
                if ch == q { quote = nil }
                out.append(ch)
            } else if ch == "'" || ch == "\"" {
                quote = ch
                out.append(ch)
            } else if ch == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(ch)
            }
        }
        return out
    }

    /// A result column as a value: integers and reals by their type, bytea unescaped from its
    /// text form, numeric (sums) and everything else as text.
    static func value(_ result: OpaquePointer, row: Int, column: Int, type: Oid) -> SQLValue {
        let r = Int32(row), c = Int32(column)
        if PQgetisnull(result, r, c) != 0 { return .null }
        guard let raw = PQgetvalue(result, r, c) else { return .null }
        switch type {
        case 20, 21, 23: return Int64(String(cString: raw)).map(SQLValue.int) ?? .text(String(cString: raw))  // int8, int2, int4
        case 700, 701: return Double(String(cString: raw)).map(SQLValue.double) ?? .text(String(cString: raw))  // float4, float8
        case 16: return .int(raw.pointee == UInt8(ascii: "t") ? 1 : 0)  // bool
        case 17:  // bytea, "\x..." in text results
            var length = 0
            guard let bytes = PQunescapeBytea(UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), &length) else { return .null }
            defer { PQfreemem(bytes) }
            return .blob(Array(UnsafeBufferPointer(start: bytes, count: length)))
        default:
            let length = Int(PQgetlength(result, r, c))
            return .text(String(decoding: UnsafeRawBufferPointer(start: raw, count: length), as: UTF8.self))
        }
    }

    // MARK: Errors

    private func check(_ result: OpaquePointer) throws {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            throw PQstatus(connection) == CONNECTION_OK ? Self.error(state, message) : StoreError.unavailable("PostgreSQL: \(message)")
        }
    }

    private func connectionError() -> StoreError {
        .unavailable("PostgreSQL: " + String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// SQLSTATE to the store's errors. The server's own words (which may quote values) stay out
    /// of answers to clients.
    static func error(_ state: String, _ message: String) -> StoreError {
        switch state {
        case "23505": .conflict("a record with the same key exists")
        case "23503": .conflict("a foreign key constraint failed")
        case "53100", "53200": .storageFull(message)  // disk full, out of memory
        case "22001": .invalid("a value is too long")
        case "22003", "22P02", "22021", "22P05": .invalid("a value is out of range or of the wrong kind")
        default: .unavailable("PostgreSQL error \(state): \(message)")
        }
    }

    private static func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// The parameters of one statement, in libpq's shape: text for numbers and strings, binary for
/// bytes, each with its type.
private struct Parameters {
    var values: [[UInt8]?] = []
    var formats: [Int32] = []
    var types: [Oid] = []

    init(_ binds: [SQLValue]) throws {
        for bind in binds {
            // Text parameters end at a NUL, and PostgreSQL text cannot hold one: refused rather
            // than silently cut.
            if case let .text(s) = bind, s.utf8.contains(0) { throw StoreError.invalid("text must not contain NUL characters") }
            switch bind {
            case .null: values.append(nil); formats.append(0); types.append(0)
            case let .int(v): values.append(Array(String(v).utf8) + [0]); formats.append(0); types.append(20)
            case let .double(v): values.append(Array(String(v).utf8) + [0]); formats.append(0); types.append(701)
            case let .text(s): values.append(Array(s.utf8) + [0]); formats.append(0); types.append(25)
            case let .blob(b): values.append(b); formats.append(1); types.append(17)
            }
        }
    }

    func withPointers<T>(_ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?,
                                  UnsafePointer<Oid>?) -> T) -> T {
        let buffers = values.map { value -> UnsafeMutablePointer<CChar>? in
            guard let value else { return nil }
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, value.count))
            value.withUnsafeBytes { raw in
                if let base = raw.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: value.count) }
            }
            return p
        }
        defer { buffers.forEach { $0?.deallocate() } }
        let pointers = buffers.map { $0.map { UnsafePointer($0) } }
        let lengths = values.map { Int32($0?.count ?? 0) }
        return pointers.withUnsafeBufferPointer { p in
            lengths.withUnsafeBufferPointer { l in
                formats.withUnsafeBufferPointer { f in
                    types.withUnsafeBufferPointer { t in body(p.baseAddress, l.baseAddress, f.baseAddress, t.baseAddress) }
                }
            }
        }
    }
}
