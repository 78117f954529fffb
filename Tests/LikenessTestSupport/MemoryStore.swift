import Foundation
import LikenessCore
import Synchronization

/// People, faces, accounts and keys in memory, with the SQL store's semantics: the same
/// validation, errors, change-log positions (one per transaction) and replay rules. The store
/// contract suite runs against it, SQLite and MariaDB alike, so it cannot drift.
public final class MemoryStore: GalleryStore, AccountStore, @unchecked Sendable {
    private struct StoredFace {
        var record: FaceRecord
        var embedding: Embedding
        var crop: [UInt8]?
        var original: [UInt8]?
        var originalStoredAt = Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    private struct State {
        var people: [String: Person] = [:]
        var faces: [FaceID: StoredFace] = [:]
        var log: [(position: Int64, face: FaceID, recognizer: RecognizerID, deleted: Bool)] = []
        var pruned: [RecognizerID: Int64] = [:]
        var head: Int64 = 0
        var nextPerson: Int64 = 1
        var nextFace: Int64 = 1
        var accounts: [Account] = []
        var keys: [APIKey] = []
    }

    private let state = Mutex(State())
    /// Counts the calls a request makes, as a real store would count queries.
    public let queries = Counter()

    public init() {}

    private func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    private static func validate(classID: String) throws {
        guard !classID.isEmpty, classID.utf8.count <= 191 else { throw StoreError.invalid("class_id must be 1-191 bytes") }
        guard !classID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
              classID.last?.isWhitespace != true, classID.first?.isWhitespace != true else {
            throw StoreError.invalid("class_id must have no control characters and no leading or trailing spaces")
        }
    }

    private static func validate(_ face: NewFace) throws {
        guard !face.embedding.vector.isEmpty, face.embedding.vector.allSatisfy(\.isFinite) else {
            throw StoreError.invalid("embedding must be non-empty and finite")
        }
    }

    // MARK: People

    public func createPerson(classID: String, name: String, info: String) async throws -> Person {
        try Self.validate(classID: classID)
        queries.increment()
        return try state.withLock { s in
            guard s.people[classID] == nil else { throw StoreError.conflict("a person with class_id \(classID) exists") }
            let p = Person(id: s.nextPerson, classID: classID, name: name, info: info, createdAt: now(), updatedAt: now())
            s.nextPerson += 1
            s.people[classID] = p
            return p
        }
    }

    public func person(classID: String) async throws -> Person? {
        queries.increment()
        return state.withLock { $0.people[classID] }
    }

    public func listPeople(offset: Int, limit: Int, search: String?) async throws -> (people: [Person], total: Int) {
        queries.increment()
        return state.withLock { s in
            let all = s.people.values.filter { p in
                guard let search, !search.isEmpty else { return true }
                return p.classID.localizedCaseInsensitiveContains(search) || p.name.localizedCaseInsensitiveContains(search)
            }.sorted { Array($0.classID.utf8).lexicographicallyPrecedes(Array($1.classID.utf8)) }
            return (Array(all.dropFirst(max(0, offset)).prefix(max(0, limit))), all.count)
        }
    }

    public func updatePerson(classID: String, name: String?, info: String?) async throws -> Person {
        queries.increment()
        return try state.withLock { s in
            guard var p = s.people[classID] else { throw StoreError.notFound("no person with class_id \(classID)") }
            if let name { p.name = name }
            if let info { p.info = info }
            p.updatedAt = now()
            s.people[classID] = p
            return p
        }
    }

    public func deletePerson(classID: String) async throws -> [FaceID] {
        queries.increment()
        return try state.withLock { s in
            guard let person = s.people.removeValue(forKey: classID) else { throw StoreError.notFound("no person with class_id \(classID)") }
            let gone = s.faces.values.filter { $0.record.personID == person.id }.sorted { $0.record.id < $1.record.id }
            s.head += 1
            for face in gone {
                s.faces[face.record.id] = nil
                s.log.append((s.head, face.record.id, face.record.recognizer, true))
            }
            return gone.map(\.record.id)
        }
    }

