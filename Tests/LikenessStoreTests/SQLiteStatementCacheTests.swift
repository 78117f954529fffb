import Foundation
import LikenessCore
import Testing

@testable import LikenessStore

/// SQLite's prepared statements are kept and reused, reset after every use.
@Suite struct SQLiteStatementCacheTests {
    private func connection() throws -> (SQLiteConnection, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-stmt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let c = try SQLiteConnection(path: dir.appendingPathComponent("t.db").path)
        try c.executeScript("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);")
        return (c, dir)
    }

    @Test func aStatementIsPreparedOnceAndGivesFreshResultsEachTime() throws {
        let (c, dir) = try connection()
        defer { try? FileManager.default.removeItem(at: dir) }
        for i in 1...3 { try c.execute("INSERT INTO t (id, name) VALUES (?, ?)", [.int(Int64(i)), .text("n\(i)")]) }
        let select = "SELECT name FROM t WHERE id = ?"
        #expect(try c.query(select, [.int(2)]).map { $0[0].text } == ["n2"])
        // The kept statement's bindings and cursor do not leak into the next use.
        #expect(try c.query(select, [.int(3)]).map { $0[0].text } == ["n3"])
        #expect(try c.query(select, [.int(9)]).isEmpty)
        #expect(c.cachedStatements == 2)
    }

    @Test func aFailedStepLeavesTheStatementReusable() throws {
        let (c, dir) = try connection()
        defer { try? FileManager.default.removeItem(at: dir) }
        let insert = "INSERT INTO t (id, name) VALUES (?, ?)"
        try c.execute(insert, [.int(1), .text("a")])
        #expect(throws: StoreError.self) { try c.execute(insert, [.int(2), .text("a")]) }
        try c.execute(insert, [.int(3), .text("b")])
        #expect(try c.query("SELECT count(*) FROM t", []).first?[0].int == 2)
    }

    /// Only so many are kept (an IN list's SQL changes with its length); the rest still run.
    @Test func theCacheIsBounded() throws {
        let (c, dir) = try connection()
        defer { try? FileManager.default.removeItem(at: dir) }
        for n in 1...(SQLiteConnection.statementCacheLimit + 20) {
            let marks = Array(repeating: "?", count: n).joined(separator: ", ")
            #expect(try c.query("SELECT count(*) FROM t WHERE id IN (\(marks))", (0..<n).map { .int(Int64($0)) }).count == 1)
        }
        #expect(c.cachedStatements == SQLiteConnection.statementCacheLimit)
    }

    /// A kept statement is reset, so it holds no read transaction: another connection's
    /// checkpoint can truncate the write-ahead log.
    @Test func keptStatementsHoldNoReadTransaction() throws {
        let (c, dir) = try connection()
        defer { try? FileManager.default.removeItem(at: dir) }
        try c.execute("INSERT INTO t (id, name) VALUES (1, 'a')", [])
        _ = try c.query("SELECT name FROM t", [])
        let other = try SQLiteConnection(path: dir.appendingPathComponent("t.db").path)
        try other.execute("INSERT INTO t (id, name) VALUES (2, 'b')", [])
        let checkpoint = try other.query("PRAGMA wal_checkpoint(TRUNCATE)", [])
        #expect(checkpoint.first?[0].int == 0, "the checkpoint was blocked: \(checkpoint)")
    }
}
