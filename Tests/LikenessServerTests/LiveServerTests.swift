import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessCore
import LikenessIndex
import LikenessServer
import LikenessStore
import LikenessTestSupport
import LikenessVision
import Testing

/// The real pipeline (dlib pack), the real SQLite store and the real index behind the API.
@Suite(.serialized) struct LiveServerTests {
    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/faces")
    static let available = FileManager.default.fileExists(atPath: shared.path)
    static let models = ProcessInfo.processInfo.environment["LIKENESS_MODEL_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/models").path

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-live-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The server on a real pipeline, with a SQLite store and an index in `dataDirectory`.
    static func liveApp(_ pipeline: FacePipeline, dataDirectory dir: String,
                        configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> some ApplicationProtocol {
        let store = try SQLStore(url: .sqlite(path: dir + "/likeness.db"))
        let index = try LiveIndex(loader: IndexLoader(recognizer: pipeline.recognizer.id, dimension: pipeline.recognizer.dimension,
                                                      snapshotPath: dir + "/index.snapshot"),
                                  source: store)
        var configuration = ServerConfiguration()
        configuration.bcryptCost = 4
        configure(&configuration)
        return try await buildApplication(configuration: configuration,
                                          services: ServerServices(analyzer: pipeline, gallery: store, accounts: store, index: index))
    }

    func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Self.shared.appendingPathComponent("face_recognition/knn_examples/" + relative)))
    }

    @Test(.enabled(if: available, "../shared/faces is absent"))
    func knnExamplesEndToEnd() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let app = try await Self.liveApp(try FacePipeline.dlib(modelDirectory: Self.models), dataDirectory: dir)
        let train = ["alex_lacamoire": ["img1.jpg"], "biden": ["biden.jpg", "biden2.jpg"], "kit_harington": ["john1.jpeg", "john2.jpeg"],
                     "obama": try FileManager.default.contentsOfDirectory(atPath: Self.shared.appendingPathComponent("face_recognition/knn_examples/train/obama").path).sorted(),
                     "rose_leslie": try FileManager.default.contentsOfDirectory(atPath: Self.shared.appendingPathComponent("face_recognition/knn_examples/train/rose_leslie").path).sorted()]
        let trainFiles = try Dictionary(uniqueKeysWithValues: train.map { person, files in
            (person, try files.map { try bytes("train/\(person)/\($0)") })
        })
        let testFiles = try ["alex_lacamoire1.jpg", "johnsnow_test1.jpg", "kit_with_rose.jpg", "obama1.jpg", "obama_and_biden.jpg"]
            .reduce(into: [String: [UInt8]]()) { $0[$1] = try bytes("test/\($1)") }
        let stranger = [UInt8](try Data(contentsOf: Self.shared.appendingPathComponent("deepface/img1.jpg")))  // Angelina Jolie

        try await app.test(.router) { client in
            let (_, oper, viewer) = try await tokens(client)
            var firstImage: [String: String] = [:]
            for (person, files) in trainFiles.sorted(by: { $0.key < $1.key }) {
                let created = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                                       body: ByteBuffer(string: "{\"class_id\": \"\(person)\", \"name\": \"\(person)\"}"))
                #expect(created.status == .created)
                for file in files {
                    let r = try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                     body: Multipart.body([("class_id", person), ("file", file)]))
                    #expect(r.status == .created, "\(person): \(r.status) \(errorCode(r) ?? "")")
                    if firstImage[person] == nil { firstImage[person] = try object(r)["image_id"] as? String }
                }
            }
            func who(_ image: [UInt8]) async throws -> [String?] {
                let r = try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                                 body: Multipart.body([("file", image), ("k", "1")]))
                #expect(r.status == .ok)
                return (try object(r)["faces"] as? [[String: Any]] ?? []).map { ($0["matches"] as? [[String: Any]])?.first?["class_id"] as? String }
            }
            #expect(try await who(testFiles["alex_lacamoire1.jpg"]!) == ["alex_lacamoire"])
            #expect(try await who(testFiles["johnsnow_test1.jpg"]!) == ["kit_harington"])
            #expect(try await who(testFiles["obama1.jpg"]!) == ["obama"])
            #expect(Set(try await who(testFiles["obama_and_biden.jpg"]!).compactMap { $0 }) == ["obama", "biden"])
            #expect(Set(try await who(testFiles["kit_with_rose.jpg"]!).compactMap { $0 }) == ["kit_harington", "rose_leslie"])
            #expect(try await who(stranger) == [nil])

            // The compatible query answers the same, with person_info.
            let compat = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                             body: Multipart.body([("file", testFiles["obama1.jpg"]!)])))
            #expect((compat["person_info"] as? [String: Any])?["class_id"] as? String == "obama")
            let unknown = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                              body: Multipart.body([("file", stranger)])))
            #expect(unknown["person_info"] is NSNull)

            // Alex has one image: delete it and he is no longer recognised; delete Obama entirely.
            let alexImage = try #require(firstImage["alex_lacamoire"])
            #expect(try await client.execute(uri: "/api/delete_image?image_id=\(alexImage)", method: .delete, headers: auth(oper)).status == .ok)
            #expect(try await who(testFiles["alex_lacamoire1.jpg"]!) == [nil])
            #expect(try await client.execute(uri: "/api/delete_class/obama", method: .delete, headers: auth(oper)).status == .ok)
            #expect(try await who(testFiles["obama1.jpg"]!) == [nil])
            #expect(try await who(testFiles["johnsnow_test1.jpg"]!) == ["kit_harington"])
        }
    }

    /// The YuNet + MobileFaceNet + MiniFASNet pack of ../shared/models with anti-spoofing on:
    /// prints and screens are neither enrolled nor matched, and the results say why.
    @Test(.enabled(if: available, "../shared/faces is absent"))
    func antiSpoofingWithAnONNXPack() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let packText = try String(contentsOf: repo.appendingPathComponent("bench/packs/yunet-mobilefacenet.json"), encoding: .utf8)
            .replacingOccurrences(of: "../../../shared/models/", with: Self.shared.deletingLastPathComponent().path + "/models/")
        try packText.write(toFile: dir + "/pack.json", atomically: true, encoding: .utf8)
        let app = try await Self.liveApp(try FacePipeline.load(try InstalledPack.read(path: dir + "/pack.json")), dataDirectory: dir) {
            $0.antiSpoofing = true
        }
        @Sendable func photo(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: Self.shared.appendingPathComponent("spoof/" + name))) }
        try await app.test(.router) { client in
            let (_, oper, viewer) = try await tokens(client)
            let created = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                                   body: ByteBuffer(string: #"{"class_id": "t1", "name": "Live person"}"#))
            #expect(created.status == .created)
            let real = try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                body: Multipart.body([("class_id", "t1"), ("file", try photo("image_T1.jpg"))]))
            #expect(real.status == .created)
            let print = try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                 body: Multipart.body([("class_id", "t1"), ("file", try photo("image_F1.jpg"))]))
            #expect(print.status == .unprocessableContent && errorCode(print) == "spoof_detected")

            func query(_ name: String) async throws -> [String: Any] {
                let r = try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                 body: Multipart.body([("file", try photo(name)), ("threshold", "0.3"), ("include_demographics", "true")]))
                #expect(r.status == .ok)
                return try object(r)
            }
            let live = try await query("image_T1.jpg")
            #expect(live["message"] as? String == "match" && live["is_live"] as? Bool == true)
            #expect((live["person_info"] as? [String: Any])?["class_id"] as? String == "t1")
            // No age/gender model in this pack: asked for, they are null rather than absent.
            #expect(live["age"] is NSNull && live["gender"] is NSNull)
            for spoof in ["image_F1.jpg", "image_F2.jpg"] {
                let answer = try await query(spoof)
                #expect(answer["message"] as? String == "spoof" && answer["is_live"] as? Bool == false, "\(spoof)")
                #expect(answer["person_info"] is NSNull)
            }
            let identify = try object(try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                                               body: Multipart.body([("file", try photo("image_F2.jpg")), ("threshold", "0.3")])))
            let face = try #require((identify["faces"] as? [[String: Any]])?.first)
            #expect(face["spoof"] as? Bool == true && (face["matches"] as? [Any])?.isEmpty == true)
            #expect((face["liveness"] as? [String: Any])?["real"] as? Bool == false)
            let status = try object(try await client.execute(uri: "/v1/index", method: .get, headers: auth(viewer)))
            #expect(status["liveness_available"] as? Bool == true && status["attributes_available"] as? Bool == false)
            #expect(status["recognizer"] as? String == "mobilefacenet_128")
        }
    }

    /// Calibrated decisions, quality refusals and mislabel warnings on the dlib pack, SQLite
    /// and the real index: answers say which threshold applied and why; a blurred photo and
    /// a tiny face are not enrolled; Obama enrolled as Biden is flagged, at enrolment and in
    /// Biden's face list.
    @Test(.enabled(if: available, "../shared/faces is absent"))
    func calibrationQualityAndMislabels() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let app = try await Self.liveApp(try FacePipeline.dlib(modelDirectory: Self.models), dataDirectory: dir)
        let obamaDir = Self.shared.appendingPathComponent("face_recognition/knn_examples/train/obama").path
        let obama = try FileManager.default.contentsOfDirectory(atPath: obamaDir).sorted().map { try bytes("train/obama/\($0)") }
        let biden = try bytes("train/biden/biden.jpg")
        let sharp = try ImageDecoder().decode(try bytes("test/obama1.jpg"))

        try await app.test(.router) { client in
            let (_, oper, viewer) = try await tokens(client)
            for person in ["obama", "biden"] {
                _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                             body: ByteBuffer(string: "{\"class_id\": \"\(person)\", \"name\": \"\(person)\"}"))
            }
            func enroll(_ person: String, _ image: [UInt8]) async throws -> TestResponse {
                try await client.execute(uri: "/v1/people/\(person)/faces", method: .post, headers: Multipart.headers(oper),
                                         body: Multipart.body([("file", image)]))
            }
            for image in obama.prefix(2) { #expect(try await enroll("obama", image).status == .created) }
            let first = try await enroll("biden", biden)
            #expect(first.status == .created)
            let firstFace = try #require((try object(first)["results"] as? [[String: Any]])?.first?["face"] as? [String: Any])
            #expect(firstFace["warning"] == nil)

            // Quality: blurred and tiny copies of a sharp photo are refused with the reason.
            // Its face is about 390 px wide: a blur of radius 12 is about 3.5 px at the 112 px measure.
            let blurred = try await enroll("obama", ImageEdits.png(ImageEdits.blurred(sharp, radius: 12)))
            #expect(blurred.status == .unprocessableContent && errorCode(blurred) == "face_quality", "\(blurred.status) \(String(buffer: blurred.body))")
            #expect(((try object(blurred)["error"] as? [String: Any])?["message"] as? String)?.contains("blurred") == true)
            let detect = try object(try await client.execute(uri: "/v1/detect", method: .post, headers: Multipart.headers(viewer),
                                                             body: Multipart.body([("file", try bytes("test/obama1.jpg"))])))
            let quality = try #require((detect["faces"] as? [[String: Any]])?.first?["quality"] as? [String: Any])
            #expect((quality["overall"] as? Double ?? 0) > 0.3 && quality["sharpness"] is Double && quality["yaw"] is Double)

            // Obama enrolled as Biden: enrolled, with a warning naming Obama.
            let mislabelled = try await enroll("biden", try bytes("test/obama1.jpg"))
            #expect(mislabelled.status == .created)
            let warning = try #require(((try object(mislabelled)["results"] as? [[String: Any]])?.first?["face"] as? [String: Any])?["warning"]
                as? [String: Any])
            #expect(warning["code"] as? String == "closer_to_another_person" && warning["other_class_id"] as? String == "obama")
            let listed = try await client.execute(uri: "/v1/people/biden/faces", method: .get, headers: auth(viewer))
            let faces = try #require(try JSONSerialization.jsonObject(with: Data(listed.body.readableBytesView)) as? [[String: Any]])
            #expect(faces.count == 2 && faces.filter { $0["warning"] != nil }.count >= 1)

            // The answer names the threshold: calibrated, over the 4 enrolled faces. The probe
            // is another file of Obama (obama-480p.jpg, not enrolled).
            let probe = [UInt8](try Data(contentsOf: Self.shared.appendingPathComponent("face_recognition/obama-480p.jpg")))
            let identify = try object(try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                                               body: Multipart.body([("file", probe)])))
            let applied = try #require(identify["threshold_applied"] as? [String: Any])
            #expect(applied["basis"] as? String == "false_positive_identification_rate" && applied["comparisons"] as? Int == 4)
            #expect(identify["threshold"] as? Double == applied["cosine"] as? Double)
            let match = try #require(((identify["faces"] as? [[String: Any]])?.first?["matches"] as? [[String: Any]])?.first)
            #expect(match["class_id"] as? String == "obama" && (match["confidence"] as? Double ?? 0) > 40)
            // A cosine in the request is the pack's raw scale, as in the original.
            let raw = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                          body: Multipart.body([("file", probe), ("threshold", "0.99")])))
            let similarity = try #require(match["similarity"] as? Double)
            #expect(raw["threshold"] as? Double == 0.99 && raw["message"] as? String == (similarity >= 0.99 ? "match" : "unknown"))
            let confident = try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                                     body: Multipart.body([("file", probe), ("min_confidence", "100")]))
            #expect(((try object(confident)["threshold_applied"] as? [String: Any])?["basis"] as? String) == "request_min_confidence")
            let both = try await client.execute(uri: "/v1/verify", method: .post, headers: Multipart.headers(viewer),
                                                body: Multipart.body([("file", probe), ("class_id", "obama"),
                                                                      ("threshold", "0.5"), ("min_confidence", "50")]))
            #expect(both.status == .badRequest)
            let verify = try object(try await client.execute(uri: "/v1/verify", method: .post, headers: Multipart.headers(viewer),
                                                             body: Multipart.body([("file", probe), ("class_id", "obama")])))
            #expect(verify["same_person"] as? Bool == true && (verify["threshold_applied"] as? [String: Any])?["comparisons"] as? Int == 2)
        }
    }
}