    public func importPeople(_ rows: [PersonImport]) async throws -> (inserted: Int, updated: Int) {
        for row in rows { try Self.validate(classID: row.classID) }
        queries.increment()
        return state.withLock { s in
            var inserted = 0, updated = 0
            for row in rows {
                if var p = s.people[row.classID] {
                    p.name = row.name
                    p.info = row.info
                    p.updatedAt = now()
                    s.people[row.classID] = p
                    updated += 1
                } else {
                    s.people[row.classID] = Person(id: s.nextPerson, classID: row.classID, name: row.name, info: row.info,
                                                   createdAt: now(), updatedAt: now())
                    s.nextPerson += 1
                    inserted += 1
                }
            }
            return (inserted, updated)
        }
    }

    // MARK: Faces

    public func addFace(_ face: NewFace, classID: String) async throws -> FaceRecord {
        try Self.validate(face)
        queries.increment()
        return try state.withLock { s in
            guard let p = s.people[classID] else { throw StoreError.notFound("no person with class_id \(classID)") }
            let record = FaceRecord(id: s.nextFace, personID: p.id, classID: classID, recognizer: face.embedding.recognizer, box: face.box,
                                    detectionScore: face.detectionScore, quality: face.quality, imageSHA256: face.imageSHA256,
                                    hasCrop: face.crop != nil, createdAt: now())
            s.nextFace += 1
            s.faces[record.id] = StoredFace(record: record, embedding: face.embedding, crop: face.crop, original: face.original)
            s.head += 1
            s.log.append((s.head, record.id, record.recognizer, false))
            return record
        }
    }

    public func addPeopleWithFaces(_ items: [PersonWithFace]) async throws -> [FaceID] {
        for item in items {
            try Self.validate(classID: item.person.classID)
            try Self.validate(item.face)
        }
        queries.increment()
        return try state.withLock { s in
            let classIDs = items.map(\.person.classID)
            guard Set(classIDs).count == classIDs.count, !classIDs.contains(where: { s.people[$0] != nil }) else {
                throw StoreError.conflict("one of the class ids exists")
            }
            return items.map { item in
                let p = Person(id: s.nextPerson, classID: item.person.classID, name: item.person.name, info: item.person.info,
                               createdAt: now(), updatedAt: now())
                s.nextPerson += 1
                s.people[p.classID] = p
                let record = FaceRecord(id: s.nextFace, personID: p.id, classID: p.classID, recognizer: item.face.embedding.recognizer,
                                        box: item.face.box, detectionScore: item.face.detectionScore, quality: item.face.quality,
                                        imageSHA256: item.face.imageSHA256, hasCrop: item.face.crop != nil, createdAt: now())
                s.nextFace += 1
                s.faces[record.id] = StoredFace(record: record, embedding: item.face.embedding, crop: item.face.crop)
                s.head += 1
                s.log.append((s.head, record.id, record.recognizer, false))
                return record.id
            }
        }
    }

    public func addFaces(_ items: [FaceForPerson]) async throws -> [FaceID] {
        for item in items { try Self.validate(item.face) }
        queries.increment()
        return try state.withLock { s in
            for item in items where s.people[item.classID] == nil { throw StoreError.notFound("no person with class_id \(item.classID)") }
            return items.map { item in
                let p = s.people[item.classID]!
                let record = FaceRecord(id: s.nextFace, personID: p.id, classID: p.classID, recognizer: item.face.embedding.recognizer,
                                        box: item.face.box, detectionScore: item.face.detectionScore, quality: item.face.quality,
                                        imageSHA256: item.face.imageSHA256, hasCrop: item.face.crop != nil, createdAt: now())
                s.nextFace += 1
                s.faces[record.id] = StoredFace(record: record, embedding: item.face.embedding, crop: item.face.crop, original: item.face.original)
                s.head += 1
                s.log.append((s.head, record.id, record.recognizer, false))
                return record.id
            }
        }
    }

