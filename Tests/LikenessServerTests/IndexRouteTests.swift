import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessServer
import Testing

/// Index management over HTTP: kind switches, the enrolment limit, the status fields.
@Suite struct IndexRouteTests {
    @Test func optimizeSwitchesKindsForAdminsOnly() async throws {
        try await Harness().run { client in
            let (admin, oper, _) = try await tokens(client)
            let bad = try await client.execute(uri: "/v1/index/optimize", method: .post, headers: jsonHeaders(admin),
                                               body: ByteBuffer(string: #"{"kind": "kd-tree"}"#))
            #expect(bad.status == .badRequest && errorCode(bad) == "invalid_kind")
            let forbidden = try await client.execute(uri: "/v1/index/optimize", method: .post, headers: jsonHeaders(oper),
                                                     body: ByteBuffer(string: #"{"kind": "hnsw"}"#))
            #expect(forbidden.status == .forbidden)
            let ok = try await client.execute(uri: "/v1/index/optimize", method: .post, headers: jsonHeaders(admin),
                                              body: ByteBuffer(string: #"{"kind": "IndexHNSWFlat"}"#))
            #expect(ok.status == .ok)
            // No body: rebuild the current kind.
            #expect(try await client.execute(uri: "/v1/index/optimize", method: .post, headers: auth(admin)).status == .ok)
            let status = try object(try await client.execute(uri: "/v1/index", method: .get, headers: auth(admin)))
            #expect(status["index_setting"] as? String == "exact" && status["ntotal"] as? Int == 0)
            #expect(status["database_position"] as? Int == 0 && status["index_position"] as? Int == 0)
        }
    }

    @Test func bulkVectorsIsOffByDefaultAndAdminOnly() async throws {
        try await Harness().run { client in
            let (admin, _, _) = try await tokens(client)
            let off = try await client.execute(uri: "/api/bulk_vectors", method: .post, headers: jsonHeaders(admin),
                                               body: ByteBuffer(string: #"{"n": 10}"#))
            #expect(off.status == .notFound)
        }
        try await Harness { $0.allowBulkVectors = true; $0.maxVectors = 3000 }.run { client in
            let (admin, oper, _) = try await tokens(client)
            func bulk(_ body: String, _ token: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/bulk_vectors", method: .post, headers: jsonHeaders(token), body: ByteBuffer(string: body))
            }
            #expect(try await bulk(#"{"n": 10}"#, oper).status == .forbidden)
            let zero = try await bulk(#"{"n": 0}"#, admin)
            #expect(zero.status == .badRequest && errorCode(zero) == "invalid_count")
            #expect(try await bulk(#"{"n": "many"}"#, admin).status == .badRequest)
            // Several batches of the service's 10,000? Two of a smaller gallery suffice here.
            let ok = try object(try await bulk(#"{"n": 2500, "seed": 7}"#, admin))
            #expect(ok["added"] as? Int == 2500 && ok["ntotal"] as? Int == 2500 && ok["first_id"] is Int)
            let again = try await bulk(#"{"n": 5, "seed": 7}"#, admin)
            #expect(again.status == .conflict)
            let full = try await bulk(#"{"n": 600, "seed": 8}"#, admin)
            #expect(full.status.code == 507 && errorCode(full) == "index_full")
            let people = try object(try await client.execute(uri: "/v1/people?search=SYN7_0002499", method: .get, headers: auth(admin)))
            #expect((people["total"] as? Int) == 1, "\(people)")
        }
    }

    @Test func enrolmentPastMaxVectorsIsRefusedWith507() async throws {
        try await Harness { $0.maxVectors = 1 }.run { client in
            let (admin, _, _) = try await tokens(client)
            func enroll(_ face: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(admin),
                                         body: Multipart.body([("class_id", "A"), ("name", "Alice"), ("file", image(face))]))
            }
            #expect(try await enroll("FACE:alice").status == .created)
            let full = try await enroll("FACE:alice2")
            #expect(full.status.code == 507 && errorCode(full) == "index_full")
            let status = try object(try await client.execute(uri: "/api/index_status", method: .get, headers: auth(admin)))
            #expect(status["max_vectors"] as? Int == 1 && status["total_vectors"] as? Int == 1)
        }
    }
}
