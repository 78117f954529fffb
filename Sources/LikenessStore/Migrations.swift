import Foundation

/// The schema, as numbered migrations applied once each, in order, at start-up. Statements are
/// written once and specialised by the dialect; never edit a released migration, add one.
enum Migrations {
    static func all(_ d: SQLDialect) -> [(version: Int, statements: [String])] {
        let opts = d.tableOptions
        return [
            (1, [
                """
                CREATE TABLE accounts (id \(d.autoIncrementKey), username \(d.varchar(64)) NOT NULL UNIQUE,
                  password_hash \(d.varchar(255)) NOT NULL, role \(d.varchar(16)) NOT NULL,
                  disabled INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)\(opts)
                """,
                """
                CREATE TABLE api_keys (id \(d.autoIncrementKey), account_id BIGINT NOT NULL, name \(d.varchar(128)) NOT NULL,
                  prefix \(d.varchar(16)) NOT NULL, key_hash \(d.varchar(64)) NOT NULL UNIQUE,
                  created_at BIGINT NOT NULL, revoked_at BIGINT NULL,
                  FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE)\(opts)
                """,
                """
                CREATE TABLE people (id \(d.autoIncrementKey), class_id \(d.varchar(191)) NOT NULL UNIQUE,
                  name \(d.varchar(255)) NOT NULL, info TEXT NOT NULL,
                  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)\(opts)
                """,
                """
                CREATE TABLE faces (id \(d.autoIncrementKey), person_id BIGINT NOT NULL, recognizer \(d.varchar(64)) NOT NULL,
                  dimension INTEGER NOT NULL, embedding \(d.blob) NOT NULL,
                  box_x \(d.double) NOT NULL, box_y \(d.double) NOT NULL, box_w \(d.double) NOT NULL, box_h \(d.double) NOT NULL,
                  detection_score \(d.double) NOT NULL, quality \(d.double) NULL, crop \(d.blob) NULL,
                  image_sha256 \(d.varchar(64)) NOT NULL, created_at BIGINT NOT NULL,
                  FOREIGN KEY (person_id) REFERENCES people(id) ON DELETE CASCADE)\(opts)
                """,
                "CREATE INDEX faces_person ON faces (person_id)",
                "CREATE INDEX faces_recognizer ON faces (recognizer, id)",
                // The change log the vector index replays after its snapshot. Positions are
                // handed out by change_log_head inside each writing transaction, so they are
                // gapless and commit in order even on MySQL, where auto-increment values can
                // commit out of order and a replay would skip one.
                """
                CREATE TABLE change_log_head (id INTEGER NOT NULL PRIMARY KEY, position BIGINT NOT NULL)\(opts)
                """,
                "INSERT INTO change_log_head (id, position) VALUES (1, 0)",
                """
                CREATE TABLE face_changes (position BIGINT NOT NULL, face_id BIGINT NOT NULL,
                  recognizer \(d.varchar(64)) NOT NULL, op \(d.varchar(1)) NOT NULL, created_at BIGINT NOT NULL,
                  PRIMARY KEY (position, face_id))\(opts)
                """,
                "CREATE INDEX face_changes_recognizer ON face_changes (recognizer, position)",
            ]),
            // API keys may expire.
            (2, ["ALTER TABLE api_keys ADD COLUMN expires_at BIGINT NULL"]),
            // How far each recognizer's change log was pruned behind its snapshot.
            (3, ["CREATE TABLE change_log_pruned (recognizer \(d.varchar(64)) NOT NULL PRIMARY KEY, position BIGINT NOT NULL)\(opts)"]),
            // Login tokens name the version they were issued under (revocation at once).
            (4, ["ALTER TABLE accounts ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0"]),
            // Model migration: each face's embeddings under recognizers other than the one it
            // serves under (the target being built, or the old one kept after a switch), and the
            // faces a target could not embed.
            (5, [
                """
                CREATE TABLE face_embeddings (face_id BIGINT NOT NULL, recognizer \(d.varchar(64)) NOT NULL, dimension INTEGER NOT NULL,
                  embedding \(d.blob) NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (face_id, recognizer),
                  FOREIGN KEY (face_id) REFERENCES faces(id) ON DELETE CASCADE)\(opts)
                """,
                """
                CREATE TABLE migration_misses (face_id BIGINT NOT NULL, recognizer \(d.varchar(64)) NOT NULL,
                  reason \(d.varchar(255)) NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (face_id, recognizer),
                  FOREIGN KEY (face_id) REFERENCES faces(id) ON DELETE CASCADE)\(opts)
                """,
            ]),
            // The uploaded images, where the deployment keeps them; apart from faces so that
            // scans of faces never read them.
            (6, [
                """
                CREATE TABLE face_originals (face_id BIGINT NOT NULL PRIMARY KEY, image \(d.blob) NOT NULL,
                  FOREIGN KEY (face_id) REFERENCES faces(id) ON DELETE CASCADE)\(opts)
                """,
            ]),
            // When each original was stored and its size, for retention and the size budget
            // without reading the images; those kept before this came in date from their face.
            (7, [
                "ALTER TABLE face_originals ADD COLUMN stored_at BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE face_originals ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0",
                """
                UPDATE face_originals SET bytes = LENGTH(image),
                  stored_at = (SELECT created_at FROM faces WHERE faces.id = face_originals.face_id)
                """,
                // Covering: retention and the size total read the index, never the images.
                "CREATE INDEX face_originals_stored_at ON face_originals (stored_at, bytes)",
            ]),
            // What every server of the gallery shares beyond its rows: the pack it was switched to.
            (8, [
                """
                CREATE TABLE server_state (name \(d.varchar(64)) NOT NULL PRIMARY KEY, value TEXT NOT NULL,
                  updated_at BIGINT NOT NULL)\(opts)
                """,
            ]),
        ]
    }

    /// Applies the migrations not yet applied; each in its own transaction where the database
    /// allows DDL in one (SQLite; MySQL commits DDL implicitly).
    static func apply(_ connection: any SQLConnection) throws {
        let d = connection.dialect
        try connection.executeScript("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)\(d.tableOptions)")
        let applied = Set(try connection.query("SELECT version FROM schema_migrations", []).compactMap { $0[0].int })
        for (version, statements) in all(d) where !applied.contains(Int64(version)) {
            try connection.transaction {
                for statement in statements { try connection.executeScript(statement) }
                try connection.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                                       [.int(Int64(version)), .int(now())])
            }
        }
    }
}

/// Milliseconds since 1970.
func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
