import Foundation
import LikenessCore
@testable import LikenessStore
import Testing

/// The pgvector index on the test command's PostgreSQL: the vectors the database derives from
/// the stored bytes are the stored floats exactly, searches agree with brute force, and two
/// indexes on one database (two servers) see every acknowledged write of the other at once.
@Suite(.enabled(if: Backend.postgresURL != nil, "LIKENESS_TEST_POSTGRES_URL not set"))
struct PGVectorIndexTests {
    let r = RecognizerID("r")

    /// A search sets `hnsw.ef_search` each time; the connection sends it only when it changes.
    @Test func aSessionSettingIsSentOnlyWhenItChanges() throws {
        let store = try Backend.postgres.makeStore()
        try store.pool.withConnection { c in
            let postgres = try #require(c as? PostgresConnection)
            func shown() throws -> String? { try c.query("SHOW hnsw.ef_search", []).first?[0].text }
            try postgres.set("hnsw.ef_search", to: "77")
            #expect(try shown() == "77")
            // Changed behind its back, the same value is not sent again (what the cache saves)...
            try c.executeScript("SET hnsw.ef_search = 12")
            try postgres.set("hnsw.ef_search", to: "77")
            #expect(try shown() == "12")
            // ...and another value is.
            try postgres.set("hnsw.ef_search", to: "90")
            #expect(try shown() == "90")
        }
    }

    @Test func theDatabaseVectorIsTheStoredFloatsBitForBit() async throws {
        let store = try Backend.postgres.makeStore()
        _ = try await store.createPerson(classID: "A", name: "A", info: "")
        // Signs, tiny (subnormal) and large magnitudes, exact powers of two, zero.
        // The subnormals are written as bit patterns (about 1e-40 and -3.4e-39): as literals they warn.
        let raw: [Float] = [0.5, -0.25, Float(bitPattern: 0x0001_16C2), Float(bitPattern: 0x8025_05D1), 0, 0.1, -0.7071068, 2e-8]
        let face = NewFace(embedding: Embedding(recognizer: r, normalized: raw), box: BoundingBox(x: 0, y: 0, width: 1, height: 1),
                           detectionScore: 1, imageSHA256: "")
        let id = try await store.addFace(face, classID: "A").id
        let index = try PGVectorIndex(store: store, recognizer: r, dimension: 8)
        let text = try store.pool.withConnection { c in
            try c.query("SELECT vec::text FROM faces WHERE id = ?", [.int(id)]).first?[0].text
        }
        let parsed = try #require(text).trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",").compactMap { Float(String($0)) }
        #expect(parsed.map(\.bitPattern) == raw.map(\.bitPattern), "\(text ?? "")")
        #expect(index.count == 1)
    }

