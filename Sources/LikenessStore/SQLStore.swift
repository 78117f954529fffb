import Foundation
import LikenessCore
import Synchronization

/// The gallery and accounts in a relational database: SQLite by default, MariaDB/MySQL as in
/// the original system. One implementation of the queries; dialect differences live in
/// `SQLDialect`. Every user-supplied value is a bound parameter.
public final class SQLStore: GalleryStore, AccountStore, @unchecked Sendable {
    let pool: ConnectionPool
    /// `storedImageUsage` scans every face row (crops live in them): status pages poll it, so
    /// it is read again at most every `usageLifetime`, or after a purge.
    private let usage = Mutex<(value: StoredImageUsage, at: ContinuousClock.Instant)?>(nil)
    static let usageLifetime = Duration.seconds(30)
    public let url: DatabaseURL

    /// Opens (creating the SQLite file if needed) and migrates the database; a read-only store
    /// (a streaming replica, which refuses writes) is not migrated.
    public init(url: DatabaseURL, connections: Int = 4, readOnly: Bool = false) throws {
        self.url = url
        switch url {
        case let .sqlite(path):
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            pool = ConnectionPool(capacity: connections) { try SQLiteConnection(path: path) }
        case let .mysql(server):
            pool = ConnectionPool(capacity: connections) { try MariaDBConnection(.init(server: server)) }
        case let .postgres(server):
            pool = ConnectionPool(capacity: connections) { try PostgresConnection(.init(server: server)) }
        }
        if readOnly {
            _ = try pool.withConnection { c in try c.query("SELECT 1", []) }
        } else {
            try pool.withConnection { try Migrations.apply($0) }
        }
    }

    public convenience init(_ url: String, connections: Int = 4) throws {
        try self.init(url: try DatabaseURL(url), connections: connections)
    }

    // MARK: People

    static let personColumns = "id, class_id, name, info, created_at, updated_at"

    static func person(_ r: SQLRow) -> Person {
        Person(id: r[0].int ?? 0, classID: r[1].text ?? "", name: r[2].text ?? "", info: r[3].text ?? "",
               createdAt: r[4].int ?? 0, updatedAt: r[5].int ?? 0)
    }

    static func validate(classID: String) throws {
        guard !classID.isEmpty, classID.utf8.count <= 191 else { throw StoreError.invalid("class_id must be 1-191 bytes") }
        // SQLite's C API stops at a NUL and MariaDB ignores trailing spaces in comparisons, so
        // such ids would name another person than the one stored.
        guard !classID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
              classID.last?.isWhitespace != true, classID.first?.isWhitespace != true else {
            throw StoreError.invalid("class_id must have no control characters and no leading or trailing spaces")
        }
    }

