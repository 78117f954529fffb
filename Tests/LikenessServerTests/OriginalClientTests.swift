import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LikenessServer
import Testing

/// The original system's clients, unchanged: open recognition endpoints where it served them
/// so, fields from a form, the query string or JSON, several files per query, faces moved
/// between people; and images as base64 in JSON for browser apps.
@Suite struct OriginalClientTests {
    private func enrolAlice(_ client: some TestClientProtocol, _ oper: String) async throws -> String {
        _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                     body: ByteBuffer(string: #"{"class_id": "PERSON_001", "name": "John Doe", "info": "Employee ID: 12345"}"#))
        _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                     body: ByteBuffer(string: #"{"class_id": "PERSON_002", "name": "Bob"}"#))
        let added = try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                             body: Multipart.body([("class_id", "PERSON_001"), ("file", image("FACE:alice"))]))
        return try #require(try object(added)["image_id"] as? String)
    }

    /// The original's README request, byte for byte: no token, a file and a threshold.
    @Test func theOriginalExampleWorksUnderOpenLegacyAuth() async throws {
        try await Harness { $0.legacyAuth = .open }.run { client in
            let (_, oper, _) = try await tokens(client)
            _ = try await enrolAlice(client, oper)
            let answer = try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(nil),
                                                  body: Multipart.body([("file", image("FACE:alice2")), ("threshold", "0.5")]))
            #expect(answer.status == .ok)
            #expect((try object(answer)["person_info"] as? [String: Any])?["class_id"] as? String == "PERSON_001")
            let top5 = try await client.execute(uri: "/api/face_query_top5", method: .post, headers: Multipart.headers(nil),
                                                body: Multipart.body([("file", image("FACE:alice"))]))
            #expect(top5.status == .ok)
            // Only recognition is open: the gallery and /v1 still need a token.
            for (method, uri) in [(HTTPRequest.Method.get, "/api/list_nguoi"), (.post, "/api/add_embedding"), (.post, "/v1/identify"),
                                  (.get, "/api/index_status")] {
                #expect(try await client.execute(uri: uri, method: method).status == .unauthorized, "\(uri)")
            }
            // A token that is sent must still be valid.
            let bad = try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers("forged"),
                                               body: Multipart.body([("file", image("FACE:alice"))]))
            #expect(bad.status == .unauthorized)
        }
    }

    @Test func recognitionNeedsATokenByDefault() async throws {
        try await Harness().run { client in
            let r = try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(nil),
                                             body: Multipart.body([("file", image("FACE:alice"))]))
            #expect(r.status == .unauthorized)
        }
    }

    @Test func fieldsComeFromTheFormTheQueryOrJSON() async throws {
        try await Harness().run { client in
            let (_, oper, viewer) = try await tokens(client)
            _ = try await enrolAlice(client, oper)
            let alice = Data(image("FACE:alice")).base64EncodedString()
            // JSON: the image in base64, the flags as JSON values.
            let json = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: jsonHeaders(viewer),
                                                           body: ByteBuffer(string: #"{"file": "\#(alice)", "threshold": 0.99, "include_demographics": true}"#)))
            #expect(json["threshold"] as? Double == 0.99 && json["message"] as? String == "match")
            // Demographics were asked for: the keys are there (null: the fake pack has no age/gender model).
            #expect(json.keys.contains("age") && json.keys.contains("gender"))
            // The query string, with a multipart body.
            let query = try object(try await client.execute(uri: "/api/face_query?threshold=0.99&include_demographics=true", method: .post,
                                                            headers: Multipart.headers(viewer), body: Multipart.body([("file", image("FACE:alice"))])))
            #expect(query["threshold"] as? Double == 0.99 && query.keys.contains("age"))
            // The body wins over the query string.
            let both = try object(try await client.execute(uri: "/api/face_query?threshold=0.99", method: .post, headers: Multipart.headers(viewer),
                                                           body: Multipart.body([("file", image("FACE:alice")), ("threshold", "0.5")])))
            #expect(both["threshold"] as? Double == 0.5)
            // A data: URL on /v1, with k as a JSON number.
            let identified = try object(try await client.execute(uri: "/v1/identify", method: .post, headers: jsonHeaders(viewer),
                                                                 body: ByteBuffer(string: #"{"file": "data:image/jpeg;base64,\#(alice)", "k": 1}"#)))
            let match = try #require(((identified["faces"] as? [[String: Any]])?.first?["matches"] as? [[String: Any]])?.first)
            #expect(match["class_id"] as? String == "PERSON_001")
            // Enrolment of several images in one JSON body; verify with two.
            let bob = Data(image("FACE:bob")).base64EncodedString()
            let enrolled = try await client.execute(uri: "/v1/people/PERSON_002/faces", method: .post, headers: jsonHeaders(oper),
                                                    body: ByteBuffer(string: #"{"files": ["\#(bob)", "\#(Data(image("FACE:bob2")).base64EncodedString())"]}"#))
            #expect(try enrolled.status == .created && (object(enrolled)["results"] as? [Any])?.count == 2)
            let verified = try object(try await client.execute(uri: "/v1/verify", method: .post, headers: jsonHeaders(viewer),
                                                               body: ByteBuffer(string: #"{"file": "\#(bob)", "class_id": "PERSON_002"}"#)))
            #expect(verified["same_person"] as? Bool == true)
        }
    }

    @Test func severalFilesAnswerOneResultEach() async throws {
        try await Harness().run { client in
            let (_, oper, viewer) = try await tokens(client)
            _ = try await enrolAlice(client, oper)
            let batch = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                            body: Multipart.body([("file", image("FACE:alice")), ("file", image("NOFACE")),
                                                                                  ("files", image("FACE:zed"))])))
            let results = try #require(batch["results"] as? [[String: Any]])
            #expect(results.count == 3 && batch["processing_time"] is Double)
            #expect((results[0]["person_info"] as? [String: Any])?["class_id"] as? String == "PERSON_001" && results[0]["message"] as? String == "match")
            #expect((results[1]["error"] as? [String: Any])?["code"] as? String == "no_face" && results[1]["filename"] as? String == "file.jpg")
            #expect(results[2]["message"] as? String == "unknown" && results[2]["person_info"] is NSNull)
        }
    }

    @Test func editEmbeddingMovesAFaceToAnotherPerson() async throws {
        try await Harness().run { client in
            let (_, oper, viewer) = try await tokens(client)
            let imageID = try await enrolAlice(client, oper)
            let moved = try await client.execute(uri: "/api/edit_embedding", method: .put, headers: Multipart.headers(oper),
                                                 body: Multipart.body([("image_id", imageID), ("class_id", "PERSON_002")]))
            #expect(try moved.status == .ok && (object(moved)["class_id"] as? String) == "PERSON_002")
            let answer = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                             body: Multipart.body([("file", image("FACE:alice"))])))
            #expect((answer["person_info"] as? [String: Any])?["class_id"] as? String == "PERSON_002")
            let ids = try object(try await client.execute(uri: "/api/get_image_ids_by_class/PERSON_001", method: .get, headers: auth(viewer)))
            #expect((ids["image_ids"] as? [Any])?.isEmpty == true)
            // A new image and a new person at once; an unknown person changes nothing.
            let both = try await client.execute(uri: "/api/edit_embedding", method: .put, headers: Multipart.headers(oper),
                                                body: Multipart.body([("image_id", imageID), ("class_id", "PERSON_001"), ("file", image("FACE:carol"))]))
            #expect(try both.status == .ok && (object(both)["class_id"] as? String) == "PERSON_001")
            let nobody = try await client.execute(uri: "/api/edit_embedding", method: .put, headers: Multipart.headers(oper),
                                                  body: Multipart.body([("image_id", imageID), ("class_id", "NOBODY"), ("file", image("FACE:dave"))]))
            #expect(nobody.status == .notFound)
            let carol = try object(try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                            body: Multipart.body([("file", image("FACE:carol"))])))
            #expect((carol["person_info"] as? [String: Any])?["class_id"] as? String == "PERSON_001")
            let neither = try await client.execute(uri: "/api/edit_embedding", method: .put, headers: Multipart.headers(oper),
                                                   body: Multipart.body([("image_id", imageID)]))
            #expect(neither.status == .badRequest && errorCode(neither) == "file_required")
        }
    }
}

@Suite struct CORSTests {
    @Test func offByDefault() async throws {
        try await Harness().run { client in
            let r = try await client.execute(uri: "/healthz", method: .get, headers: [.origin: "https://app.example"])
            #expect(r.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test func configuredOriginsOnly() async throws {
        try await Harness { $0.corsOrigins = ["https://app.example", "https://admin.example"] }.run { client in
            let allowed = try await client.execute(uri: "/v1/people", method: .get, headers: [.origin: "https://admin.example"])
            // An error answer (no token) still carries the header, so the app can read it.
            #expect(allowed.status == .unauthorized && allowed.headers[.accessControlAllowOrigin] == "https://admin.example")
            let other = try await client.execute(uri: "/healthz", method: .get, headers: [.origin: "https://evil.example"])
            #expect(other.headers[.accessControlAllowOrigin] == nil)
            let preflight = try await client.execute(uri: "/v1/identify", method: .options,
                                                     headers: [.origin: "https://app.example", .accessControlRequestMethod: "POST",
                                                               .accessControlRequestHeaders: "authorization, content-type"])
            #expect(preflight.status == .noContent || preflight.status == .ok)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://app.example")
            #expect(preflight.headers[.accessControlAllowMethods]?.contains("POST") == true)
            #expect(preflight.headers[.accessControlAllowHeaders]?.lowercased().contains("authorization") == true)
        }
    }

    @Test func anyOriginWithAStar() async throws {
        try await Harness { $0.corsOrigins = ["*"] }.run { client in
            let r = try await client.execute(uri: "/healthz", method: .get, headers: [.origin: "https://anything.example"])
            #expect(r.headers[.accessControlAllowOrigin] == "*")
        }
    }
}
