import Foundation
import LikenessCore
import Synchronization

/// The gallery's index inside PostgreSQL, with pgvector: every face row carries its embedding as
/// a `vector` too (set by a trigger from the stored bytes, in the writing transaction), and each
/// recognizer has a partial HNSW index over the rows it serves (inner product on unit vectors:
/// cosine). So any number of stateless servers answer from one database, and a face is found
/// through any of them as soon as its enrolment is acknowledged: nothing lives in a process.
///
/// Searches may go to streaming replicas (`replicas`), each used only when it has replayed the
/// change log at least as far as the caller needs (`search(..., atLeast:)`); otherwise the
/// primary answers.
public final class PGVectorIndex: GalleryIndex, @unchecked Sendable {
    public let recognizer: RecognizerID
    public let dimension: Int
    public let kind = "pgvector-hnsw"
    /// Candidates HNSW keeps while searching (`hnsw.ef_search`); raised to k when k is larger.
    public let efSearch: Int
    private let store: SQLStore
    private let replicas: [SQLStore]
    private let rotation = Atomic<Int>(0)
    /// The count and change-log position, read again at each `catchUp` (after every write of
    /// this server, and every second by the server's maintenance service): a COUNT over a
    /// million rows is too slow to run per search. Searches themselves always see every write.
    private let cached = Mutex((count: 0, position: Int64(0)))

    /// Prepares the database (once per database, under an advisory lock: several servers may
    /// start at once) and the recognizer's HNSW index.
    public init(store: SQLStore, recognizer: RecognizerID, dimension: Int, efSearch: Int = 100, replicas: [SQLStore] = []) throws {
        guard case .postgres = store.url else {
            throw StoreError.invalid("the pgvector index needs a postgres:// database (LIKENESS_DATABASE_URL)")
        }
        guard (1...16_000).contains(dimension) else { throw StoreError.invalid("pgvector takes 1-16000 dimensions") }
        self.store = store
        self.recognizer = recognizer
        self.dimension = dimension
        self.efSearch = max(1, efSearch)
        self.replicas = replicas
        try store.pool.withConnection { c in
            try c.transaction {
                // Deriving the vectors of a large gallery and building its graph take minutes,
                // not the 30 s a query may.
                try c.executeScript("SET LOCAL statement_timeout = 0")
                try c.executeScript("SELECT pg_advisory_xact_lock(7215001)")
                try Self.prepare(c)
                try c.executeScript("""
                    CREATE INDEX IF NOT EXISTS \(indexName) ON faces USING hnsw ((vec::vector(\(dimension))) vector_ip_ops)
                    WITH (m = 16, ef_construction = 64) WHERE recognizer = \(literal)
                    """)
            }
        }
        _ = try catchUp()
    }

    /// The recognizer as a SQL literal: part of the partial index's predicate, which the planner
    /// matches only against the same literal.
    private var literal: String { "'" + recognizer.rawValue.replacingOccurrences(of: "'", with: "''") + "'" }

    private var indexName: String {
        let safe = recognizer.rawValue.lowercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" }
        return "faces_vec_" + String(safe.prefix(40)) + "_\(dimension)"
    }

    /// The vector column, the bytes-to-floats function and the trigger that keeps them in step;
    /// faces stored before get their vector now. The function reads each float32's sign,
    /// exponent and mantissa and computes it in float8, where every float32 is exact.
    static func prepare(_ c: any SQLConnection) throws {
        do {
            try c.executeScript("CREATE EXTENSION IF NOT EXISTS vector")
        } catch {
            throw StoreError.unavailable("""
                pgvector is not installed in this database, and this user may not install it: as a superuser, run \
                CREATE EXTENSION vector; in it (scripts/setup.sh builds pgvector for PostgreSQL 15)
                """)
        }
        try c.executeScript("""
            ALTER TABLE faces ADD COLUMN IF NOT EXISTS vec vector;
            CREATE OR REPLACE FUNCTION likeness_floats(b bytea) RETURNS real[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
              SELECT coalesce(array_agg(CASE WHEN e = 0 THEN s * m * power(2::float8, -149)
                                             ELSE s * (8388608 + m) * power(2::float8, e - 150) END ORDER BY i), '{}')::real[]
              FROM (SELECT i,
                      CASE WHEN get_byte(b, 4 * i + 3) >= 128 THEN -1::float8 ELSE 1::float8 END AS s,
                      ((get_byte(b, 4 * i + 3) & 127) << 1) | (get_byte(b, 4 * i + 2) >> 7) AS e,
                      ((get_byte(b, 4 * i + 2) & 127) << 16) | (get_byte(b, 4 * i + 1) << 8) | get_byte(b, 4 * i) AS m
                    FROM generate_series(0, length(b) / 4 - 1) AS i) AS w
            $$;
            CREATE OR REPLACE FUNCTION likeness_faces_vec() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              NEW.vec := likeness_floats(NEW.embedding)::vector;
              RETURN NEW;
            END $$;
            CREATE OR REPLACE TRIGGER faces_vec BEFORE INSERT OR UPDATE OF embedding ON faces
              FOR EACH ROW EXECUTE FUNCTION likeness_faces_vec();
            UPDATE faces SET vec = likeness_floats(embedding)::vector WHERE vec IS NULL;
            """)
    }

