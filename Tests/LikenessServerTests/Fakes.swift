import Foundation
import LikenessCore
import Synchronization

/// The HTTP layer's tests run on these: no model, no database, no native library.

/// "Images" are text: `FACE:alice` is one face whose embedding is alice's; `FACES:alice,bob`
/// is several, largest first; `NOFACE` has none; `SLOW:alice` takes 300 ms, `VERYSLOW:alice`
/// 2.5 s; anything else is
/// not an image.
struct FakeAnalyzer: FaceAnalyzer {
    let recognizer = RecognizerInfo(id: RecognizerID("fake"), dimension: 4, defaultThreshold: 0.8)
    /// With liveness, a face named "spoof-NAME" is a spoof of NAME (it embeds like NAME).
    var capabilities = AnalyzerCapabilities()

    static func vector(_ name: String) -> [Float] {
        if name.hasPrefix("spoof-") { return vector(String(name.dropFirst(6))) }
        return switch name {
        case "alice": [1, 0, 0, 0]
        case "alice2": [0.95, 0.312, 0, 0]
        case "bob": [0, 1, 0, 0]
        case "carol": [0, 0, 1, 0]
        default: [0, 0, 0, 1]  // a stranger
        }
    }

    /// Counts analyses that actually started, so tests can see which requests reached it.
    let started = Counter()

    /// Blocks its thread like native code: `SLOW:` and `VERYSLOW:` sleep without looking at
    /// cancellation.
    func analyzeNow(_ encoded: [UInt8], options: AnalysisOptions) throws -> ImageAnalysis {
        started.increment()
        let text = String(decoding: encoded, as: UTF8.self)
        var names: [String]
        if text == "NOFACE" {
            names = []
        } else if text.hasPrefix("FACE:") {
            names = [String(text.dropFirst(5))]
        } else if text.hasPrefix("FACES:") {
            names = text.dropFirst(6).split(separator: ",").map(String.init)
        } else if text.hasPrefix("VERYSLOW:") {
            Thread.sleep(forTimeInterval: 2.5)
            names = [String(text.dropFirst(9))]
        } else if text.hasPrefix("SLOW:") {
            Thread.sleep(forTimeInterval: 0.3)
            names = [String(text.dropFirst(5))]
        } else {
            throw ImageError.unsupportedFormat
        }
        let faces = names.prefix(options.maxFaces).enumerated().map { i, name in
            AnalyzedFace(detection: DetectedFace(box: BoundingBox(x: Double(10 * i), y: 0, width: Double(100 - 10 * i), height: Double(100 - 10 * i)), score: 0.99),
                         embedding: options.embed ? Embedding(recognizer: recognizer.id, raw: Self.vector(name)) : nil,
                         liveness: options.liveness && capabilities.liveness
                             ? Liveness(score: name.hasPrefix("spoof-") ? 0.1 : 0.95, threshold: 0.7) : nil,
                         attributes: options.attributes && capabilities.attributes
                             ? FaceAttributes(age: 30, gender: .female, genderScores: [0.9, 0.1]) : nil)
        }
        var timings = StageTimings()
        timings.add("detect", 1)
        return ImageAnalysis(width: 640, height: 480, faces: faces, timings: timings)
    }
}

/// People and faces in memory, with the same change log semantics as the SQL store.
final class MemoryGallery: GalleryStore, @unchecked Sendable {
    private struct State {
        var people: [String: Person] = [:]
        var faces: [FaceID: (record: FaceRecord, embedding: Embedding)] = [:]
        var log: [EmbeddingChange] = []
        var nextID: Int64 = 1
    }

    private let state = Mutex(State())

    private func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func createPerson(classID: String, name: String, info: String) async throws -> Person {
        try state.withLock { s in
            guard !classID.isEmpty else { throw StoreError.invalid("class_id must be 1-191 bytes") }
            guard s.people[classID] == nil else { throw StoreError.conflict("a person with class_id \(classID) exists") }
            let p = Person(id: s.nextID, classID: classID, name: name, info: info, createdAt: now(), updatedAt: now())
            s.nextID += 1
            s.people[classID] = p
            return p
        }
    }

    func person(classID: String) async throws -> Person? {
        queries.increment()
        return state.withLock { $0.people[classID] }
    }

    func listPeople(offset: Int, limit: Int, search: String?) async throws -> (people: [Person], total: Int) {
        state.withLock { s in
            let all = s.people.values.filter { p in
                guard let search, !search.isEmpty else { return true }
                return p.classID.localizedCaseInsensitiveContains(search) || p.name.localizedCaseInsensitiveContains(search)
            }.sorted { $0.classID < $1.classID }
            return (Array(all.dropFirst(offset).prefix(limit)), all.count)
        }
    }

