import Foundation
import LikenessCore
@testable import LikenessStore
import Testing

/// The model-migration rows on each SQL database: progress, misses, the switch in one
/// transaction with its change log, the kept embeddings, and a face deleted mid-migration.
@Suite struct EmbeddingMigrationStoreTests {
    static let old = RecognizerID("r"), new = RecognizerID("n")

    func face(_ i: Int, crop: Bool = true) -> NewFace {
        NewFace(embedding: Embedding(recognizer: Self.old, normalized: unitVector(i)),
                box: BoundingBox(x: 0, y: 0, width: 10, height: 10), detectionScore: 1, crop: crop ? [UInt8(i)] : nil, imageSHA256: "s\(i)")
    }

    @Test(arguments: Backend.available)
    func migrateSwitchAndDrop(backend: Backend) async throws {
        let store = try backend.makeStore()
        _ = try await store.createPerson(classID: "A", name: "Alice", info: "")
        var ids: [FaceID] = []
        for i in 0..<5 { ids.append(try await store.addFace(face(i, crop: i != 4), classID: "A").id) }
        #expect(try await store.migrationProgress(to: Self.new) == MigrationProgress(total: 5, embedded: 0, missed: 0))

        // Pages by id, the crop with each; a face done or missed is not offered again.
        let page = try await store.facesToMigrate(to: Self.new, after: 0, limit: 3)
        #expect(page.map(\.faceID) == Array(ids.prefix(3)) && page[0].crop == [0])
        for id in ids.prefix(3) {
            try await store.saveMigratedEmbedding(faceID: id, Embedding(recognizer: Self.new, normalized: unitVector(Int(id) + 10, 16)))
        }
        try await store.recordMigrationMiss(faceID: ids[4], recognizer: Self.new, reason: "no stored crop")
        // Saving twice (a run killed between save and report) is harmless.
        try await store.saveMigratedEmbedding(faceID: ids[0], Embedding(recognizer: Self.new, normalized: unitVector(Int(ids[0]) + 10, 16)))
        #expect(try await store.facesToMigrate(to: Self.new, after: 0, limit: 10).map(\.faceID) == [ids[3]])
        #expect(try await store.migrationProgress(to: Self.new) == MigrationProgress(total: 5, embedded: 3, missed: 1))
        #expect(try await store.migrationMisses(to: Self.new) == [MigrationMiss(faceID: ids[4], classID: "A", reason: "no stored crop")])

        // A face deleted mid-migration takes its rows with it.
        try await store.deleteFace(id: ids[3])
        try await store.saveMigratedEmbedding(faceID: ids[3], Embedding(recognizer: Self.new, normalized: unitVector(1, 16)))
        #expect(try await store.migrationProgress(to: Self.new) == MigrationProgress(total: 4, embedded: 3, missed: 1))

        // The switch: the three serve under the new recognizer, with their new vectors; the
        // change log tells the old index to drop them and the new one to add them.
        let position = try store.currentPosition()
        #expect(try await store.servingPack() == nil)
        #expect(try await store.switchRecognizer(to: Self.new, pack: "/packs/new.json") == 3)
        #expect(try await store.servingPack() == "/packs/new.json")
        #expect(try await store.faceCountsByRecognizer() == [Self.new: 3, Self.old: 1])
        #expect(try await store.embedding(faceID: ids[0])?.vector == unitVector(Int(ids[0]) + 10, 16))
        let added = try store.changes(recognizer: Self.new, after: position)
        let dropped = try store.changes(recognizer: Self.old, after: position)
        #expect(Set(added.map(\.id)) == Set(ids.prefix(3)) && dropped.count == 3)
        #expect(dropped.allSatisfy { if case .delete = $0.kind { true } else { false } })
        #expect(added.allSatisfy { if case let .upsert(v) = $0.kind { v.count == 16 } else { false } })
        // Earlier upserts of the old recognizer no longer hand out the new vectors.
        #expect(try store.changes(recognizer: Self.old, after: 0).allSatisfy { if case let .upsert(v) = $0.kind { v.count == 8 } else { true } })
        // Misses are cleared with the switch; the old embeddings are kept until dropped.
        #expect(try await store.migrationMisses(to: Self.new).isEmpty)
        #expect(try await store.dropKeptEmbeddings(recognizer: Self.old) == 3)
        #expect(try await store.dropKeptEmbeddings(recognizer: Self.old) == 0)
    }
}
