import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessCore
@testable import LikenessServer
import Testing

@Suite struct SystemAndAuthTests {
    @Test func healthReadinessAndOpenAPIAreOpen() async throws {
        try await Harness().run { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            let doc = try object(try await client.execute(uri: "/openapi.json", method: .get))
            #expect(doc["openapi"] as? String == "3.0.3")
            let paths = try #require(doc["paths"] as? [String: Any])
            for p in ["/api/face_query", "/api/face_query_top5", "/api/add_embedding", "/api/edit_embedding", "/api/delete_image",
                      "/api/list_nguoi", "/api/get_image_ids_by_class/{class_id}", "/api/delete_class/{class_id}", "/api/index_status",
                      "/api/reset_index", "/api/vector_info", "/api/login", "/api/register", "/v1/people", "/v1/identify", "/v1/verify"] {
                #expect(paths[p] != nil, "\(p) undocumented")
            }
        }
    }

    @Test func everyProtectedEndpointNeedsAToken() async throws {
        try await Harness().run { client in
            for (method, uri) in [(HTTPRequest.Method.post, "/api/face_query"), (.get, "/api/list_nguoi"), (.post, "/api/add_embedding"),
                                  (.get, "/v1/people"), (.post, "/v1/identify"), (.get, "/v1/index"), (.delete, "/api/delete_class/x"),
                                  (.get, "/api/index_status"), (.post, "/api/reset_index"), (.get, "/v1/accounts/me")] {
                let r = try await client.execute(uri: uri, method: method)
                #expect(r.status == .unauthorized && errorCode(r) == "unauthorized", "\(method) \(uri): \(r.status)")
            }
            let bad = try await client.execute(uri: "/v1/people", method: .get, headers: auth("not-a-token"))
            #expect(bad.status == .unauthorized && errorCode(bad) == "bad_token")
            let basic = try await client.execute(uri: "/v1/people", method: .get, headers: [.authorization: "Basic abc"])
            #expect(basic.status == .unauthorized)
        }
    }