    public func createPerson(classID: String, name: String, info: String) async throws -> Person {
        try Self.validate(classID: classID)
        return try await pool.run { c in
            let t = now()
            do {
                let (_, id) = try c.execute("INSERT INTO people (class_id, name, info, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                                            [.text(classID), .text(name), .text(info), .int(t), .int(t)])
                return Person(id: id, classID: classID, name: name, info: info, createdAt: t, updatedAt: t)
            } catch StoreError.conflict {
                throw StoreError.conflict("a person with class_id \(classID) exists")
            }
        }
    }

    public func person(classID: String) async throws -> Person? {
        try await pool.run { c in
            try c.query("SELECT \(Self.personColumns) FROM people WHERE class_id = ?", [.text(classID)]).first.map(Self.person)
        }
    }

    public func listPeople(offset: Int, limit: Int, search: String?) async throws -> (people: [Person], total: Int) {
        try await pool.run { c in
            let d = c.dialect
            var filter = ""
            var binds: [SQLValue] = []
            if let search, !search.isEmpty {
                filter = " WHERE \(d.contains("class_id")) OR \(d.contains("name"))"
                binds = [.text(search), .text(search)]
            }
            let total = try c.query("SELECT COUNT(*) FROM people\(filter)", binds).first?[0].int ?? 0
            let rows = try c.query("SELECT \(Self.personColumns) FROM people\(filter) ORDER BY class_id LIMIT ? OFFSET ?",
                                   binds + [.int(Int64(max(0, limit))), .int(Int64(max(0, offset)))])
            return (rows.map(Self.person), Int(total))
        }
    }

    public func updatePerson(classID: String, name: String?, info: String?) async throws -> Person {
        try await pool.run { c in
            let (changed, _) = try c.execute(
                "UPDATE people SET name = COALESCE(?, name), info = COALESCE(?, info), updated_at = ? WHERE class_id = ?",
                [name.map(SQLValue.text) ?? .null, info.map(SQLValue.text) ?? .null, .int(now()), .text(classID)])
            guard changed > 0, let row = try c.query("SELECT \(Self.personColumns) FROM people WHERE class_id = ?", [.text(classID)]).first else {
                throw StoreError.notFound("no person with class_id \(classID)")
            }
            return Self.person(row)
        }
    }

    public func deletePerson(classID: String) async throws -> [FaceID] {
        try await deletePersonLogged(classID: classID).faces
    }

    /// Deletes a person and their faces in one transaction, logging each face's removal for the
    /// index; answers the faces and the change position.
    public func deletePersonLogged(classID: String) async throws -> (faces: [FaceID], position: Int64) {
        try await pool.run { c in
            try c.transaction {
                guard let personID = try c.query("SELECT id FROM people WHERE class_id = ?", [.text(classID)]).first?[0].int else {
                    throw StoreError.notFound("no person with class_id \(classID)")
                }
                let faces = try c.query("SELECT id, recognizer FROM faces WHERE person_id = ? ORDER BY id", [.int(personID)])
                let position = try Self.nextPosition(c)
                for face in faces {
                    try Self.log(c, position: position, face: face[0].int ?? 0, recognizer: face[1].text ?? "", op: "D")
                }
                try c.execute("DELETE FROM faces WHERE person_id = ?", [.int(personID)])
                try c.execute("DELETE FROM people WHERE id = ?", [.int(personID)])
                return (faces.compactMap { $0[0].int }, position)
            }
        }
    }

    public func importPeople(_ rows: [PersonImport]) async throws -> (inserted: Int, updated: Int) {
        for row in rows { try Self.validate(classID: row.classID) }
        return try await pool.run { c in
            try c.transaction {
                var inserted = 0, updated = 0
                let t = now()
                for row in rows {
                    let (changed, _) = try c.execute("UPDATE people SET name = ?, info = ?, updated_at = ? WHERE class_id = ?",
                                                     [.text(row.name), .text(row.info), .int(t), .text(row.classID)])
                    if changed > 0 {
                        updated += 1
                    } else {
                        try c.execute("INSERT INTO people (class_id, name, info, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                                      [.text(row.classID), .text(row.name), .text(row.info), .int(t), .int(t)])
                        inserted += 1
                    }
                }
                return (inserted, updated)
            }
        }
    }

    // MARK: Faces

    static let faceColumns = """
        f.id, f.person_id, p.class_id, f.recognizer, f.box_x, f.box_y, f.box_w, f.box_h, f.detection_score, f.quality,
        f.image_sha256, CASE WHEN f.crop IS NULL THEN 0 ELSE 1 END, f.created_at
        """

    static func face(_ r: SQLRow) -> FaceRecord {
        FaceRecord(id: r[0].int ?? 0, personID: r[1].int ?? 0, classID: r[2].text ?? "", recognizer: RecognizerID(r[3].text ?? ""),
                   box: BoundingBox(x: r[4].double ?? 0, y: r[5].double ?? 0, width: r[6].double ?? 0, height: r[7].double ?? 0),
                   detectionScore: r[8].double ?? 0, quality: r[9].double, imageSHA256: r[10].text ?? "",
                   hasCrop: (r[11].int ?? 0) != 0, createdAt: r[12].int ?? 0)
    }

    public func people(ofFaces ids: [FaceID]) async throws -> [FaceID: Person] {
        guard !ids.isEmpty else { return [:] }
        let unique = Array(Set(ids))
        return try await pool.run { c in
            var out: [FaceID: Person] = [:]
            // Bound parameters per statement stay under SQLite's and MariaDB's limits.
            for start in stride(from: 0, to: unique.count, by: 900) {
                let chunk = unique[start..<min(unique.count, start + 900)]
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let rows = try c.query("""
                    SELECT f.id, p.id, p.class_id, p.name, p.info, p.created_at, p.updated_at
                    FROM faces f JOIN people p ON p.id = f.person_id WHERE f.id IN (\(marks))
                    """, chunk.map { .int($0) })
                for r in rows { out[r[0].int ?? 0] = Self.person(Array(r.dropFirst())) }
            }
            return out
        }
    }

    public func addFace(_ face: NewFace, classID: String) async throws -> FaceRecord {
        try await addFaceLogged(face, classID: classID).face
    }

    /// Inserts a face and logs it for the index in one transaction; answers the change position.
    public func addFaceLogged(_ face: NewFace, classID: String) async throws -> (face: FaceRecord, position: Int64) {
        try Self.validate(face)
        return try await pool.run { c in
            try c.transaction {
                guard let personID = try c.query("SELECT id FROM people WHERE class_id = ?", [.text(classID)]).first?[0].int else {
                    throw StoreError.notFound("no person with class_id \(classID)")
                }
                let position = try Self.nextPosition(c)
                let t = now()
                let (_, id) = try c.execute("""
                    INSERT INTO faces (person_id, recognizer, dimension, embedding, box_x, box_y, box_w, box_h,
                      detection_score, quality, crop, image_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [.int(personID)] + Self.faceValues(face) + [.int(t)])
                try Self.log(c, position: position, face: id, recognizer: face.embedding.recognizer.rawValue, op: "U")
                try Self.keepOriginal(c, face: id, face.original)
                let record = FaceRecord(id: id, personID: personID, classID: classID, recognizer: face.embedding.recognizer,
                                        box: face.box, detectionScore: face.detectionScore, quality: face.quality,
                                        imageSHA256: face.imageSHA256, hasCrop: face.crop != nil, createdAt: t)
                return (record, position)
            }
        }
    }

    public func addFaces(_ items: [FaceForPerson]) async throws -> [FaceID] {
        for item in items { try Self.validate(item.face) }
        guard !items.isEmpty else { return [] }
        return try await pool.run { c in
            try c.transaction {
                var position = try Self.nextPosition(c, count: items.count) - Int64(items.count)
                var people: [String: Int64] = [:]
                var ids: [FaceID] = []
                ids.reserveCapacity(items.count)
                let t = now()
                for item in items {
                    if people[item.classID] == nil {
                        guard let id = try c.query("SELECT id FROM people WHERE class_id = ?", [.text(item.classID)]).first?[0].int else {
                            throw StoreError.notFound("no person with class_id \(item.classID)")
                        }
                        people[item.classID] = id
                    }
                    let (_, id) = try c.execute("""
                        INSERT INTO faces (person_id, recognizer, dimension, embedding, box_x, box_y, box_w, box_h,
                          detection_score, quality, crop, image_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [.int(people[item.classID]!)] + Self.faceValues(item.face) + [.int(t)])
                    position += 1
                    try Self.log(c, position: position, face: id, recognizer: item.face.embedding.recognizer.rawValue, op: "U")
                    try Self.keepOriginal(c, face: id, item.face.original)
                    ids.append(id)
                }
                return ids
            }
        }
    }

    public func addPeopleWithFaces(_ items: [PersonWithFace]) async throws -> [FaceID] {
        for item in items {
            try Self.validate(classID: item.person.classID)
            try Self.validate(item.face)
        }
        guard !items.isEmpty else { return [] }
        return try await pool.run { c in
            try c.transaction {
                // One range of change-log positions for the batch, handed out in the same
                // transaction, so the log stays gapless and in commit order.
                var position = try Self.nextPosition(c, count: items.count) - Int64(items.count)
                let t = now()
                var ids: [FaceID] = []
                ids.reserveCapacity(items.count)
                // Multi-row statements; the ids are read back by key rather than assumed
                // consecutive, which MySQL does not promise.
                for start in stride(from: 0, to: items.count, by: Self.bulkRows) {
                    let chunk = items[start..<min(items.count, start + Self.bulkRows)]
                    let classIDs = chunk.map { SQLValue.text($0.person.classID) }
                    do {
                        try c.execute("INSERT INTO people (class_id, name, info, created_at, updated_at) VALUES "
                                      + Self.rows(chunk.count, columns: 5),
                                      chunk.flatMap { [.text($0.person.classID), .text($0.person.name), .text($0.person.info), .int(t), .int(t)] })
                    } catch StoreError.conflict {
                        throw StoreError.conflict("one of the class ids \(chunk.first!.person.classID)...\(chunk.last!.person.classID) exists")
                    }
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                    var personIDs: [String: Int64] = [:]
                    for r in try c.query("SELECT class_id, id FROM people WHERE class_id IN (\(marks))", classIDs) {
                        personIDs[r[0].text ?? ""] = r[1].int
                    }
                    let people = try chunk.map { item -> Int64 in
                        guard let id = personIDs[item.person.classID] else { throw StoreError.unavailable("bulk insert lost a person") }
                        return id
                    }
                    try c.execute("""
                        INSERT INTO faces (person_id, recognizer, dimension, embedding, box_x, box_y, box_w, box_h,
                          detection_score, quality, crop, image_sha256, created_at) VALUES
                        """ + Self.rows(chunk.count, columns: 13),
                                  zip(people, chunk).flatMap { [.int($0)] + Self.faceValues($1.face) + [.int(t)] })
                    var faceIDs: [Int64: Int64] = [:]
                    for r in try c.query("SELECT person_id, id FROM faces WHERE person_id IN (\(marks))", people.map { .int($0) }) {
                        faceIDs[r[0].int ?? 0] = r[1].int
                    }
                    var changes: [SQLValue] = []
                    for (person, item) in zip(people, chunk) {
                        guard let face = faceIDs[person] else { throw StoreError.unavailable("bulk insert lost a face") }
                        position += 1
                        ids.append(face)
                        changes += [.int(position), .int(face), .text(item.face.embedding.recognizer.rawValue), .text("U"), .int(t)]
                    }
                    try c.execute("INSERT INTO face_changes (position, face_id, recognizer, op, created_at) VALUES "
                                  + Self.rows(chunk.count, columns: 5), changes)
                }
                return ids
            }
        }
    }

    /// Rows per multi-row statement: 13 x 100 bound values stay far below both databases' limits.
    static let bulkRows = 100

    static func rows(_ count: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: count).joined(separator: ", ")
    }

    public func replaceFace(id: FaceID, with face: NewFace) async throws -> FaceRecord {
        try await replaceFaceLogged(id: id, with: face).face
    }

    public func replaceFaceLogged(id: FaceID, with face: NewFace) async throws -> (face: FaceRecord, position: Int64) {
        try Self.validate(face)
        return try await pool.run { c in
            try c.transaction {
                let position = try Self.nextPosition(c)
                let (changed, _) = try c.execute("""
                    UPDATE faces SET recognizer = ?, dimension = ?, embedding = ?, box_x = ?, box_y = ?, box_w = ?, box_h = ?,
                      detection_score = ?, quality = ?, crop = ?, image_sha256 = ? WHERE id = ?
                    """, Self.faceValues(face) + [.int(id)])
                guard changed > 0 else { throw StoreError.notFound("no face \(id)") }
                try Self.log(c, position: position, face: id, recognizer: face.embedding.recognizer.rawValue, op: "U")
                // A replaced image's original goes with it.
                try c.execute("DELETE FROM face_originals WHERE face_id = ?", [.int(id)])
                try Self.keepOriginal(c, face: id, face.original)
                let row = try c.query("SELECT \(Self.faceColumns) FROM faces f JOIN people p ON p.id = f.person_id WHERE f.id = ?", [.int(id)])
                return (Self.face(row[0]), position)
            }
        }
    }

    public func moveFace(id: FaceID, toClassID classID: String) async throws -> FaceRecord {
        try await pool.run { c in
            try c.transaction {
                guard let person = try c.query("SELECT id FROM people WHERE class_id = ?", [.text(classID)]).first?[0].int else {
                    throw StoreError.notFound("no person with class_id \(classID)")
                }
                guard let recognizer = try c.query("SELECT recognizer FROM faces WHERE id = ?", [.int(id)]).first?[0].text else {
                    throw StoreError.notFound("no face \(id)")
                }
                // Logged like an edit, so that every follower of the change log sees the face changed.
                let position = try Self.nextPosition(c)
                try c.execute("UPDATE faces SET person_id = ? WHERE id = ?", [.int(person), .int(id)])
                try Self.log(c, position: position, face: id, recognizer: recognizer, op: "U")
                let row = try c.query("SELECT \(Self.faceColumns) FROM faces f JOIN people p ON p.id = f.person_id WHERE f.id = ?", [.int(id)])
                return Self.face(row[0])
            }
        }
    }

    public func faces(classID: String) async throws -> [FaceRecord] {
        try await pool.run { c in
            guard try !c.query("SELECT id FROM people WHERE class_id = ?", [.text(classID)]).isEmpty else {
                throw StoreError.notFound("no person with class_id \(classID)")
            }
            return try c.query("SELECT \(Self.faceColumns) FROM faces f JOIN people p ON p.id = f.person_id WHERE p.class_id = ? ORDER BY f.id",
                               [.text(classID)]).map(Self.face)
        }
    }

    public func face(id: FaceID) async throws -> FaceRecord? {
        try await pool.run { c in
            try c.query("SELECT \(Self.faceColumns) FROM faces f JOIN people p ON p.id = f.person_id WHERE f.id = ?", [.int(id)])
                .first.map(Self.face)
        }
    }

    public func embedding(faceID: FaceID) async throws -> Embedding? {
        try await pool.run { c in
            guard let r = try c.query("SELECT recognizer, embedding FROM faces WHERE id = ?", [.int(faceID)]).first else { return nil }
            return Embedding(recognizer: RecognizerID(r[0].text ?? ""), normalized: Self.floats(r[1].blob ?? []))
        }
    }

    static func keepOriginal(_ c: any SQLConnection, face: FaceID, _ original: [UInt8]?) throws {
        guard let original else { return }
        try c.execute("INSERT INTO face_originals (face_id, image, stored_at, bytes) VALUES (?, ?, ?, ?)",
                      [.int(face), .blob(original), .int(now()), .int(Int64(original.count))])
    }

    public func storedImageUsage() async throws -> StoredImageUsage {
        if let cached = usage.withLock({ $0 }), cached.at.duration(to: .now) < Self.usageLifetime { return cached.value }
        let value = try await pool.run { c in
            let crops = try c.query("SELECT COUNT(*) FROM faces WHERE crop IS NOT NULL", []).first?[0].int ?? 0
            let originals = try c.query("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM face_originals", []).first
            return StoredImageUsage(crops: Int(crops), originals: Int(originals?[0].int ?? 0), originalBytes: originals?[1].int ?? 0)
        }
        usage.withLock { $0 = (value, .now) }
        return value
    }

    public func purgeOriginals(storedBefore: Int64?, budgetBytes: Int64?) async throws -> OriginalPurge {
        defer { usage.withLock { $0 = nil } }
        return try await pool.run { c in
            var purge = OriginalPurge()
            if let storedBefore {
                try c.transaction {
                    let freed = try c.query("SELECT COALESCE(SUM(bytes), 0) FROM face_originals WHERE stored_at < ?", [.int(storedBefore)])
                    let (deleted, _) = try c.execute("DELETE FROM face_originals WHERE stored_at < ?", [.int(storedBefore)])
                    purge.expired = deleted
                    purge.bytes += freed.first?[0].int ?? 0
                }
            }
            guard let budgetBytes else { return purge }
            // Newest first, keeping while the total fits; everything older than the first
            // original that does not fit goes, in batches that keep each statement small.
            let rows = try c.query("SELECT face_id, bytes FROM face_originals ORDER BY stored_at DESC, face_id DESC", [])
            var kept: Int64 = 0
            var doomed: [(FaceID, Int64)] = []
            for row in rows {
                let bytes = row[1].int ?? 0
                if doomed.isEmpty, kept + bytes <= budgetBytes {
                    kept += bytes
                } else {
                    doomed.append((row[0].int ?? 0, bytes))
                }
            }
            for chunk in stride(from: 0, to: doomed.count, by: 500) {
                let part = doomed[chunk..<min(doomed.count, chunk + 500)]
                let marks = Array(repeating: "?", count: part.count).joined(separator: ", ")
                let (deleted, _) = try c.execute("DELETE FROM face_originals WHERE face_id IN (\(marks))", part.map { .int($0.0) })
                purge.overBudget += deleted
                purge.bytes += part.reduce(0) { $0 + $1.1 }
            }
            return purge
        }
    }

    public func original(faceID: FaceID) async throws -> [UInt8]? {
        try await pool.run { c in
            try c.query("SELECT image FROM face_originals WHERE face_id = ?", [.int(faceID)]).first?[0].blob
        }
    }

    public func crop(faceID: FaceID) async throws -> [UInt8]? {
        try await pool.run { c in
            try c.query("SELECT crop FROM faces WHERE id = ?", [.int(faceID)]).first?[0].blob
        }
    }

    public func deleteFace(id: FaceID) async throws {
        _ = try await deleteFaceLogged(id: id)
    }

    public func deleteFaceLogged(id: FaceID) async throws -> Int64 {
        try await pool.run { c in
            try c.transaction {
                guard let recognizer = try c.query("SELECT recognizer FROM faces WHERE id = ?", [.int(id)]).first?[0].text else {
                    throw StoreError.notFound("no face \(id)")
                }
                let position = try Self.nextPosition(c)
                try c.execute("DELETE FROM faces WHERE id = ?", [.int(id)])
                try Self.log(c, position: position, face: id, recognizer: recognizer, op: "D")
                return position
            }
        }
    }

    public func faceCount(recognizer: RecognizerID?) async throws -> Int {
        try await pool.run { c in
            let rows = if let recognizer {
                try c.query("SELECT COUNT(*) FROM faces WHERE recognizer = ?", [.text(recognizer.rawValue)])
            } else {
                try c.query("SELECT COUNT(*) FROM faces", [])
            }
            return Int(rows.first?[0].int ?? 0)
        }
    }

    // MARK: Change log and index source (synchronous: used at start-up)

    /// Takes the next `count` change positions and answers the last. The UPDATE holds the head
    /// row's lock until the transaction ends, so writers log in commit order.
    static func nextPosition(_ c: any SQLConnection, count: Int = 1) throws -> Int64 {
        try c.execute("UPDATE change_log_head SET position = position + ? WHERE id = 1", [.int(Int64(count))])
        guard let position = try c.query("SELECT position FROM change_log_head WHERE id = 1", []).first?[0].int else {
            throw StoreError.unavailable("change log head missing")
        }
        return position
    }

    static func log(_ c: any SQLConnection, position: Int64, face: FaceID, recognizer: String, op: String) throws {
        try c.execute("INSERT INTO face_changes (position, face_id, recognizer, op, created_at) VALUES (?, ?, ?, ?, ?)",
                      [.int(position), .int(face), .text(recognizer), .text(op), .int(now())])
    }

    public func currentPosition() throws -> Int64 {
        try pool.withConnection { c in try c.query("SELECT position FROM change_log_head WHERE id = 1", []).first?[0].int ?? 0 }
    }

    public func forEachEmbedding(recognizer: RecognizerID, _ body: (FaceID, [Float]) throws -> Void) throws -> Int64 {
        try pool.withConnection { c in
            // One read transaction: the position and the faces are the same snapshot.
            try c.executeScript(c.dialect.beginSnapshot)
            defer { try? c.executeScript("COMMIT") }
            let position = try c.query("SELECT position FROM change_log_head WHERE id = 1", []).first?[0].int ?? 0
            var after: Int64 = 0
            while true {
                let rows = try c.query("SELECT id, embedding FROM faces WHERE recognizer = ? AND id > ? ORDER BY id LIMIT 5000",
                                       [.text(recognizer.rawValue), .int(after)])
                for r in rows { try body(r[0].int ?? 0, Self.floats(r[1].blob ?? [])) }
                guard let last = rows.last?[0].int, rows.count == 5000 else { break }
                after = last
            }
            return position
        }
    }

    public func prunedThrough(recognizer: RecognizerID) throws -> Int64 {
        try pool.withConnection { c in
            try c.query("SELECT position FROM change_log_pruned WHERE recognizer = ?", [.text(recognizer.rawValue)]).first?[0].int ?? 0
        }
    }

    public func pruneChanges(recognizer: RecognizerID, through position: Int64) throws -> Int {
        try pool.withConnection { c in
            try c.transaction {
                // The watermark first, in the same transaction: no reader can see rows gone
                // without also seeing how far they went.
                let (updated, _) = try c.execute("UPDATE change_log_pruned SET position = ? WHERE recognizer = ? AND position < ?",
                                                 [.int(position), .text(recognizer.rawValue), .int(position)])
                if updated == 0, try c.query("SELECT 1 FROM change_log_pruned WHERE recognizer = ?", [.text(recognizer.rawValue)]).isEmpty {
                    try c.execute("INSERT INTO change_log_pruned (recognizer, position) VALUES (?, ?)", [.text(recognizer.rawValue), .int(position)])
                }
                return try c.execute("DELETE FROM face_changes WHERE recognizer = ? AND position <= ?",
                                     [.text(recognizer.rawValue), .int(position)]).changes
            }
        }
    }

    public func changes(recognizer: RecognizerID, after position: Int64) throws -> [EmbeddingChange] {
        try pool.withConnection { c in
            // A logged upsert whose face is gone, or now under another recognizer (a model
            // migration switched it), has a later delete in the log; it is skipped.
            try c.query("""
                SELECT ch.position, ch.face_id, ch.op, f.embedding FROM face_changes ch
                LEFT JOIN faces f ON f.id = ch.face_id AND f.recognizer = ch.recognizer
                WHERE ch.recognizer = ? AND ch.position > ? ORDER BY ch.position, ch.face_id
                """, [.text(recognizer.rawValue), .int(position)]).compactMap { r in
                let pos = r[0].int ?? 0, id = r[1].int ?? 0
                if r[2].text == "D" { return EmbeddingChange(position: pos, id: id, kind: .delete) }
                guard let blob = r[3].blob else { return nil }
                return EmbeddingChange(position: pos, id: id, kind: .upsert(Self.floats(blob)))
            }
        }
    }

    // MARK: Encoding

    static func validate(_ face: NewFace) throws {
        guard !face.embedding.vector.isEmpty, face.embedding.vector.allSatisfy(\.isFinite) else {
            throw StoreError.invalid("embedding must be non-empty and finite")
        }
    }

    static func faceValues(_ face: NewFace) -> [SQLValue] {
        [.text(face.embedding.recognizer.rawValue), .int(Int64(face.embedding.dimension)), .blob(bytes(face.embedding.vector)),
         .double(face.box.x), .double(face.box.y), .double(face.box.width), .double(face.box.height),
         .double(face.detectionScore), face.quality.map(SQLValue.double) ?? .null, face.crop.map(SQLValue.blob) ?? .null,
         .text(face.imageSHA256)]
    }

    /// float32 little-endian.
    static func bytes(_ v: [Float]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(v.count * 4)
        for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    static func floats(_ b: [UInt8]) -> [Float] {
        b.withUnsafeBytes { raw in
            (0..<(b.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
