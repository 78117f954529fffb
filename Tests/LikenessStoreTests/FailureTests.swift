import Foundation
import LikenessCore
@testable import LikenessStore
import Testing

/// A full disk and a dropped database connection give clear errors and lose nothing already
/// acknowledged.
@Suite struct FailureTests {
    @Test func fullDiskIsStorageFullAndKeepsEarlierWrites() async throws {
        let store = try SQLStore(url: try Backend.sqlite.freshURL(), connections: 1)
        _ = try await store.createPerson(classID: "A", name: "Alice", info: "")
        let kept = try await store.addFace(newFace(1), classID: "A")
        // Cap the file at its current size: the next page it needs is "disk full" to SQLite.
        try store.pool.withConnection { c in
            let pages = try c.query("PRAGMA page_count", []).first?[0].int ?? 0
            _ = try c.query("PRAGMA max_page_count = \(pages)", [])
        }
        var sawFull = false
        for i in 0..<200 {
            do {
                _ = try await store.addFace(newFace(100 + i, d: 512, crop: [UInt8](repeating: 7, count: 8192)), classID: "A")
            } catch let error as StoreError {
                guard case .storageFull = error else { Issue.record("expected storageFull, got \(error)"); return }
                sawFull = true
                break
            }
        }
        #expect(sawFull)
        #expect(try await store.embedding(faceID: kept.id)?.vector == unitVector(1))
        #expect(try await store.person(classID: "A")?.name == "Alice")
    }

    @Test(.enabled(if: Backend.mysqlURL != nil, "LIKENESS_TEST_MYSQL_URL not set"))
    func droppedConnectionIsUnavailableThenRecovers() async throws {
        let url = try Backend.mysql.freshURL()
        let store = try SQLStore(url: url, connections: 1)
        _ = try await store.createPerson(classID: "A", name: "Alice", info: "")
        let id = try store.pool.withConnection { c in try c.query("SELECT CONNECTION_ID()", []).first?[0].int ?? 0 }
        guard case let .mysql(server) = url else { return }
        let admin = try MariaDBConnection(.init(server: server))
        try admin.executeScript("KILL \(id)")
        do {
            _ = try await store.person(classID: "A")
            Issue.record("a killed connection must fail")
        } catch let error as StoreError {
            guard case .unavailable = error else { Issue.record("expected unavailable, got \(error)"); return }
        }
        // The broken connection was dropped; the next call opens a new one and sees the data.
        #expect(try await store.person(classID: "A")?.name == "Alice")
    }
}
