import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessCore
@testable import LikenessServer
import LikenessTestSupport
import LikenessVision
import Logging
import Testing

/// Ids collected inside a test client's closure.
final class IDs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [Int64] = []
    func append(_ id: Int64) { lock.withLock { ids.append(id) } }
    var all: [Int64] { lock.withLock { ids } }
}

/// Enrolled faces keep a crop: served to the console, deleted with the face, and good enough
/// for a recognizer to find and embed the face again (what a model migration needs).
@Suite struct FaceCropTests {
    @Test func enrolmentKeepsACropThatGoesWithItsFace() async throws {
        try await Harness().run { client in
            let (_, oper, viewer) = try await tokens(client)
            _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                         body: ByteBuffer(string: #"{"class_id": "A", "name": "Alice"}"#))
            let enrolled = try object(try await client.execute(uri: "/v1/people/A/faces", method: .post, headers: Multipart.headers(oper),
                                                               body: Multipart.body([("file", image("FACE:alice"))])))
            let face = try #require((enrolled["results"] as? [[String: Any]])?.first?["face"] as? [String: Any])
            let id = try #require(face["image_id"] as? Int)
            #expect(face["has_crop"] as? Bool == true)
            let crop = try await client.execute(uri: "/v1/faces/\(id)/crop", method: .get, headers: auth(viewer))
            #expect(crop.status == .ok && crop.headers[.contentType] == "image/jpeg")
            #expect(String(buffer: crop.body) == "CROP:alice")
            let index = try object(try await client.execute(uri: "/v1/index", method: .get, headers: auth(viewer)))
            #expect(index["faces_by_recognizer"] as? [String: Int] == ["fake": 1] && index["unsearchable_faces"] as? Int == 0)
            #expect(try await client.execute(uri: "/v1/faces/\(id)/crop", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/v1/faces/999/crop", method: .get, headers: auth(viewer)).status == .notFound)
            _ = try await client.execute(uri: "/v1/faces/\(id)", method: .delete, headers: auth(oper))
            #expect(try await client.execute(uri: "/v1/faces/\(id)/crop", method: .get, headers: auth(viewer)).status == .notFound)
        }
    }

    @Test func originalsAreKeptOnlyWhenAskedFor() async throws {
        try await Harness().run { client in
            let (_, oper, viewer) = try await tokens(client)
            let added = try object(try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                            body: Multipart.body([("class_id", "B"), ("name", "Bob"), ("file", image("FACE:bob"))])))
            let id = try #require(added["image_id"] as? String)
            let none = try await client.execute(uri: "/v1/faces/\(id)/original", method: .get, headers: auth(viewer))
            #expect(none.status == .notFound && errorCode(none) == "not_found")
        }
        try await Harness { $0.storeOriginals = true }.run { client in
            let (_, oper, viewer) = try await tokens(client)
            let added = try object(try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                            body: Multipart.body([("class_id", "B"), ("name", "Bob"), ("file", image("FACE:bob"))])))
            let id = try #require(added["image_id"] as? String)
            let original = try await client.execute(uri: "/v1/faces/\(id)/original", method: .get, headers: auth(viewer))
            #expect(original.status == .ok && String(buffer: original.body) == "FACE:bob")
            #expect(original.headers[.contentType] == "application/octet-stream", "the fake image is not a known format")
            // Replaced with the face's image, purged with the face.
            _ = try await client.execute(uri: "/api/edit_embedding", method: .put, headers: Multipart.headers(oper),
                                         body: Multipart.body([("image_id", id), ("file", image("FACE:carol"))]))
            #expect(String(buffer: try await client.execute(uri: "/v1/faces/\(id)/original", method: .get, headers: auth(viewer)).body) == "FACE:carol")
            _ = try await client.execute(uri: "/v1/faces/\(id)", method: .delete, headers: auth(oper))
            #expect(try await client.execute(uri: "/v1/faces/\(id)/original", method: .get, headers: auth(viewer)).status == .notFound)
        }
    }

    /// Kept originals are reported in /v1/index and kept within their budget and retention by
    /// the retention service; faces and crops stay.
    @Test func originalsAreKeptWithinTheirRetentionAndBudget() async throws {
        let harness = Harness {
            $0.storeOriginals = true
            $0.originalRetention = OriginalRetention(maxAgeSeconds: 86_400, budgetBytes: 16)
        }
        let ids = IDs()
        try await harness.run { client in
            let (_, oper, viewer) = try await tokens(client)
            for name in ["bob", "carol", "dave"] {  // "FACE:bob" is 8 bytes, "FACE:carol" 10, "FACE:dave" 9
                let added = try object(try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                                body: Multipart.body([("class_id", name), ("name", name), ("file", image("FACE:\(name)"))])))
                ids.append(Int64(try #require(added["image_id"] as? String)) ?? -1)
                try await Task.sleep(for: .milliseconds(3))
            }
            let before = try object(try await client.execute(uri: "/v1/index", method: .get, headers: auth(viewer)))
            let stored = try #require(before["stored_images"] as? [String: Any])
            #expect(stored["originals"] as? Int == 3 && stored["original_bytes"] as? Int == 27 && stored["crops"] as? Int == 3, "\(stored)")
            #expect(stored["original_retention_days"] as? Double == 1 && stored["originals_budget_bytes"] as? Int == 16, "\(stored)")

            // Within the budget, the newest stays (dave, 9 bytes); carol would take it to 19.
            let service = OriginalRetentionService(gallery: harness.store, retention: harness.configuration.originalRetention,
                                                   logger: Logger(label: "test"))
            #expect(try await service.purgeOnce() == OriginalPurge(overBudget: 2, bytes: 18))
            let kept = ids.all
            #expect(try await client.execute(uri: "/v1/faces/\(kept[2])/original", method: .get, headers: auth(viewer)).status == .ok)
            #expect(try await client.execute(uri: "/v1/faces/\(kept[0])/original", method: .get, headers: auth(viewer)).status == .notFound)
            #expect(try await client.execute(uri: "/v1/faces/\(kept[0])/crop", method: .get, headers: auth(viewer)).status == .ok)

            // Two days later, the last one has expired too.
            let later = OriginalRetentionService(gallery: harness.store, retention: harness.configuration.originalRetention,
                                                 logger: Logger(label: "test"), clock: { Date().addingTimeInterval(2 * 86_400) })
            #expect(try await later.purgeOnce() == OriginalPurge(expired: 1, bytes: 9))
            let after = try object(try await client.execute(uri: "/v1/index", method: .get, headers: auth(viewer)))
            #expect((after["stored_images"] as? [String: Any])?["originals"] as? Int == 0)
            #expect(after["total_vectors"] as? Int == 3)
        }
    }

    @Test func cropsCanBeTurnedOff() async throws {
        try await Harness { $0.storeFaceCrops = false }.run { client in
            let (_, oper, viewer) = try await tokens(client)
            let added = try object(try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                            body: Multipart.body([("class_id", "B"), ("name", "Bob"), ("file", image("FACE:bob"))])))
            let id = try #require(added["image_id"] as? String)
            let face = try object(try await client.execute(uri: "/v1/faces/\(id)", method: .get, headers: auth(viewer)))
            #expect(face["has_crop"] as? Bool == false)
            let crop = try await client.execute(uri: "/v1/faces/\(id)/crop", method: .get, headers: auth(viewer))
            #expect(crop.status == .notFound && errorCode(crop) == "not_found")
        }
    }

    /// The real dlib pipeline: the crop is a JPEG of bounded size in which the same detector
    /// finds the face again, and its embedding is the same person's.
    @Test(.enabled(if: LiveServerTests.available, "../shared/faces is absent"))
    func aCropIsEnoughToEmbedTheFaceAgain() throws {
        let pipeline = try FacePipeline.dlib(modelDirectory: LiveServerTests.models)
        for name in ["obama/obama.jpg", "biden/biden.jpg"] {
            let photo = [UInt8](try Data(contentsOf: LiveServerTests.shared.appendingPathComponent("face_recognition/knn_examples/train/" + name)))
            let original = try pipeline.analyzeNow(photo, options: AnalysisOptions(cropLargestFace: true))
            let face = try #require(original.faces.first)
            let crop = try #require(face.crop)
            #expect(crop.starts(with: [0xFF, 0xD8, 0xFF]) && crop.count < 120_000, "\(name): \(crop.count) bytes")
            let again = try pipeline.analyzeNow(crop, options: AnalysisOptions())
            #expect(again.width <= FaceCrop.maxSide && again.height <= FaceCrop.maxSide)
            let refound = try #require(again.faces.first, "\(name): no face in its own crop")
            let a = try #require(face.embedding?.vector), b = try #require(refound.embedding?.vector)
            let cosine = zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            #expect(cosine > 0.95, "\(name): cosine \(cosine) between the photo's and the crop's embeddings")
            // Other faces get no crop: only enrolment's largest face is kept.
            #expect(original.faces.dropFirst().allSatisfy { $0.crop == nil })
        }
    }
}
