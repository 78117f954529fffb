import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessCore
import Testing

@testable import LikenessServer

/// How search answers are assembled: distinct people, and a constant number of look-ups.
@Suite struct SearchAnswerTests {
    /// 150 people, one face each, all near the query: identify with k = 100 answers 100 people
    /// with one look-up, not one or two per hit.
    @Test func identifyLooksUpAllHitsInOneQuery() async throws {
        let harness = Harness { $0.searchK = 100 }
        for i in 0..<150 {
            _ = try await harness.gallery.createPerson(classID: "P\(i)", name: "n\(i)", info: "")
            let v: [Float] = [1, Float(i) / 1000, 0, 0]
            _ = try await harness.gallery.addFace(NewFace(embedding: Embedding(recognizer: RecognizerID("fake"), raw: v),
                                                          box: BoundingBox(x: 0, y: 0, width: 10, height: 10), detectionScore: 1,
                                                          imageSHA256: "x"), classID: "P\(i)")
        }
        _ = try harness.index.catchUp()
        try await harness.run { client in
            let (_, _, viewer) = try await tokens(client)
            let before = harness.gallery.queries.count
            let r = try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                             body: Multipart.body([("file", image("FACE:alice")), ("k", "100"), ("threshold", "0.5")]))
            #expect(r.status == .ok)
            let identified = try decode(RecognitionController.IdentifyDTO.self, r)
            #expect(identified.faces.first?.matches.count == 100)
            #expect(harness.gallery.queries.count - before == 1)
        }
    }

    /// One person with many near faces does not crowd the others out of the top five.
    @Test func topFiveAreFiveDistinctPeople() async throws {
        let harness = Harness()
        func add(_ classID: String, _ v: [Float]) async throws {
            _ = try await harness.gallery.addFace(NewFace(embedding: Embedding(recognizer: RecognizerID("fake"), raw: v),
                                                          box: BoundingBox(x: 0, y: 0, width: 10, height: 10), detectionScore: 1,
                                                          imageSHA256: "x"), classID: classID)
        }
        _ = try await harness.gallery.createPerson(classID: "MANY", name: "many", info: "")
        for i in 0..<40 { try await add("MANY", [1, Float(i) / 10000, 0, 0]) }
        for p in 0..<6 {
            _ = try await harness.gallery.createPerson(classID: "O\(p)", name: "o", info: "")
            try await add("O\(p)", [0.9, 0.1 + Float(p) / 100, 0, 0])
        }
        _ = try harness.index.catchUp()
        try await harness.run { client in
            let (_, _, viewer) = try await tokens(client)
            let r = try await client.execute(uri: "/api/face_query_top5", method: .post, headers: Multipart.headers(viewer),
                                             body: Multipart.body([("file", image("FACE:alice"))]))
            let results = try #require(try object(r)["results"] as? [[String: Any]])
            let ids = results.compactMap { ($0["person_info"] as? [String: Any])?["class_id"] as? String }
            #expect(ids.count == 5 && Set(ids).count == 5 && ids.first == "MANY")
        }
    }
}