    func updatePerson(classID: String, name: String?, info: String?) async throws -> Person {
        try state.withLock { s in
            guard var p = s.people[classID] else { throw StoreError.notFound("no person with class_id \(classID)") }
            if let name { p.name = name }
            if let info { p.info = info }
            s.people[classID] = p
            return p
        }
    }

    func deletePerson(classID: String) async throws -> [FaceID] {
        try state.withLock { s in
            guard s.people.removeValue(forKey: classID) != nil else { throw StoreError.notFound("no person with class_id \(classID)") }
            let ids = s.faces.values.filter { $0.record.classID == classID }.map(\.record.id).sorted()
            for id in ids {
                s.faces[id] = nil
                s.log.append(EmbeddingChange(position: Int64(s.log.count + 1), id: id, kind: .delete))
            }
            return ids
        }
    }

    func importPeople(_ rows: [PersonImport]) async throws -> (inserted: Int, updated: Int) { (0, 0) }

    func addFace(_ face: NewFace, classID: String) async throws -> FaceRecord {
        try state.withLock { s in
            guard let p = s.people[classID] else { throw StoreError.notFound("no person with class_id \(classID)") }
            let record = FaceRecord(id: s.nextID, personID: p.id, classID: classID, recognizer: face.embedding.recognizer, box: face.box,
                                    detectionScore: face.detectionScore, quality: nil, imageSHA256: face.imageSHA256, hasCrop: false, createdAt: now())
            s.nextID += 1
            s.faces[record.id] = (record, face.embedding)
            s.log.append(EmbeddingChange(position: Int64(s.log.count + 1), id: record.id, kind: .upsert(face.embedding.vector)))
            return record
        }
    }

    func faces(classID: String) async throws -> [FaceRecord] {
        try state.withLock { s in
            guard s.people[classID] != nil else { throw StoreError.notFound("no person with class_id \(classID)") }
            return s.faces.values.map(\.record).filter { $0.classID == classID }.sorted { $0.id < $1.id }
        }
    }

    func face(id: FaceID) async throws -> FaceRecord? {
        queries.increment()
        return state.withLock { $0.faces[id]?.record }
    }

    /// Counts the look-ups a request makes, as a real store would count queries.
    let queries = Counter()

    func facesWithPeople(ids: [FaceID]) async throws -> [FaceID: (face: FaceRecord, person: Person)] {
        queries.increment()
        return state.withLock { s in
            var out: [FaceID: (face: FaceRecord, person: Person)] = [:]
            for id in ids {
                guard let record = s.faces[id]?.record, let person = s.people[record.classID] else { continue }
                out[id] = (record, person)
            }
            return out
        }
    }
    func embedding(faceID: FaceID) async throws -> Embedding? { state.withLock { $0.faces[faceID]?.embedding } }
    func crop(faceID: FaceID) async throws -> [UInt8]? { nil }

    func deleteFace(id: FaceID) async throws {
        try state.withLock { s in
            guard s.faces.removeValue(forKey: id) != nil else { throw StoreError.notFound("no face \(id)") }
            s.log.append(EmbeddingChange(position: Int64(s.log.count + 1), id: id, kind: .delete))
        }
    }

    func replaceFace(id: FaceID, with face: NewFace) async throws -> FaceRecord {
        try state.withLock { s in
            guard var entry = s.faces[id] else { throw StoreError.notFound("no face \(id)") }
            entry.embedding = face.embedding
            s.faces[id] = entry
            s.log.append(EmbeddingChange(position: Int64(s.log.count + 1), id: id, kind: .upsert(face.embedding.vector)))
            return entry.record
        }
    }

    func faceCount(recognizer: RecognizerID?) async throws -> Int { state.withLock { $0.faces.count } }

    func currentPosition() throws -> Int64 { state.withLock { Int64($0.log.count) } }

    func forEachEmbedding(recognizer: RecognizerID, _ body: (FaceID, [Float]) throws -> Void) throws -> Int64 {
        let (faces, position) = state.withLock { s in (s.faces.map { ($0.key, $0.value.embedding.vector) }, Int64(s.log.count)) }
        for (id, v) in faces { try body(id, v) }
        return position
    }

    func changes(recognizer: RecognizerID, after position: Int64) throws -> [EmbeddingChange] {
        state.withLock { s in s.log.filter { $0.position > position } }
    }
}

