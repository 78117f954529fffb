import Foundation
import LikenessCore
import LikenessStore
import Testing

/// The store contract: every test here runs on the in-memory fake, SQLite and MariaDB.
@Suite struct GalleryStoreTests {
    @Test(arguments: Backend.available)
    func migrationsAreIdempotent(backend: Backend) throws {
        let url = try backend.freshURL()
        _ = try SQLStore(url: url)
        _ = try SQLStore(url: url)
    }

    @Test(arguments: Backend.all)
    func peopleLifecycle(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        let p = try await store.createPerson(classID: "PERSON_001", name: "John Doe", info: "Employee ID: 12345")
        #expect(p.id > 0 && p.classID == "PERSON_001")
        await #expect(throws: StoreError.self) { try await store.createPerson(classID: "PERSON_001", name: "x", info: "") }
        do {
            _ = try await store.createPerson(classID: "PERSON_001", name: "x", info: "")
        } catch let error as StoreError {
            guard case .conflict = error else { Issue.record("expected conflict, got \(error)"); return }
        }
        #expect(try await store.person(classID: "PERSON_001")?.name == "John Doe")
        #expect(try await store.person(classID: "nobody") == nil)

        // Vietnamese names survive; quotes and SQL metacharacters are plain data.
        _ = try await store.createPerson(classID: "SV_002", name: "Nguyễn Thị Minh Khai", info: "Lớp 12A — học sinh giỏi")
        _ = try await store.createPerson(classID: "x'; DROP TABLE people; --", name: "Robert\"); --", info: "%_\\")
        #expect(try await store.person(classID: "SV_002")?.info == "Lớp 12A — học sinh giỏi")
        #expect(try await store.person(classID: "x'; DROP TABLE people; --")?.info == "%_\\")

        let all = try await store.listPeople(offset: 0, limit: 10, search: nil)
        #expect(all.total == 3 && all.people.map(\.classID) == ["PERSON_001", "SV_002", "x'; DROP TABLE people; --"])
        let page = try await store.listPeople(offset: 1, limit: 1, search: nil)
        #expect(page.total == 3 && page.people.map(\.classID) == ["SV_002"])
        let found = try await store.listPeople(offset: 0, limit: 10, search: "minh")
        #expect(found.total == 1 && found.people.first?.classID == "SV_002")
        // "%" is matched literally, not as a LIKE wildcard.
        #expect(try await store.listPeople(offset: 0, limit: 10, search: "%").total == 0)

        let updated = try await store.updatePerson(classID: "PERSON_001", name: nil, info: "Manager")
        #expect(updated.name == "John Doe" && updated.info == "Manager")
        // Same values again: still found (MySQL reports matched, not changed, rows).
        #expect(try await store.updatePerson(classID: "PERSON_001", name: "John Doe", info: "Manager").info == "Manager")
        await #expect(throws: StoreError.notFound("no person with class_id ghost")) {
            try await store.updatePerson(classID: "ghost", name: "x", info: nil)
        }
        await #expect(throws: StoreError.self) { try await store.createPerson(classID: "", name: "x", info: "") }
    }

    @Test(arguments: Backend.all)
    func facesAndEmbeddings(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        _ = try await store.createPerson(classID: "A", name: "Alice", info: "")
        await #expect(throws: StoreError.notFound("no person with class_id B")) { try await store.addFace(newFace(1), classID: "B") }
        let crop: [UInt8] = Array(0...255) + [0, 0, 1]
        let f1 = try await store.addFace(newFace(1, crop: crop), classID: "A")
        let f2 = try await store.addFace(newFace(2, d: 512), classID: "A")
        #expect(f1.classID == "A" && f1.hasCrop && !f2.hasCrop)
        #expect(try await store.faces(classID: "A").map(\.id) == [f1.id, f2.id])
        // Embeddings come back bit for bit.
        #expect(try await store.embedding(faceID: f1.id)?.vector == unitVector(1))
        #expect(try await store.embedding(faceID: f2.id)?.vector == unitVector(2, 512))
        #expect(try await store.crop(faceID: f1.id) == crop)
        #expect(try await store.crop(faceID: f2.id) == nil)
        #expect(try await store.faceCount(recognizer: RecognizerID("r")) == 2)
        #expect(try await store.faceCount(recognizer: RecognizerID("other")) == 0)

        // Originals, where kept: stored apart, replaced with the face's image.
        var withOriginal = newFace(7)
        withOriginal.original = [1, 2, 3]
        let f3 = try await store.addFace(withOriginal, classID: "A")
        #expect(try await store.original(faceID: f3.id) == [1, 2, 3])
        #expect(try await store.original(faceID: f1.id) == nil)
        _ = try await store.replaceFace(id: f3.id, with: newFace(8))
        #expect(try await store.original(faceID: f3.id) == nil)
        try await store.deleteFace(id: f3.id)

        let replaced = try await store.replaceFace(id: f1.id, with: newFace(3))
        #expect(replaced.id == f1.id && !replaced.hasCrop)
        #expect(try await store.embedding(faceID: f1.id)?.vector == unitVector(3))

        // A face moves to another person with its embedding, logged as a change.
        _ = try await store.createPerson(classID: "M", name: "Mallory", info: "")
        let beforeMove = try store.currentPosition()
        let moved = try await store.moveFace(id: f1.id, toClassID: "M")
        #expect(moved.id == f1.id && moved.classID == "M")
        #expect(try store.currentPosition() == beforeMove + 1)
        #expect(try await store.faces(classID: "M").map(\.id) == [f1.id])
        #expect(try await store.faces(classID: "A").map(\.id) == [f2.id])
        #expect(try await store.embedding(faceID: f1.id)?.vector == unitVector(3))
        await #expect(throws: StoreError.notFound("no person with class_id Z")) { try await store.moveFace(id: f1.id, toClassID: "Z") }
        await #expect(throws: StoreError.notFound("no face 999999")) { try await store.moveFace(id: 999_999, toClassID: "A") }
        _ = try await store.moveFace(id: f1.id, toClassID: "A")

        try await store.deleteFace(id: f2.id)
        #expect(try await store.face(id: f2.id) == nil)
        await #expect(throws: StoreError.notFound("no face \(f2.id)")) { try await store.deleteFace(id: f2.id) }
        await #expect(throws: StoreError.self) { try await store.faces(classID: "nobody") }
        await #expect(throws: StoreError.self) {
            try await store.addFace(NewFace(embedding: Embedding(recognizer: RecognizerID("r"), normalized: [.nan]),
                                            box: BoundingBox(x: 0, y: 0, width: 1, height: 1), detectionScore: 1, imageSHA256: ""),
                                    classID: "A")
        }
    }

    @Test(arguments: Backend.all)
    func originalsExpireAndKeepToTheirBudgetNewestFirst(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        _ = try await store.createPerson(classID: "A", name: "A", info: "")
        var ids: [FaceID] = []
        for n in 0..<5 {
            var face = newFace(n + 1, crop: [9, 9])
            face.original = Array(repeating: UInt8(n), count: 100 * (n + 1))  // 100, 200, ... 500 bytes
            ids.append(try await store.addFace(face, classID: "A").id)
            try await Task.sleep(for: .milliseconds(3))  // distinct storage times
        }
        _ = try await store.addFace(newFace(9), classID: "A")  // no crop, no original
        let usage = try await store.storedImageUsage()
        #expect(usage == StoredImageUsage(crops: 5, originals: 5, originalBytes: 1_500), "\(usage)")

        // Nothing is old enough, and 1,500 bytes fit in 1,500.
        #expect(try await store.purgeOriginals(storedBefore: 0, budgetBytes: 1_500) == OriginalPurge())
        // 1,000 bytes: the newest (500 + 400) fit, the next (300) does not, so it and all older go.
        #expect(try await store.purgeOriginals(storedBefore: nil, budgetBytes: 1_000) == OriginalPurge(overBudget: 3, bytes: 600))
        #expect(try await store.original(faceID: ids[4])?.count == 500)
        #expect(try await store.original(faceID: ids[2]) == nil)
        // The faces and their crops stay.
        #expect(try await store.crop(faceID: ids[0]) == [9, 9])
        #expect(try await store.faceCount(recognizer: nil) == 6)

        // Everything stored before now has expired.
        let later = Int64(Date().timeIntervalSince1970 * 1000) + 1
        #expect(try await store.purgeOriginals(storedBefore: later, budgetBytes: nil) == OriginalPurge(expired: 2, bytes: 900))
        #expect(try await store.storedImageUsage() == StoredImageUsage(crops: 5, originals: 0, originalBytes: 0))
    }

    @Test(arguments: Backend.all)
    func bulkFacesForExistingPeopleAreAllOrNothing(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        for person in ["A", "B"] { _ = try await store.createPerson(classID: person, name: person, info: "") }
        let before = try store.currentPosition()
        let items = (0..<120).map { FaceForPerson(classID: $0 % 2 == 0 ? "A" : "B", face: newFace($0 + 3)) }
        let ids = try await store.addFaces(items)
        #expect(ids.count == 120 && Set(ids).count == 120)
        #expect(try await store.faces(classID: "A").count == 60)
        #expect(try await store.faces(classID: "B").count == 60)
        #expect(try await store.embedding(faceID: ids[7])?.vector == unitVector(10))
        let changes = try store.changes(recognizer: RecognizerID("r"), after: before)
        #expect(changes.map(\.id) == ids && changes.map(\.position) == Array((before + 1)...(before + 120)))

        // A class id that does not exist refuses the whole batch.
        do {
            _ = try await store.addFaces([FaceForPerson(classID: "A", face: newFace(1)), FaceForPerson(classID: "nobody", face: newFace(2))])
            Issue.record("a batch naming an unknown person was accepted")
        } catch let error as StoreError {
            guard case .notFound = error else { Issue.record("expected not found, got \(error)"); return }
        }
        #expect(try await store.faces(classID: "A").count == 60)
        #expect(try store.currentPosition() == before + 120)
    }

    @Test(arguments: Backend.all)
    func bulkPeopleWithFacesAreAllOrNothing(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        _ = try await store.createPerson(classID: "A", name: "Alice", info: "")
        let before = try store.currentPosition()
        // More than one multi-row statement's worth.
        let items = (0..<250).map { PersonWithFace(person: PersonImport(classID: "S\($0)", name: "s \($0)", info: "bulk"), face: newFace($0 + 10)) }
        let ids = try await store.addPeopleWithFaces(items)
        #expect(ids.count == 250 && Set(ids).count == 250)
        for (i, id) in ids.enumerated() where i % 50 == 0 || i == 249 {
            #expect(try await store.face(id: id)?.classID == "S\(i)")
            #expect(try await store.embedding(faceID: id)?.vector == unitVector(i + 10))
        }
        let changes = try store.changes(recognizer: RecognizerID("r"), after: before)
        #expect(changes.map(\.id) == ids && changes.map(\.position) == Array((before + 1)...(before + 250)))
        #expect(try store.currentPosition() == before + 250)

        // One existing class id refuses the whole batch, and nothing of it is kept.
        let clash = [PersonWithFace(person: PersonImport(classID: "new1", name: "n", info: ""), face: newFace(1)),
                     PersonWithFace(person: PersonImport(classID: "A", name: "dup", info: ""), face: newFace(2))]
        do {
            _ = try await store.addPeopleWithFaces(clash)
            Issue.record("a batch with an existing class id was accepted")
        } catch let error as StoreError {
            guard case .conflict = error else { Issue.record("expected conflict, got \(error)"); return }
        }
        #expect(try await store.person(classID: "new1") == nil)
        #expect(try await store.person(classID: "A")?.name == "Alice")
        #expect(try store.currentPosition() == before + 250)
        #expect(try await store.listPeople(offset: 0, limit: 1, search: nil).total == 251)
    }

    @Test(arguments: Backend.all)
    func deletingAPersonRemovesEverythingAndLogsIt(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        _ = try await store.createPerson(classID: "A", name: "Alice", info: "")
        _ = try await store.createPerson(classID: "B", name: "Bob", info: "")
        let a1 = try await store.addFace(newFace(1, crop: [1, 2, 3]), classID: "A")
        let a2 = try await store.addFace(newFace(2), classID: "A")
        let b1 = try await store.addFace(newFace(3), classID: "B")
        let before = try store.currentPosition()
        #expect(try await store.deletePerson(classID: "A").sorted() == [a1.id, a2.id])
        #expect(try await store.person(classID: "A") == nil)
        #expect(try await store.face(id: a1.id) == nil)
        #expect(try await store.crop(faceID: a1.id) == nil)
        #expect(try await store.embedding(faceID: a2.id) == nil)
        await #expect(throws: StoreError.self) { try await store.deletePerson(classID: "A") }

        let changes = try store.changes(recognizer: RecognizerID("r"), after: before)
        #expect(changes.map(\.id).sorted() == [a1.id, a2.id] && changes.allSatisfy { $0.kind == .delete })
        #expect(Set(changes.map(\.position)).count == 1 && changes[0].position == before + 1)

        var seen: [FaceID: [Float]] = [:]
        let position = try store.forEachEmbedding(recognizer: RecognizerID("r")) { seen[$0] = $1 }
        #expect(position == before + 1 && seen == [b1.id: unitVector(3)])
        // Upserts of deleted faces are dropped from the replay; their deletes remain.
        let full = try store.changes(recognizer: RecognizerID("r"), after: 0)
        #expect(full.filter { if case .upsert = $0.kind { true } else { false } }.map(\.id) == [b1.id])
    }

    @Test(arguments: Backend.all)
    func importIsAnUpsertAndAllOrNothing(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        _ = try await store.createPerson(classID: "P1", name: "Old", info: "old")
        let result = try await store.importPeople([
            PersonImport(classID: "P1", name: "Trần Văn Ơn", info: "cập nhật"),
            PersonImport(classID: "P2", name: "Lê Thị Hồng", info: ""),
        ])
        #expect(result.inserted == 1 && result.updated == 1)
        #expect(try await store.person(classID: "P1")?.name == "Trần Văn Ơn")
        await #expect(throws: StoreError.self) {
            try await store.importPeople([PersonImport(classID: "P3", name: "x", info: ""), PersonImport(classID: "", name: "y", info: "")])
        }
        #expect(try await store.person(classID: "P3") == nil)
    }

    @Test(arguments: Backend.all)
    func accountsAndAPIKeys(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        #expect(try await store.accountCount() == 0)
        let admin = try await store.createAccount(username: "admin", passwordHash: "$2b$12$hash", role: .admin)
        await #expect(throws: StoreError.conflict("the username admin is taken")) {
            try await store.createAccount(username: "admin", passwordHash: "x", role: .viewer)
        }
        #expect(try await store.account(username: "admin")?.role == .admin)
        #expect(try await store.account(id: admin.id)?.username == "admin")
        let disabled = try await store.updateAccount(id: admin.id, passwordHash: nil, role: .operator, disabled: true)
        #expect(disabled.role == .operator && disabled.disabled && disabled.passwordHash == "$2b$12$hash")
        await #expect(throws: StoreError.self) { try await store.updateAccount(id: 999, passwordHash: "x", role: nil, disabled: nil) }

        let key = try await store.createAPIKey(accountID: admin.id, name: "camera", prefix: "lk_abc", keyHash: String(repeating: "f", count: 64),
                                               expiresAt: nil)
        #expect(try await store.apiKey(hash: key.keyHash)?.1.username == "admin")
        #expect(try await store.apiKeys(accountID: admin.id).count == 1)
        try await store.revokeAPIKey(id: key.id, accountID: admin.id)
        #expect(try await store.apiKey(hash: key.keyHash) == nil)
        await #expect(throws: StoreError.self) { try await store.revokeAPIKey(id: key.id, accountID: admin.id) }
        await #expect(throws: StoreError.self) {
            try await store.createAPIKey(accountID: 424242, name: "x", prefix: "p", keyHash: String(repeating: "e", count: 64), expiresAt: nil)
        }
        // An expired key authenticates nothing; one that expires later does.
        let past = Int64(Date().timeIntervalSince1970 * 1000) - 1000
        let expired = try await store.createAPIKey(accountID: admin.id, name: "old", prefix: "lk_old", keyHash: String(repeating: "a", count: 64),
                                                   expiresAt: past)
        #expect(try await store.apiKey(hash: expired.keyHash) == nil)
        let later = try await store.createAPIKey(accountID: admin.id, name: "new", prefix: "lk_new", keyHash: String(repeating: "b", count: 64),
                                                 expiresAt: past + 86_400_000)
        #expect(try await store.apiKey(hash: later.keyHash)?.0.expiresAt == past + 86_400_000)

        // Token versions: a role change keeps them, a new password or a disable raises them,
        // and so does revokeTokens; deleting an account takes its keys with it.
        let version = try #require(try await store.account(id: admin.id)).tokenVersion
        #expect(try await store.updateAccount(id: admin.id, passwordHash: nil, role: .admin, disabled: false).tokenVersion == version)
        #expect(try await store.updateAccount(id: admin.id, passwordHash: "$2b$12$new", role: nil, disabled: nil).tokenVersion == version + 1)
        try await store.revokeTokens(accountID: admin.id)
        #expect(try await store.account(id: admin.id)?.tokenVersion == version + 2)
        await #expect(throws: StoreError.self) { try await store.revokeTokens(accountID: 424242) }
        try await store.deleteAccount(id: admin.id)
        #expect(try await store.account(id: admin.id) == nil)
        #expect(try await store.apiKey(hash: later.keyHash) == nil)
        #expect(try await store.apiKeys(accountID: admin.id).isEmpty)
        await #expect(throws: StoreError.self) { try await store.deleteAccount(id: admin.id) }
    }

    /// The people of faces in one call; unknown ids are left out.
    @Test(arguments: Backend.all)
    func peopleOfFacesInOneCall(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        var ids: [FaceID] = []
        for p in 0..<3 {
            _ = try await store.createPerson(classID: "P\(p)", name: "n\(p)", info: "i\(p)")
            for i in 0..<2 { ids.append(try await store.addFace(newFace(p * 10 + i), classID: "P\(p)").id) }
        }
        let found = try await store.people(ofFaces: ids + [999_999])
        #expect(found.count == 6 && found[999_999] == nil)
        #expect(found[ids[2]]?.classID == "P1" && found[ids[2]]?.info == "i1" && found[ids[2]]?.name == "n1")
        #expect(found[ids[5]]?.classID == "P2" && found[ids[0]]?.id == found[ids[1]]?.id)
        #expect(try await store.people(ofFaces: []).isEmpty)
    }

    /// Several first registrations at once: the count and the insert share one transaction, so
    /// exactly one becomes admin.
    @Test(arguments: Backend.all)
    func racingFirstRegistrationsMakeOneAdmin(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        let winners = try await withThrowingTaskGroup(of: Account?.self) { group in
            for i in 0..<8 { group.addTask { try await store.createFirstAdmin(username: "admin\(i)", passwordHash: "h") } }
            return try await group.reduce(into: [Account]()) { if let a = $1 { $0.append(a) } }
        }
        #expect(winners.count == 1 && winners.first?.role == .admin)
        #expect(try await store.accountCount() == 1)
        #expect(try await store.createFirstAdmin(username: "late", passwordHash: "h") == nil)
    }

    /// Ids that would name another row than the one stored: a NUL (SQLite's C API stops at
    /// it), control characters, trailing spaces (MariaDB's PAD SPACE ignores them).
    @Test(arguments: Backend.all)
    func classIDsWithControlCharactersOrEdgeSpacesAreRefused(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        _ = try await store.createPerson(classID: "P1", name: "n", info: "")
        for bad in ["P1\u{0}x", "P1 ", " P1", "a\tb", "a\nb"] {
            await #expect(throws: StoreError.self, "\(bad.debugDescription)") { try await store.createPerson(classID: bad, name: "n", info: "") }
        }
        _ = try await store.createPerson(classID: "a b/ü 1", name: "n", info: "")
        #expect(try await store.person(classID: "a b/ü 1") != nil)
    }

    @Test(arguments: Backend.all)
    func concurrentEnrollmentGetsGaplessOrderedPositions(backend: Backend) async throws {
        let store = try backend.makeContractStore()
        for p in 0..<4 { _ = try await store.createPerson(classID: "P\(p)", name: "n", info: "") }
        let start = try store.currentPosition()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<4 {
                group.addTask { for i in 0..<10 { _ = try await store.addFace(newFace(p * 100 + i), classID: "P\(p)") } }
            }
            try await group.waitForAll()
        }
        let changes = try store.changes(recognizer: RecognizerID("r"), after: start)
        #expect(changes.map(\.position) == Array((start + 1)...(start + 40)))
    }

    @Test func unreachableDatabasesAreUnavailableErrors() throws {
        #expect(throws: StoreError.self) { try SQLStore(url: .mysql(DatabaseServer(host: "127.0.0.1", port: 1, user: "u", password: "p", database: "d"))) }
        #expect(throws: StoreError.self) { try SQLStore(url: .sqlite(path: "/proc/likeness-cannot-exist/x.db")) }
        #expect(throws: StoreError.self) { try SQLStore(url: .postgres(DatabaseServer(host: "127.0.0.1", port: 1, user: "u", password: "p", database: "d"))) }
        #expect(throws: StoreError.self) { try DatabaseURL("oracle://x/y") }
        #expect(try DatabaseURL("postgresql://likeness:p%3Aw@pg:5433/gallery") ==
                .postgres(DatabaseServer(host: "pg", port: 5433, user: "likeness", password: "p:w", database: "gallery")))
        let url = DatabaseURL.postgres(DatabaseServer(host: "pg", port: 5433, user: "a@b", password: "p:w/@", database: "gallery"))
        #expect(try DatabaseURL(url.text) == url)
        #expect(try DatabaseURL("mysql://root:p%40ss@db:3307/face_recognition") ==
                .mysql(DatabaseServer(host: "db", port: 3307, user: "root", password: "p@ss", database: "face_recognition")))
        #expect(try DatabaseURL("sqlite:///var/lib/likeness/likeness.db") == .sqlite(path: "/var/lib/likeness/likeness.db"))
    }
}