    public var count: Int { cached.withLock { $0.count } }
    public var position: Int64 { cached.withLock { $0.position } }

    public var details: IndexDetails {
        IndexDetails(setting: .pgvector, serving: "pgvector HNSW (m 16, ef_search \(efSearch))"
                     + (replicas.isEmpty ? "" : ", \(replicas.count) read replica(s)"), memoryBytes: 0)
    }

    public func search(_ vector: [Float], k: Int, minScore: Float) throws -> [SearchHit] {
        try search(vector, k: k, minScore: minScore, atLeast: nil)
    }

    /// A search on a replica that has replayed the change log to `atLeast` (the caller's own last
    /// write), or on the primary when none has.
    public func search(_ vector: [Float], k: Int, minScore: Float, atLeast: Int64?) throws -> [SearchHit] {
        guard vector.count == dimension else { throw StoreError.invalid("expected \(dimension) dimensions, got \(vector.count)") }
        guard k > 0 else { return [] }
        let text = "[" + vector.map { $0.isFinite ? "\($0)" : "0" }.joined(separator: ",") + "]"
        let sql = """
            SELECT id, -((vec::vector(\(dimension))) <#> ?::vector(\(dimension))) FROM faces WHERE recognizer = \(literal)
            ORDER BY (vec::vector(\(dimension))) <#> ?::vector(\(dimension)) LIMIT ?
            """
        func run(_ c: any SQLConnection) throws -> [SearchHit] {
            guard let postgres = c as? PostgresConnection else { throw StoreError.invalid("pgvector searches need PostgreSQL") }
            try postgres.set("hnsw.ef_search", to: String(min(1000, max(efSearch, k))))
            return try c.query(sql, [.text(text), .text(text), .int(Int64(k))]).compactMap { r in
                guard let id = r[0].int, let score = r[1].double, Float(score) >= minScore else { return nil }
                return SearchHit(id: id, score: Float(score))
            }
        }
        for replica in orderedReplicas() {
            // A replica that is down or behind is passed over, never an error for the caller.
            guard let hits = try? replica.pool.withConnection({ c -> [SearchHit]? in
                if let atLeast, try Self.position(c) < atLeast { return nil }
                return try run(c)
            }) else { continue }
            return hits
        }
        return try store.pool.withConnection(run)
    }

    /// Replicas in turn, spreading searches over them.
    private func orderedReplicas() -> [SQLStore] {
        guard !replicas.isEmpty else { return [] }
        let start = rotation.add(1, ordering: .relaxed).newValue % replicas.count
        return Array(replicas[start...] + replicas[..<start])
    }

    static func position(_ c: any SQLConnection) throws -> Int64 {
        try c.query("SELECT position FROM change_log_head WHERE id = 1", []).first?[0].int ?? 0
    }

    /// Nothing to apply (the database is the index): reads the count and position again.
    @discardableResult
    public func catchUp() throws -> Int {
        let (count, position) = try store.pool.withConnection { c in
            (Int(try c.query("SELECT COUNT(*) FROM faces WHERE recognizer = ?", [.text(recognizer.rawValue)]).first?[0].int ?? 0),
             try Self.position(c))
        }
        let before = cached.withLock { s in
            let old = s.position
            s = (count, position)
            return old
        }
        return Int(max(0, position - before))
    }

    /// REINDEX of the recognizer's HNSW index (concurrently: searches go on meanwhile).
    public func rebuild(kind: IndexKind?) throws {
        if let kind, kind != .pgvector { throw IndexRebuildError.notSwitchable(from: .pgvector, to: kind) }
        try store.pool.withConnection { c in
            // Not in a transaction (CONCURRENTLY cannot be), and longer than a query may take.
            try c.executeScript("SET statement_timeout = 0")
            defer { try? c.executeScript("SET statement_timeout = '30s'") }
            try c.executeScript("REINDEX INDEX CONCURRENTLY \(indexName)")
        }
        _ = try catchUp()
    }

    /// PostgreSQL maintains the index as rows change.
    public func maintain() throws -> Bool { false }
    /// Nothing to snapshot: the database is durable.
    public func snapshot() throws {}
    public func cancelBuilds() {}
}