/// A brute-force index following the gallery's log.
final class FakeIndex: GalleryIndex, @unchecked Sendable {
    let recognizer = RecognizerID("fake")
    let dimension = 4
    let kind = "exact"
    private let source: any EmbeddingSource
    private let state = Mutex((vectors: [FaceID: [Float]](), position: Int64(0)))

    init(source: any EmbeddingSource) { self.source = source }

    var count: Int { state.withLock { $0.vectors.count } }
    var position: Int64 { state.withLock { $0.position } }

    func search(_ vector: [Float], k: Int, minScore: Float) throws -> [SearchHit] {
        state.withLock { s in
            s.vectors.map { SearchHit(id: $0.key, score: zip($0.value, vector).reduce(0) { $0 + $1.0 * $1.1 }) }
                .filter { $0.score >= minScore }.sorted(by: ranksBefore).prefix(k).map { $0 }
        }
    }

    func catchUp() throws -> Int {
        let changes = try source.changes(recognizer: recognizer, after: position)
        state.withLock { s in
            for c in changes {
                switch c.kind {
                case let .upsert(v): s.vectors[c.id] = v
                case .delete: s.vectors[c.id] = nil
                }
                s.position = c.position
            }
        }
        return changes.count
    }

    func rebuild() throws {
        state.withLock { $0 = ([:], 0) }
        _ = try catchUp()
    }

    func snapshot() throws {}
}

final class MemoryAccounts: AccountStore, @unchecked Sendable {
    private let state = Mutex((accounts: [Account](), keys: [APIKey]()))

    func createAccount(username: String, passwordHash: String, role: Role) async throws -> Account {
        try state.withLock { s in
            guard !s.accounts.contains(where: { $0.username == username }) else { throw StoreError.conflict("the username \(username) is taken") }
            let a = Account(id: Int64(s.accounts.count + 1), username: username, passwordHash: passwordHash, role: role, disabled: false, createdAt: 0, updatedAt: 0)
            s.accounts.append(a)
            return a
        }
    }

    func account(username: String) async throws -> Account? { state.withLock { s in s.accounts.first { $0.username == username } } }
    func account(id: Int64) async throws -> Account? { state.withLock { s in s.accounts.first { $0.id == id } } }
    func accountCount() async throws -> Int { state.withLock { $0.accounts.count } }

    func createFirstAdmin(username: String, passwordHash: String) async throws -> Account? {
        state.withLock { s in
            guard s.accounts.isEmpty else { return nil }
            let a = Account(id: 1, username: username, passwordHash: passwordHash, role: .admin, disabled: false, createdAt: 0, updatedAt: 0)
            s.accounts.append(a)
            return a
        }
    }

    func updateAccount(id: Int64, passwordHash: String?, role: Role?, disabled: Bool?) async throws -> Account {
        try state.withLock { s in
            guard let i = s.accounts.firstIndex(where: { $0.id == id }) else { throw StoreError.notFound("no account \(id)") }
            if let passwordHash { s.accounts[i].passwordHash = passwordHash }
            if let role { s.accounts[i].role = role }
            if let disabled { s.accounts[i].disabled = disabled }
            return s.accounts[i]
        }
    }

    func createAPIKey(accountID: Int64, name: String, prefix: String, keyHash: String, expiresAt: Int64?) async throws -> APIKey {
        state.withLock { s in
            let k = APIKey(id: Int64(s.keys.count + 1), accountID: accountID, name: name, prefix: prefix, keyHash: keyHash, createdAt: 0, revokedAt: nil,
                           expiresAt: expiresAt)
            s.keys.append(k)
            return k
        }
    }

    func apiKey(hash: String) async throws -> (APIKey, Account)? {
        state.withLock { s in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            guard let k = s.keys.first(where: { $0.keyHash == hash && $0.revokedAt == nil && ($0.expiresAt ?? Int64.max) > now }),
                  let a = s.accounts.first(where: { $0.id == k.accountID }) else { return nil }
            return (k, a)
        }
    }

    func apiKeys(accountID: Int64) async throws -> [APIKey] { state.withLock { s in s.keys.filter { $0.accountID == accountID } } }

    func revokeAPIKey(id: Int64, accountID: Int64) async throws {
        try state.withLock { s in
            guard let i = s.keys.firstIndex(where: { $0.id == id && $0.accountID == accountID && $0.revokedAt == nil }) else {
                throw StoreError.notFound("no live API key \(id)")
            }
            s.keys[i].revokedAt = 1
        }
    }
}

/// A thread-safe count.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}