    public func faces(classID: String) async throws -> [FaceRecord] {
        queries.increment()
        return try state.withLock { s in
            guard let p = s.people[classID] else { throw StoreError.notFound("no person with class_id \(classID)") }
            return s.faces.values.map(\.record).filter { $0.personID == p.id }.sorted { $0.id < $1.id }
        }
    }

    public func face(id: FaceID) async throws -> FaceRecord? {
        queries.increment()
        return state.withLock { $0.faces[id]?.record }
    }

    public func people(ofFaces ids: [FaceID]) async throws -> [FaceID: Person] {
        queries.increment()
        return state.withLock { s in
            var out: [FaceID: Person] = [:]
            for id in ids {
                guard let record = s.faces[id]?.record, let person = s.people[record.classID] else { continue }
                out[id] = person
            }
            return out
        }
    }

    public func embedding(faceID: FaceID) async throws -> Embedding? {
        queries.increment()
        return state.withLock { $0.faces[faceID]?.embedding }
    }

    public func original(faceID: FaceID) async throws -> [UInt8]? {
        queries.increment()
        return state.withLock { $0.faces[faceID]?.original }
    }

    public func storedImageUsage() async throws -> StoredImageUsage {
        queries.increment()
        return state.withLock { s in
            let originals = s.faces.values.compactMap(\.original)
            return StoredImageUsage(crops: s.faces.values.filter { $0.crop != nil }.count, originals: originals.count,
                                    originalBytes: originals.reduce(0) { $0 + Int64($1.count) })
        }
    }

    public func purgeOriginals(storedBefore: Int64?, budgetBytes: Int64?) async throws -> OriginalPurge {
        queries.increment()
        return state.withLock { s in
            var purge = OriginalPurge()
            let kept = s.faces.filter { $0.value.original != nil }
                .sorted { ($0.value.originalStoredAt, $0.key) > ($1.value.originalStoredAt, $1.key) }
            var total: Int64 = 0
            var overflowing = false
            for (id, face) in kept {
                let bytes = Int64(face.original?.count ?? 0)
                if let storedBefore, face.originalStoredAt < storedBefore {
                    purge.expired += 1
                } else if let budgetBytes, overflowing || total + bytes > budgetBytes {
                    overflowing = true
                    purge.overBudget += 1
                } else {
                    total += bytes
                    continue
                }
                purge.bytes += bytes
                s.faces[id]?.original = nil
            }
            return purge
        }
    }

    public func crop(faceID: FaceID) async throws -> [UInt8]? {
        queries.increment()
        return state.withLock { $0.faces[faceID]?.crop }
    }

    public func deleteFace(id: FaceID) async throws {
        queries.increment()
        try state.withLock { s in
            guard let gone = s.faces.removeValue(forKey: id) else { throw StoreError.notFound("no face \(id)") }
            s.head += 1
            s.log.append((s.head, id, gone.record.recognizer, true))
        }
    }

    public func replaceFace(id: FaceID, with face: NewFace) async throws -> FaceRecord {
        try Self.validate(face)
        queries.increment()
        return try state.withLock { s in
            guard var stored = s.faces[id] else { throw StoreError.notFound("no face \(id)") }
            let old = stored.record
            stored.record = FaceRecord(id: id, personID: old.personID, classID: old.classID, recognizer: face.embedding.recognizer,
                                       box: face.box, detectionScore: face.detectionScore, quality: face.quality,
                                       imageSHA256: face.imageSHA256, hasCrop: face.crop != nil, createdAt: old.createdAt)
            stored.embedding = face.embedding
            stored.crop = face.crop
            stored.original = face.original
            stored.originalStoredAt = now()
            s.faces[id] = stored
            s.head += 1
            s.log.append((s.head, id, face.embedding.recognizer, false))
            return stored.record
        }
    }

