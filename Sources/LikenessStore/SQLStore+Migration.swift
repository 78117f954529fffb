import LikenessCore

extension SQLStore: EmbeddingMigrationStore {
    public func facesToMigrate(to target: RecognizerID, after: FaceID, limit: Int) async throws -> [MigrationItem] {
        try await pool.run { c in
            try c.query("""
                SELECT f.id, f.crop FROM faces f
                WHERE f.recognizer <> ? AND f.id > ?
                  AND NOT EXISTS (SELECT 1 FROM face_embeddings e WHERE e.face_id = f.id AND e.recognizer = ?)
                  AND NOT EXISTS (SELECT 1 FROM migration_misses m WHERE m.face_id = f.id AND m.recognizer = ?)
                ORDER BY f.id LIMIT ?
                """, [.text(target.rawValue), .int(after), .text(target.rawValue), .text(target.rawValue), .int(Int64(limit))])
                .map { MigrationItem(faceID: $0[0].int ?? 0, crop: $0[1].blob) }
        }
    }

    public func saveMigratedEmbedding(faceID: FaceID, _ embedding: Embedding) async throws {
        guard !embedding.vector.isEmpty, embedding.vector.allSatisfy(\.isFinite) else { throw StoreError.invalid("embedding must be non-empty and finite") }
        try await pool.run { c in
            try c.transaction {
                // A face deleted meanwhile is simply not migrated.
                guard try !c.query("SELECT 1 FROM faces WHERE id = ?", [.int(faceID)]).isEmpty else { return }
                try c.execute("DELETE FROM face_embeddings WHERE face_id = ? AND recognizer = ?", [.int(faceID), .text(embedding.recognizer.rawValue)])
                try c.execute("INSERT INTO face_embeddings (face_id, recognizer, dimension, embedding, created_at) VALUES (?, ?, ?, ?, ?)",
                              [.int(faceID), .text(embedding.recognizer.rawValue), .int(Int64(embedding.dimension)),
                               .blob(Self.bytes(embedding.vector)), .int(now())])
            }
        }
    }

    public func recordMigrationMiss(faceID: FaceID, recognizer: RecognizerID, reason: String) async throws {
        try await pool.run { c in
            try c.transaction {
                guard try !c.query("SELECT 1 FROM faces WHERE id = ?", [.int(faceID)]).isEmpty else { return }
                try c.execute("DELETE FROM migration_misses WHERE face_id = ? AND recognizer = ?", [.int(faceID), .text(recognizer.rawValue)])
                try c.execute("INSERT INTO migration_misses (face_id, recognizer, reason, created_at) VALUES (?, ?, ?, ?)",
                              [.int(faceID), .text(recognizer.rawValue), .text(String(reason.prefix(255))), .int(now())])
            }
        }
    }

    public func migrationProgress(to target: RecognizerID) async throws -> MigrationProgress {
        try await pool.run { c in
            let t = SQLValue.text(target.rawValue)
            func count(_ sql: String) throws -> Int { Int(try c.query(sql, [t, t]).first?[0].int ?? 0) }
            let total = Int(try c.query("SELECT COUNT(*) FROM faces WHERE recognizer <> ?", [t]).first?[0].int ?? 0)
            let embedded = try count("SELECT COUNT(*) FROM face_embeddings e JOIN faces f ON f.id = e.face_id WHERE e.recognizer = ? AND f.recognizer <> ?")
            let missed = try count("SELECT COUNT(*) FROM migration_misses m JOIN faces f ON f.id = m.face_id WHERE m.recognizer = ? AND f.recognizer <> ?")
            return MigrationProgress(total: total, embedded: embedded, missed: missed)
        }
    }

    public func migrationMisses(to target: RecognizerID) async throws -> [MigrationMiss] {
        try await pool.run { c in
            try c.query("""
                SELECT m.face_id, p.class_id, m.reason FROM migration_misses m JOIN faces f ON f.id = m.face_id
                JOIN people p ON p.id = f.person_id WHERE m.recognizer = ? ORDER BY m.face_id
                """, [.text(target.rawValue)]).map { MigrationMiss(faceID: $0[0].int ?? 0, classID: $0[1].text ?? "", reason: $0[2].text ?? "") }
        }
    }

    public func switchRecognizer(to target: RecognizerID, pack: String?) async throws -> Int {
        try await pool.run { c in
            try c.transaction {
                let t = SQLValue.text(target.rawValue)
                let rows = try c.query("""
                    SELECT f.id, f.recognizer, f.dimension, f.embedding, e.dimension, e.embedding FROM faces f
                    JOIN face_embeddings e ON e.face_id = f.id AND e.recognizer = ? WHERE f.recognizer <> ? ORDER BY f.id
                    """, [t, t])
                for r in rows {
                    let id = r[0].int ?? 0, old = r[1].text ?? ""
                    // The serving embedding is kept under its recognizer; the target's takes its place.
                    try c.execute("DELETE FROM face_embeddings WHERE face_id = ? AND recognizer = ?", [.int(id), .text(old)])
                    try c.execute("INSERT INTO face_embeddings (face_id, recognizer, dimension, embedding, created_at) VALUES (?, ?, ?, ?, ?)",
                                  [.int(id), .text(old), r[2], r[3], .int(now())])
                    try c.execute("UPDATE faces SET recognizer = ?, dimension = ?, embedding = ? WHERE id = ?", [t, r[4], r[5], .int(id)])
                    try c.execute("DELETE FROM face_embeddings WHERE face_id = ? AND recognizer = ?", [.int(id), t])
                    // The old recognizer's index drops the face; the target's adds it.
                    try Self.log(c, position: try Self.nextPosition(c), face: id, recognizer: old, op: "D")
                    try Self.log(c, position: try Self.nextPosition(c), face: id, recognizer: target.rawValue, op: "U")
                }
                try c.execute("DELETE FROM migration_misses WHERE recognizer = ?", [t])
                if let pack {
                    try c.execute("DELETE FROM server_state WHERE name = 'serving_pack'", [])
                    try c.execute("INSERT INTO server_state (name, value, updated_at) VALUES ('serving_pack', ?, ?)", [.text(pack), .int(now())])
                }
                return rows.count
            }
        }
    }

    public func servingPack() async throws -> String? {
        try await pool.run { c in try c.query("SELECT value FROM server_state WHERE name = 'serving_pack'", []).first?[0].text }
    }

    public func dropKeptEmbeddings(recognizer: RecognizerID) async throws -> Int {
        try await pool.run { c in
            let (n, _) = try c.execute("DELETE FROM face_embeddings WHERE recognizer = ? AND face_id IN (SELECT id FROM faces WHERE recognizer <> ?)",
                                       [.text(recognizer.rawValue), .text(recognizer.rawValue)])
            return n
        }
    }

    public func faceCountsByRecognizer() async throws -> [RecognizerID: Int] {
        try await pool.run { c in
            Dictionary(uniqueKeysWithValues: try c.query("SELECT recognizer, COUNT(*) FROM faces GROUP BY recognizer", [])
                .map { (RecognizerID($0[0].text ?? ""), Int($0[1].int ?? 0)) })
        }
    }
}