    @Test func searchesAgreeWithBruteForceAndFollowEveryWrite() async throws {
        let store = try Backend.postgres.makeStore()
        let people = (0..<20).map { "P\($0)" }
        for p in people { _ = try await store.createPerson(classID: p, name: p, info: "") }
        var vectors: [FaceID: [Float]] = [:]
        for n in 0..<300 {
            let id = try await store.addFace(newFace(n, d: 16), classID: people[n % 20]).id
            vectors[id] = unitVector(n, 16)
        }
        // Faces of another recognizer are not this index's.
        _ = try await store.addFace(newFace(999, d: 16, recognizer: RecognizerID("other")), classID: "P0")
        let index = try PGVectorIndex(store: store, recognizer: r, dimension: 16, efSearch: 200)
        let other = try PGVectorIndex(store: store, recognizer: r, dimension: 16)  // a second server
        #expect(index.count == 300)

        var recalled = 0
        for q in 0..<20 {
            let query = unitVector(10_000 + q, 16)
            let exact = vectors.map { id, v in (id, zip(v, query).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
                .sorted { $0.1 > $1.1 }.prefix(10)
            let hits = try index.search(query, k: 10, minScore: -1)
            #expect(hits.count == 10)
            recalled += Set(hits.map(\.id)).intersection(exact.map(\.0)).count
            for hit in hits { #expect(abs(hit.score - (exact.first { $0.0 == hit.id }?.1 ?? hit.score)) < 1e-5) }
            #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score })
        }
        #expect(recalled >= 190, "recall@10 \(Double(recalled) / 200)")

        // A face enrolled (acknowledged) through one server is found through the other at once,
        // without a catch-up; replaced and deleted faces follow as fast.
        let fresh = try await store.addFace(newFace(5000, d: 16), classID: "P3").id
        #expect(try other.search(unitVector(5000, 16), k: 1, minScore: 0.99).first?.id == fresh)
        _ = try await store.replaceFace(id: fresh, with: newFace(6000, d: 16))
        #expect(try other.search(unitVector(6000, 16), k: 1, minScore: 0.99).first?.id == fresh)
        #expect(try other.search(unitVector(5000, 16), k: 1, minScore: 0.99).isEmpty)
        try await store.deleteFace(id: fresh)
        #expect(try other.search(unitVector(6000, 16), k: 1, minScore: 0.99).isEmpty)
        #expect(try other.catchUp() > 0 && other.count == 300)

        // minScore filters; a vector of the wrong size is an error, not a crash.
        #expect(try index.search(unitVector(7, 16), k: 50, minScore: 0.999).map(\.id) == [vectors.first { $0.value == unitVector(7, 16) }!.key])
        #expect(throws: StoreError.self) { try index.search([1, 0], k: 1, minScore: 0) }
        // The kind is chosen at start-up.
        #expect(throws: IndexRebuildError.self) { try index.rebuild(kind: .exact) }
        try index.rebuild(kind: nil)
        #expect(index.count == 300)
    }

    @Test func pgvectorNeedsPostgreSQL() throws {
        let sqlite = try Backend.sqlite.makeStore()
        #expect(throws: StoreError.self) { try PGVectorIndex(store: sqlite, recognizer: r, dimension: 8) }
    }

    static let replicaURL = ProcessInfo.processInfo.environment["LIKENESS_TEST_POSTGRES_REPLICA_URL"]

    /// A streaming replica whose replay is paused: searches that need the caller's write go to
    /// the primary, and the replica answers again once it has replayed that far.
    @Test(.enabled(if: replicaURL != nil, "LIKENESS_TEST_POSTGRES_REPLICA_URL not set"))
    func aLaggingReplicaDoesNotLoseAReadYourWritesAnswer() async throws {
        let url = try Backend.postgres.freshURL()
        let store = try SQLStore(url: url)
        guard case let .postgres(primary) = url, case let .postgres(standby) = try DatabaseURL(Self.replicaURL ?? "") else { return }
        let replicaURL = DatabaseURL.postgres(primary.at(host: standby.host, port: standby.port))
        // The new database reaches the replica by streaming.
        var replicaStore: SQLStore?
        for _ in 0..<100 where replicaStore == nil {
            replicaStore = try? SQLStore(url: replicaURL, connections: 2, readOnly: true)
            if replicaStore == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let replica = try #require(replicaStore)
        _ = try await store.createPerson(classID: "A", name: "A", info: "")
        _ = try await store.addFace(newFace(1, d: 16), classID: "A")
        let index = try PGVectorIndex(store: store, recognizer: r, dimension: 16, replicas: [replica])
        func replicaPosition() throws -> Int64 { try replica.pool.withConnection { try PGVectorIndex.position($0) } }
        // Before pausing, the replica replays everything the primary wrote, the pgvector column,
        // trigger and HNSW index included (the change log alone would not say so).
        let lsn = try store.pool.withConnection { c in try c.query("SELECT pg_current_wal_lsn()::text", []).first?[0].text } ?? "0/0"
        var replayed = false
        for _ in 0..<400 where !replayed {
            replayed = try replica.pool.withConnection { c in
                try c.query("SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn", [.text(lsn)]).first?[0].int == 1
            }
            if !replayed { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(replayed)

        try replica.pool.withConnection { c in _ = try c.query("SELECT pg_wal_replay_pause()", []) }
        defer { try? replica.pool.withConnection { c in _ = try c.query("SELECT pg_wal_replay_resume()", []) } }
        let written = try await store.addFace(newFace(2, d: 16), classID: "A").id
        let position = try store.currentPosition()
        try await Task.sleep(for: .milliseconds(300))
        #expect(try replicaPosition() < position, "the replica was not behind")
        // Without a floor the replica answers, without the face; with the writer's floor, the
        // primary answers, with it.
        #expect(try index.search(unitVector(2, 16), k: 1, minScore: 0.99, atLeast: nil).isEmpty)
        #expect(try index.search(unitVector(2, 16), k: 1, minScore: 0.99, atLeast: position).first?.id == written)

        try replica.pool.withConnection { c in _ = try c.query("SELECT pg_wal_replay_resume()", []) }
        for _ in 0..<100 where try replicaPosition() < position { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try index.search(unitVector(2, 16), k: 1, minScore: 0.99, atLeast: nil).first?.id == written)
    }
}