    public func moveFace(id: FaceID, toClassID classID: String) async throws -> FaceRecord {
        queries.increment()
        return try state.withLock { s in
            guard let person = s.people[classID] else { throw StoreError.notFound("no person with class_id \(classID)") }
            guard var stored = s.faces[id] else { throw StoreError.notFound("no face \(id)") }
            let old = stored.record
            stored.record = FaceRecord(id: id, personID: person.id, classID: classID, recognizer: old.recognizer, box: old.box,
                                       detectionScore: old.detectionScore, quality: old.quality, imageSHA256: old.imageSHA256,
                                       hasCrop: old.hasCrop, createdAt: old.createdAt)
            s.faces[id] = stored
            s.head += 1
            s.log.append((s.head, id, old.recognizer, false))
            return stored.record
        }
    }

    public func faceCountsByRecognizer() async throws -> [RecognizerID: Int] {
        queries.increment()
        return state.withLock { s in Dictionary(grouping: s.faces.values, by: \.record.recognizer).mapValues(\.count) }
    }

    public func faceCount(recognizer: RecognizerID?) async throws -> Int {
        queries.increment()
        return state.withLock { s in s.faces.values.filter { recognizer == nil || $0.record.recognizer == recognizer }.count }
    }

    // MARK: Change log

    public func currentPosition() throws -> Int64 { state.withLock { $0.head } }

    public func forEachEmbedding(recognizer: RecognizerID, _ body: (FaceID, [Float]) throws -> Void) throws -> Int64 {
        let (faces, position) = state.withLock { s in
            (s.faces.values.filter { $0.record.recognizer == recognizer }.sorted { $0.record.id < $1.record.id }
                .map { ($0.record.id, $0.embedding.vector) }, s.head)
        }
        for (id, v) in faces { try body(id, v) }
        return position
    }

    /// As the SQL store: in position order; an upsert whose face is gone is skipped (a later
    /// delete is in the log), and an upsert carries the face's current embedding.
    public func changes(recognizer: RecognizerID, after position: Int64) throws -> [EmbeddingChange] {
        state.withLock { s in
            s.log.filter { $0.recognizer == recognizer && $0.position > position }
                .sorted { ($0.position, $0.face) < ($1.position, $1.face) }
                .compactMap { entry in
                    if entry.deleted { return EmbeddingChange(position: entry.position, id: entry.face, kind: .delete) }
                    guard let face = s.faces[entry.face] else { return nil }
                    return EmbeddingChange(position: entry.position, id: entry.face, kind: .upsert(face.embedding.vector))
                }
        }
    }

    public func prunedThrough(recognizer: RecognizerID) throws -> Int64 { state.withLock { $0.pruned[recognizer] ?? 0 } }

    public func pruneChanges(recognizer: RecognizerID, through position: Int64) throws -> Int {
        state.withLock { s in
            s.pruned[recognizer] = max(s.pruned[recognizer] ?? 0, position)
            let before = s.log.count
            s.log.removeAll { $0.recognizer == recognizer && $0.position <= position }
            return before - s.log.count
        }
    }

    // MARK: Accounts

    public func createAccount(username: String, passwordHash: String, role: Role) async throws -> Account {
        guard !username.isEmpty, username.utf8.count <= 64 else { throw StoreError.invalid("username must be 1-64 bytes") }
        return try state.withLock { s in
            guard !s.accounts.contains(where: { $0.username == username }) else { throw StoreError.conflict("the username \(username) is taken") }
            // Ids are never reused, as in SQL, even after a delete.
            let a = Account(id: (s.accounts.map(\.id).max() ?? 0) + 1, username: username, passwordHash: passwordHash, role: role, disabled: false,
                            createdAt: now(), updatedAt: now())
            s.accounts.append(a)
            return a
        }
    }