    @Test func registrationLoginAndRoles() async throws {
        try await Harness().run { client in
            let (admin, oper, viewer) = try await tokens(client)
            // Later registration needs an admin (registration is closed by default).
            let closed = try await client.execute(uri: "/api/register", method: .post, headers: jsonHeaders(),
                                                  body: ByteBuffer(string: #"{"username": "eve", "password": "password-eve"}"#))
            #expect(closed.status == .unauthorized)
            let byViewer = try await client.execute(uri: "/api/register", method: .post, headers: jsonHeaders(viewer),
                                                    body: ByteBuffer(string: #"{"username": "eve", "password": "password-eve"}"#))
            #expect(byViewer.status == .forbidden && errorCode(byViewer) == "forbidden")
            let duplicate = try await client.execute(uri: "/v1/accounts", method: .post, headers: jsonHeaders(admin),
                                                     body: ByteBuffer(string: #"{"username": "view", "password": "password-x"}"#))
            #expect(duplicate.status == .conflict && errorCode(duplicate) == "conflict")
            let weak = try await client.execute(uri: "/v1/accounts", method: .post, headers: jsonHeaders(admin),
                                                body: ByteBuffer(string: #"{"username": "weak", "password": "short"}"#))
            #expect(weak.status == .badRequest && errorCode(weak) == "invalid_password")
            let me = try object(try await client.execute(uri: "/v1/accounts/me", method: .get, headers: auth(oper)))
            #expect(me["role"] as? String == "operator")

            // Form-encoded login, as FastAPI's OAuth2 form sends it.
            let form = try await client.execute(uri: "/api/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                body: ByteBuffer(string: "username=view&password=password-view"))
            #expect(form.status == .ok)
            #expect(try object(form)["token_type"] as? String == "bearer")

            // Roles: a viewer may query but not enroll; only an admin may reset the index.
            let enroll = try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(viewer),
                                                  body: Multipart.body([("class_id", "A"), ("file", image("FACE:alice"))]))
            #expect(enroll.status == .forbidden)
            #expect(try await client.execute(uri: "/api/reset_index", method: .post, headers: auth(oper)).status == .forbidden)
            #expect(try await client.execute(uri: "/api/reset_index", method: .post, headers: auth(admin)).status == .ok)
        }
    }

    @Test func repeatedFailedLoginsAreSlowedDown() async throws {
        try await Harness { $0.loginFailuresBeforeDelay = 3 }.run { client in
            _ = try await tokens(client)
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<5 {
                let r = try await client.execute(uri: "/api/login", method: .post, headers: jsonHeaders(),
                                                 body: ByteBuffer(string: #"{"username": "view", "password": "wrong-password"}"#))
                statuses.append(r.status)
                if r.status == .tooManyRequests { #expect(r.headers[.retryAfter] != nil) }
            }
            #expect(statuses.prefix(4) == [.unauthorized, .unauthorized, .unauthorized, .unauthorized])
            #expect(statuses.last == .tooManyRequests)
            // Even the right password waits until the delay has passed.
            let right = try await client.execute(uri: "/api/login", method: .post, headers: jsonHeaders(),
                                                 body: ByteBuffer(string: #"{"username": "view", "password": "password-view"}"#))
            #expect(right.status == .tooManyRequests)
        }
    }

    @Test func apiKeysAuthenticateUntilRevoked() async throws {
        try await Harness().run { client in
            let (_, oper, _) = try await tokens(client)
            let created = try object(try await client.execute(uri: "/v1/api-keys", method: .post, headers: jsonHeaders(oper),
                                                              body: ByteBuffer(string: #"{"name": "gate camera", "password": "password-oper"}"#)))
            let key = try #require(created["key"] as? String)
            #expect(key.hasPrefix("lk_"))
            #expect(try await client.execute(uri: "/v1/people", method: .get, headers: auth(key)).status == .ok)
            let listed = try array(try await client.execute(uri: "/v1/api-keys", method: .get, headers: auth(oper)))
            #expect(listed.count == 1 && listed[0]["key"] == nil)
            let id = try #require(created["id"] as? Int)
            #expect(try await client.execute(uri: "/v1/api-keys/\(id)", method: .delete, headers: auth(oper)).status == .noContent)
            let revoked = try await client.execute(uri: "/v1/people", method: .get, headers: auth(key))
            #expect(revoked.status == .unauthorized && errorCode(revoked) == "bad_token")
        }
    }
}

@Suite struct CompatibleEndpointTests {
    @Test func enrollQueryEditDelete() async throws {
        try await Harness().run { client in
            let (_, oper, viewer) = try await tokens(client)
            for (id, name) in [("PERSON_001", "John Doe"), ("PERSON_002", "Bob")] {
                let r = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                                 body: ByteBuffer(string: "{\"class_id\": \"\(id)\", \"name\": \"\(name)\", \"info\": \"Employee ID: 12345\"}"))
                #expect(r.status == .created)
            }
            let added = try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                 body: Multipart.body([("class_id", "PERSON_001"), ("file", image("FACE:alice"))]))
            #expect(added.status == .created)
            let imageID = try #require(try object(added)["image_id"] as? String)
            _ = try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                         body: Multipart.body([("class_id", "PERSON_002"), ("file", image("FACE:bob"))]))

            let hit = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                          body: Multipart.body([("file", image("FACE:alice2")), ("threshold", "0.5")])))
            #expect((hit["person_info"] as? [String: Any])?["class_id"] as? String == "PERSON_001")
            #expect((hit["person_info"] as? [String: Any])?["info"] as? String == "Employee ID: 12345")
            #expect(abs((hit["similarity"] as? Double ?? 0) - 0.95) < 0.01)
            #expect(hit["processing_time"] is Double)

            // Below the threshold: unknown.
            let stranger = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                               body: Multipart.body([("file", image("FACE:zed"))])))
            #expect(stranger["person_info"] is NSNull && stranger["message"] as? String == "unknown")
            // Unknown keeps the nearest similarity, as the original answered it; /v1 names the nearest person.
            #expect((stranger["similarity"] as? Double).map { $0 < (stranger["threshold"] as? Double ?? 0) } == true)
            let unknown = try object(try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                                              body: Multipart.body([("file", image("FACE:zed"))])))
            let face = try #require((unknown["faces"] as? [[String: Any]])?.first)
            let nearest = try #require(face["nearest"] as? [String: Any])
            #expect((face["matches"] as? [Any])?.isEmpty == true && ["PERSON_001", "PERSON_002"].contains(nearest["class_id"] as? String ?? ""))
            #expect((nearest["similarity"] as? Double ?? 1) < (unknown["threshold"] as? Double ?? 0))
            let known = try object(try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                                            body: Multipart.body([("file", image("FACE:alice"))])))
            #expect((known["faces"] as? [[String: Any]])?.first?["nearest"] == nil, "a known face has matches, not a nearest")

            // Several faces: one result each, the largest first, top level for the largest.
            let two = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                          body: Multipart.body([("file", image("FACES:bob,alice"))])))
            let faces = try #require(two["faces"] as? [[String: Any]])
            #expect(faces.count == 2 && (two["person_info"] as? [String: Any])?["class_id"] as? String == "PERSON_002")

            let top5 = try object(try await client.execute(uri: "/api/face_query_top5", method: .post, headers: Multipart.headers(viewer),
                                                           body: Multipart.body([("file", image("FACE:alice"))])))
            let results = try #require(top5["results"] as? [[String: Any]])
            #expect(results.count == 2 && (results[0]["person_info"] as? [String: Any])?["class_id"] as? String == "PERSON_001")

            let list = try array(try await client.execute(uri: "/api/list_nguoi", method: .get, headers: auth(viewer)))
            #expect(list.map { $0["class_id"] as? String } == ["PERSON_001", "PERSON_002"])
            let ids = try object(try await client.execute(uri: "/api/get_image_ids_by_class/PERSON_001", method: .get, headers: auth(viewer)))
            #expect((ids["image_ids"] as? [Int])?.map(String.init) == [imageID])

            // Edit: PERSON_001's image now holds carol's face.
            let edited = try await client.execute(uri: "/api/edit_embedding", method: .put, headers: Multipart.headers(oper),
                                                  body: Multipart.body([("image_id", imageID), ("file", image("FACE:carol"))]))
            #expect(edited.status == .ok)
            let carol = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                            body: Multipart.body([("file", image("FACE:carol"))])))
            #expect((carol["person_info"] as? [String: Any])?["class_id"] as? String == "PERSON_001")

            // Delete the image: gone from results.
            #expect(try await client.execute(uri: "/api/delete_image?image_id=\(imageID)", method: .delete, headers: auth(oper)).status == .ok)
            let gone = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                           body: Multipart.body([("file", image("FACE:carol"))])))
            #expect(gone["person_info"] is NSNull)
            let again = try await client.execute(uri: "/api/delete_image?image_id=\(imageID)", method: .delete, headers: auth(oper))
            #expect(again.status == .notFound && errorCode(again) == "not_found")

            // Delete the class: the person and their faces.
            let deleted = try object(try await client.execute(uri: "/api/delete_class/PERSON_002", method: .delete, headers: auth(oper)))
            #expect(deleted["deleted_images"] as? Int == 1)
            let bob = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                          body: Multipart.body([("file", image("FACE:bob"))])))
            #expect(bob["person_info"] is NSNull)
            #expect(try await client.execute(uri: "/api/get_image_ids_by_class/PERSON_002", method: .get, headers: auth(viewer)).status == .notFound)

            let status = try object(try await client.execute(uri: "/api/index_status", method: .get, headers: auth(viewer)))
            #expect(status["total_vectors"] as? Int == 0 && status["index_type"] as? String == "exact")
            let info = try object(try await client.execute(uri: "/api/vector_info", method: .get, headers: auth(viewer)))
            #expect(info["dimension"] as? Int == 4)
        }
    }

    @Test func badInputGetsClearErrors() async throws {
        try await Harness { $0.maxUploadBytes = 1000 }.run { client in
            let (_, oper, viewer) = try await tokens(client)
            func query(_ fields: [(String, Any)], headers: HTTPFields? = nil) async throws -> TestResponse {
                try await client.execute(uri: "/api/face_query", method: .post, headers: headers ?? Multipart.headers(viewer), body: Multipart.body(fields))
            }
            let cases: [(TestResponse, HTTPResponse.Status, String)] = [
                (try await query([("threshold", "0.5")]), .badRequest, "file_required"),
                (try await query([("file", [UInt8]())]), .badRequest, "image_empty"),
                (try await query([("file", image("GIF89a..."))]), .unsupportedMediaType, "image_unsupported_format"),
                (try await query([("file", image("NOFACE"))]), .unprocessableContent, "no_face"),
                (try await query([("file", image("FACE:alice")), ("threshold", "abc")]), .badRequest, "invalid_parameter"),
                (try await query([("file", [UInt8](repeating: 65, count: 5000))]), .contentTooLarge, "image_too_large"),
                (try await query([("file", [UInt8](repeating: 65, count: 100_000))]), .contentTooLarge, "upload_too_large"),
                (try await client.execute(uri: "/api/face_query", method: .post, headers: jsonHeaders(viewer), body: ByteBuffer(string: "{}")),
                 .badRequest, "file_required"),
                (try await client.execute(uri: "/api/face_query", method: .post, headers: [.contentType: "text/plain", .authorization: "Bearer \(viewer)"],
                                          body: ByteBuffer(string: "x")), .unsupportedMediaType, "multipart_required"),
                (try await client.execute(uri: "/api/face_query", method: .post, headers: jsonHeaders(viewer),
                                          body: ByteBuffer(string: #"{"file": "not base64!"}"#)), .badRequest, "invalid_image_encoding"),
                (try await client.execute(uri: "/api/face_query", method: .post, headers: jsonHeaders(viewer),
                                          body: ByteBuffer(string: #"{"file": {"nested": 1}}"#)), .badRequest, "invalid_json"),
                (try await client.execute(uri: "/v1/identify", method: .post, headers: jsonHeaders(viewer),
                                          body: ByteBuffer(string: "{\"file\": \"\(Data(repeating: 65, count: 5000).base64EncodedString())\"}")),
                 .contentTooLarge, "image_too_large"),
                (try await client.execute(uri: "/v1/identify", method: .post, headers: jsonHeaders(viewer),
                                          body: ByteBuffer(string: "{\"file\": \"\(Data(repeating: 65, count: 100_000).base64EncodedString())\"}")),
                 .contentTooLarge, "upload_too_large"),
                (try await client.execute(uri: "/api/face_query", method: .post, headers: [.contentType: "multipart/form-data", .authorization: "Bearer \(viewer)"],
                                          body: ByteBuffer(string: "x")), .badRequest, "malformed_multipart"),
                (try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                          body: ByteBuffer(string: "--\(Multipart.boundary)\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc")),
                 .badRequest, "malformed_multipart"),
                (try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                          body: Multipart.body([("class_id", "NOBODY"), ("file", image("FACE:alice"))])), .notFound, "not_found"),
                (try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                          body: Multipart.body([("file", image("FACE:alice"))])), .badRequest, "class_id_required"),
                (try await client.execute(uri: "/api/delete_image?image_id=abc", method: .delete, headers: auth(oper)), .badRequest, "image_id_required"),
                (try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper), body: ByteBuffer(string: "{not json")),
                 .badRequest, "invalid_json"),
                (try await client.execute(uri: "/v1/people?limit=0", method: .get, headers: auth(viewer)), .badRequest, "invalid_parameter"),
                (try await client.execute(uri: "/v1/faces/abc", method: .get, headers: auth(viewer)), .badRequest, "invalid_id"),
                (try await client.execute(uri: "/v1/people/ghost", method: .get, headers: auth(viewer)), .notFound, "not_found"),
            ]
            for (response, status, code) in cases {
                #expect(response.status == status && errorCode(response) == code, "\(String(decoding: response.body.readableBytesView, as: UTF8.self)) expected \(status) \(code), got \(response.status) \(errorCode(response) ?? "-")")
            }
            _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                         body: ByteBuffer(string: #"{"class_id": "A", "name": "Alice"}"#))
            let duplicate = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                                     body: ByteBuffer(string: #"{"class_id": "A", "name": "Alice"}"#))
            #expect(duplicate.status == .conflict && errorCode(duplicate) == "conflict")
        }
    }

    @Test func slowRequestsTimeOutWith503() async throws {
        try await Harness { $0.requestTimeoutSeconds = 1 }.run { client in
            let (_, _, viewer) = try await tokens(client)
            let quick = try await client.execute(uri: "/v1/detect", method: .post, headers: Multipart.headers(viewer),
                                                 body: Multipart.body([("file", image("FACE:alice"))]))
            #expect(quick.status == .ok)
            let slow = try await client.execute(uri: "/v1/detect", method: .post, headers: Multipart.headers(viewer),
                                                body: Multipart.body([("file", image("VERYSLOW:alice"))]))
            #expect(slow.status == .serviceUnavailable && errorCode(slow) == "timeout" && slow.headers[.retryAfter] != nil)
        }
    }

    /// The analyser blocks its thread for 5 s without looking at cancellation, as native code
    /// does: the 503 still comes at the 1 s deadline, and the requests queued behind it, which
    /// timed out while waiting, never reach the analyser.
    @Test func timeoutAnswersAtTheDeadlineAndDropsQueuedWork() async throws {
        let analyzer = FakeAnalyzer()
        try await Harness(analyzer: analyzer) {
            $0.requestTimeoutSeconds = 1; $0.inferenceWorkers = 1; $0.inferenceQueue = 8; $0.perClientInference = 0
        }.run { client in
            let (_, _, viewer) = try await tokens(client)
            let started = ContinuousClock.now
            let results = try await withThrowingTaskGroup(of: (HTTPResponse.Status, Duration).self) { group in
                for i in 0..<3 {
                    group.addTask {
                        if i > 0 { try await Task.sleep(for: .milliseconds(100)) }  // the blocker goes first
                        let r = try await client.execute(uri: "/v1/detect", method: .post, headers: Multipart.headers(viewer),
                                                         body: Multipart.body([("file", image("STUCK:alice"))]))
                        return (r.status, ContinuousClock.now - started)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.0 == .serviceUnavailable })
            // The deadline is 1 s; the analyser would take 5 s (15 s for all three in turn). The
            // margin is wide because test machines are shared.
            #expect(results.allSatisfy { $0.1 < .milliseconds(3500) }, "answered after \(results.map(\.1))")
            try await Task.sleep(for: .seconds(5))  // the blocked thread finishes its one analysis
            #expect(analyzer.started.count == 1)
        }
    }

    @Test func fullInferenceQueueAnswers503WithRetryAfter() async throws {
        try await Harness { $0.inferenceWorkers = 1; $0.inferenceQueue = 0 }.run { client in
            let (_, _, viewer) = try await tokens(client)
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        let r = try await client.execute(uri: "/v1/detect", method: .post, headers: Multipart.headers(viewer),
                                                         body: Multipart.body([("file", image("SLOW:alice"))]))
                        return (r.status, r.headers[.retryAfter])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == .ok }.count >= 1)
            #expect(statuses.contains { $0.0 == .serviceUnavailable && $0.1 != nil })
        }
    }
}

@Suite struct V1EndpointTests {
    @Test func peopleFacesIdentifyVerifyDetect() async throws {
        try await Harness().run { client in
            let (_, oper, viewer) = try await tokens(client)
            for (id, name) in [("S1", "Nguyễn Văn An"), ("S2", "Trần Thị Bình"), ("S3", "Lê Cúc")] {
                _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                             body: ByteBuffer(string: "{\"class_id\": \"\(id)\", \"name\": \"\(name)\"}"))
            }
            typealias Page = PeopleController.Page<PersonDTO>
            let page = try decode(Page.self, try await client.execute(uri: "/v1/people?offset=1&limit=1", method: .get, headers: auth(viewer)))
            #expect(page.total == 3 && page.items.map(\.class_id) == ["S2"])
            let search = try decode(Page.self, try await client.execute(uri: "/v1/people?search=b%C3%ACnh", method: .get, headers: auth(viewer)))
            #expect(search.items.map(\.class_id) == ["S2"])
            let patched = try decode(PersonDTO.self, try await client.execute(uri: "/v1/people/S3", method: .patch, headers: jsonHeaders(oper),
                                                                             body: ByteBuffer(string: #"{"info": "lớp 12"}"#)))
            #expect(patched.info == "lớp 12" && patched.name == "Lê Cúc")

            // Several images in one enrolment, each with its own result.
            let enrolled = try await client.execute(uri: "/v1/people/S1/faces", method: .post, headers: Multipart.headers(oper),
                                                    body: Multipart.body([("file", image("FACE:alice")), ("file", image("NOFACE")),
                                                                          ("file", image("FACE:alice2"))]))
            #expect(enrolled.status == .created)
            let results = try decode(PeopleController.EnrollResults.self, enrolled).results
            #expect(results.map(\.status) == ["enrolled", "rejected", "enrolled"])
            #expect(results[1].error?.code == "no_face")
            _ = try await client.execute(uri: "/v1/people/S2/faces", method: .post, headers: Multipart.headers(oper),
                                         body: Multipart.body([("file", image("FACE:bob"))]))
            let faces = try decode([FaceRecordDTO].self, try await client.execute(uri: "/v1/people/S1/faces", method: .get, headers: auth(viewer)))
            #expect(faces.count == 2)

            let identified = try decode(RecognitionController.IdentifyDTO.self,
                                        try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                                                 body: Multipart.body([("file", image("FACES:alice,bob,zed")), ("k", "3")])))
            #expect(identified.faces.count == 3)
            // A person appears once per face, at their best similarity.
            #expect(identified.faces[0].matches.map(\.class_id) == ["S1"])
            #expect(identified.faces[1].matches.first?.name == "Trần Thị Bình")
            #expect(identified.faces[2].matches.isEmpty)

            typealias Verify = RecognitionController.VerifyDTO
            let same = try decode(Verify.self, try await client.execute(uri: "/v1/verify", method: .post, headers: Multipart.headers(viewer),
                                                                        body: Multipart.body([("file", image("FACE:alice")), ("file2", image("FACE:alice2"))])))
            #expect(same.same_person)
            let against = try decode(Verify.self, try await client.execute(uri: "/v1/verify", method: .post, headers: Multipart.headers(viewer),
                                                                           body: Multipart.body([("file", image("FACE:bob")), ("class_id", "S1")])))
            #expect(!against.same_person)
            let missing = try await client.execute(uri: "/v1/verify", method: .post, headers: Multipart.headers(viewer),
                                                   body: Multipart.body([("file", image("FACE:bob"))]))
            #expect(missing.status == .badRequest && errorCode(missing) == "second_required")

            let detected = try decode(RecognitionController.DetectDTO.self,
                                      try await client.execute(uri: "/v1/detect", method: .post, headers: Multipart.headers(viewer),
                                                               body: Multipart.body([("file", image("FACES:alice,bob"))])))
            #expect(detected.faces.count == 2 && detected.width == 640)

            let face = try #require(faces.first?.image_id)
            #expect(try await client.execute(uri: "/v1/faces/\(face)", method: .get, headers: auth(viewer)).status == .ok)
            #expect(try await client.execute(uri: "/v1/faces/\(face)", method: .delete, headers: auth(viewer)).status == .forbidden)
            #expect(try await client.execute(uri: "/v1/faces/\(face)", method: .delete, headers: auth(oper)).status == .noContent)
            #expect(try await client.execute(uri: "/v1/faces/\(face)", method: .get, headers: auth(viewer)).status == .notFound)
            let removed = try decode(PeopleController.Deleted.self, try await client.execute(uri: "/v1/people/S1", method: .delete, headers: auth(oper)))
            #expect(removed.deleted_faces == 1)
            let index = try decode(IndexStatusDTO.self, try await client.execute(uri: "/v1/index", method: .get, headers: auth(viewer)))
            #expect(index.total_vectors == 1)
        }
    }

    /// With anti-spoofing on: spoofs are refused at enrolment, reported by face_query and not
    /// searched by identify; demographics come when asked.
    @Test func antiSpoofingAndDemographics() async throws {
        let analyzer = FakeAnalyzer(capabilities: AnalyzerCapabilities(liveness: true, attributes: true))
        try await Harness(analyzer: analyzer, configure: { $0.antiSpoofing = true }).run { client in
            let (_, oper, viewer) = try await tokens(client)
            _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                         body: ByteBuffer(string: #"{"class_id": "S1", "name": "Alice"}"#))
            let live = try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                body: Multipart.body([("class_id", "S1"), ("file", image("FACE:alice"))]))
            #expect(live.status == .created)
            let spoof = try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                 body: Multipart.body([("class_id", "S1"), ("file", image("FACE:spoof-alice"))]))
            #expect(spoof.status == .unprocessableContent && errorCode(spoof) == "spoof_detected")

            let spoofed = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                              body: Multipart.body([("file", image("FACE:spoof-alice"))])))
            #expect(spoofed["message"] as? String == "spoof" && spoofed["person_info"] is NSNull)
            #expect(spoofed["is_live"] as? Bool == false && spoofed["liveness_available"] as? Bool == true)
            #expect(spoofed["age"] == nil, "demographics were not asked for")
            let real = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                           body: Multipart.body([("file", image("FACE:alice")), ("include_demographics", "true")])))
            #expect(real["message"] as? String == "match" && real["is_live"] as? Bool == true)
            #expect(real["age"] as? Int == 30 && real["gender"] as? String == "F")

            let identified = try object(try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                                                 body: Multipart.body([("file", image("FACES:alice,spoof-alice"))])))
            let faces = try #require(identified["faces"] as? [[String: Any]])
            #expect(faces[0]["spoof"] as? Bool == false && (faces[0]["matches"] as? [Any])?.count == 1)
            #expect(faces[1]["spoof"] as? Bool == true && (faces[1]["matches"] as? [Any])?.isEmpty == true)
            let detected = try object(try await client.execute(uri: "/v1/detect", method: .post, headers: Multipart.headers(viewer),
                                                               body: Multipart.body([("file", image("FACE:alice")), ("attributes", "true")])))
            let face = try #require((detected["faces"] as? [[String: Any]])?.first)
            #expect(face["age"] as? Int == 30 && (face["liveness"] as? [String: Any])?["real"] as? Bool == true)
        }
    }

    /// Anti-spoofing configured without liveness models: queries carry on and say so.
    @Test func antiSpoofingWithoutModelsCarriesOn() async throws {
        try await Harness(configure: { $0.antiSpoofing = true }).run { client in
            let (_, oper, viewer) = try await tokens(client)
            _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                         body: ByteBuffer(string: #"{"class_id": "S1", "name": "Alice"}"#))
            let enrolled = try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                    body: Multipart.body([("class_id", "S1"), ("file", image("FACE:spoof-alice"))]))
            #expect(enrolled.status == .created)
            let answer = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                             body: Multipart.body([("file", image("FACE:alice")), ("include_demographics", "1")])))
            #expect(answer["message"] as? String == "match" && answer["liveness_available"] as? Bool == false)
            #expect(answer["is_live"] is NSNull && answer["age"] is NSNull && answer["gender"] is NSNull)
            let status = try object(try await client.execute(uri: "/v1/index", method: .get, headers: auth(viewer)))
            #expect(status["anti_spoofing"] as? Bool == true && status["liveness_available"] as? Bool == false)
        }
    }

    /// Non-ASCII bytes in a multipart header name crashed MultipartKit (found by schemathesis):
    /// they are a 400 now, while UTF-8 in header values (file names) still works.
    @Test func nonASCIIMultipartHeaderNamesAreRejected() async throws {
        try await Harness().run { client in
            let (_, _, viewer) = try await tokens(client)
            var headers = auth(viewer)
            headers[.contentType] = "multipart/form-data; boundary=BOUNDARY"
            for body in ["--BOUNDARY\r\n\u{CF}D--BOUNDARY--\r\n", "--BOUNDARY\r\nN\u{E4}me: x\r\n\r\ndata\r\n--BOUNDARY--\r\n"] {
                let r = try await client.execute(uri: "/v1/detect", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(r.status == .badRequest && errorCode(r) == "malformed_multipart", "\(r.status)")
            }
            let named = "--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\u{1EA3}nh.jpg\"\r\n\r\nFACE:alice\r\n--BOUNDARY--\r\n"
            let ok = try await client.execute(uri: "/v1/detect", method: .post, headers: headers, body: ByteBuffer(string: named))
            #expect(ok.status == .ok)
        }
    }
}
