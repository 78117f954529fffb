import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessCore
@testable import LikenessServer
import LikenessTestSupport
import LikenessVision
import Testing

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