    public func createFirstAdmin(username: String, passwordHash: String) async throws -> Account? {
        guard !username.isEmpty, username.utf8.count <= 64 else { throw StoreError.invalid("username must be 1-64 bytes") }
        return state.withLock { s in
            guard s.accounts.isEmpty else { return nil }
            let a = Account(id: 1, username: username, passwordHash: passwordHash, role: .admin, disabled: false, createdAt: now(), updatedAt: now())
            s.accounts.append(a)
            return a
        }
    }

    public func account(username: String) async throws -> Account? { state.withLock { s in s.accounts.first { $0.username == username } } }
    public func account(id: Int64) async throws -> Account? { state.withLock { s in s.accounts.first { $0.id == id } } }
    public func accountCount() async throws -> Int { state.withLock { $0.accounts.count } }
    public func accounts() async throws -> [Account] { state.withLock { $0.accounts } }

    public func updateAccount(id: Int64, passwordHash: String?, role: Role?, disabled: Bool?) async throws -> Account {
        try state.withLock { s in
            guard let i = s.accounts.firstIndex(where: { $0.id == id }) else { throw StoreError.notFound("no account \(id)") }
            if let passwordHash { s.accounts[i].passwordHash = passwordHash }
            if let role { s.accounts[i].role = role }
            if let disabled { s.accounts[i].disabled = disabled }
            if passwordHash != nil || disabled == true { s.accounts[i].tokenVersion += 1 }
            s.accounts[i].updatedAt = now()
            return s.accounts[i]
        }
    }

    public func revokeTokens(accountID: Int64) async throws {
        try state.withLock { s in
            guard let i = s.accounts.firstIndex(where: { $0.id == accountID }) else { throw StoreError.notFound("no account \(accountID)") }
            s.accounts[i].tokenVersion += 1
        }
    }

    public func deleteAccount(id: Int64) async throws {
        try state.withLock { s in
            guard let i = s.accounts.firstIndex(where: { $0.id == id }) else { throw StoreError.notFound("no account \(id)") }
            s.accounts.remove(at: i)
            s.keys.removeAll { $0.accountID == id }
        }
    }

    public func createAPIKey(accountID: Int64, name: String, prefix: String, keyHash: String, expiresAt: Int64?) async throws -> APIKey {
        try state.withLock { s in
            guard s.accounts.contains(where: { $0.id == accountID }) else { throw StoreError.notFound("no account \(accountID)") }
            guard !s.keys.contains(where: { $0.keyHash == keyHash }) else { throw StoreError.conflict("a record with the same key exists") }
            let k = APIKey(id: Int64(s.keys.count + 1), accountID: accountID, name: name, prefix: prefix, keyHash: keyHash, createdAt: now(),
                           revokedAt: nil, expiresAt: expiresAt)
            s.keys.append(k)
            return k
        }
    }

    public func apiKey(hash: String) async throws -> (APIKey, Account)? {
        state.withLock { s in
            let t = now()
            guard let k = s.keys.first(where: { $0.keyHash == hash && $0.revokedAt == nil && ($0.expiresAt ?? Int64.max) > t }),
                  let a = s.accounts.first(where: { $0.id == k.accountID }) else { return nil }
            return (k, a)
        }
    }

    public func apiKeys(accountID: Int64) async throws -> [APIKey] { state.withLock { s in s.keys.filter { $0.accountID == accountID } } }

    public func revokeAPIKey(id: Int64, accountID: Int64) async throws {
        try state.withLock { s in
            guard let i = s.keys.firstIndex(where: { $0.id == id && $0.accountID == accountID && $0.revokedAt == nil }) else {
                throw StoreError.notFound("no live API key \(id)")
            }
            s.keys[i].revokedAt = now()
        }
    }
}

/// A thread-safe count.
public final class Counter: Sendable {
    private let value = Mutex(0)
    public init() {}
    public func increment() { value.withLock { $0 += 1 } }
    public var count: Int { value.withLock { $0 } }
}
