import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessCore
import Testing

@testable import LikenessServer

/// One test per finding of the hardening review, through the router on fakes.
@Suite struct HardeningTests {
    /// The body that killed the server through MultipartKit: now a 400, and the server answers on.
    @Test func theCrashingMultipartBodyIsA400() async throws {
        try await Harness().run { client in
            let (_, _, viewer) = try await tokens(client)
            var body = ByteBuffer(string: "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx--b--\r\n--b\r\n")
            body.writeBytes([0xFF])
            body.writeString(": y\r\n\r\nz\r\n--b--\r\n")
            let r = try await client.execute(uri: "/api/face_query", method: .post,
                                             headers: [.contentType: "multipart/form-data; boundary=b", .authorization: "Bearer \(viewer)"], body: body)
            #expect(r.status == .badRequest && errorCode(r) == "malformed_multipart")
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            // A boundary longer than RFC 2046 allows is refused up front.
            let long = try await client.execute(uri: "/v1/detect", method: .post,
                                                headers: [.contentType: "multipart/form-data; boundary=\(String(repeating: "x", count: 200))",
                                                          .authorization: "Bearer \(viewer)"], body: ByteBuffer(string: "x"))
            #expect(long.status == .badRequest)
        }
    }

    /// Parallel guesses are counted before bcrypt runs: of 12 at once, only the free attempts
    /// (and the one that starts the delay) reach the password check.
    @Test func parallelGuessesCannotAllSlipThrough() async throws {
        try await Harness { $0.loginFailuresBeforeDelay = 3 }.run { client in
            _ = try await tokens(client)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        try await client.execute(uri: "/api/login", method: .post, headers: jsonHeaders(),
                                                 body: ByteBuffer(string: #"{"username": "view", "password": "wrong-password"}"#)).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // 3 free, then the 4th starts a 2 s delay; a slow machine may let one more through.
            #expect(statuses.filter { $0 == .unauthorized }.count <= 5)
            #expect(statuses.filter { $0 == .tooManyRequests }.count >= 7)
        }
    }

    /// `admin\u0000x` and `admin ` would reach admin on SQLite or MariaDB while counting as new
    /// throttle keys; case and Unicode forms of one name are one account.
    @Test func usernamesAreNormalisedAndControlCharactersRefused() async throws {
        try await Harness().run { client in
            let (admin, _, _) = try await tokens(client)
            for bad in [#"admin\u0000x"#, "admin ", #"ad\tmin"#, #"a\u200Bdmin"#, String(repeating: "a", count: 65)] {
                let r = try await client.execute(uri: "/v1/accounts", method: .post, headers: jsonHeaders(admin),
                                                 body: ByteBuffer(string: #"{"username": "\#(bad)", "password": "long-enough-pw"}"#))
                #expect(r.status == .badRequest && errorCode(r) == "invalid_username", "\(bad)")
                let login = try await client.execute(uri: "/api/login", method: .post, headers: jsonHeaders(),
                                                     body: ByteBuffer(string: #"{"username": "\#(bad)", "password": "password-admin"}"#))
                #expect(login.status == .unauthorized, "\(bad)")
            }
            let nulPassword = try await client.execute(uri: "/v1/accounts", method: .post, headers: jsonHeaders(admin),
                                                       body: ByteBuffer(string: #"{"username": "zoe", "password": "secret12\u0000tail"}"#))
            #expect(errorCode(nulPassword) == "invalid_password")
            // "Émile" in two Unicode forms and two cases is one account.
            let created = try await client.execute(uri: "/v1/accounts", method: .post, headers: jsonHeaders(admin),
                                                   body: ByteBuffer(string: #"{"username": "\u00c9mile", "password": "password-emile"}"#))
            #expect(created.status == .created)
            let again = try await client.execute(uri: "/v1/accounts", method: .post, headers: jsonHeaders(admin),
                                                 body: ByteBuffer(string: #"{"username": "e\u0301MILE", "password": "password-emile"}"#))
            #expect(again.status == .conflict)
            let login = try await client.execute(uri: "/api/login", method: .post, headers: jsonHeaders(),
                                                 body: ByteBuffer(string: #"{"username": "E\u0301mile", "password": "password-emile"}"#))
            #expect(login.status == .ok)
        }
    }

    /// Racing first registrations make exactly one admin.
    @Test func racingFirstRegistrationsMakeOneAdmin() async throws {
        try await Harness().run { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<6 {
                    group.addTask {
                        try await client.execute(uri: "/api/register", method: .post, headers: jsonHeaders(),
                                                 body: ByteBuffer(string: #"{"username": "first\#(i)", "password": "password-first"}"#)).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .unauthorized }.count == 5)
        }
    }

    /// A token alone cannot mint lasting access: the current password is needed, an API key
    /// cannot mint keys, only an admin mints for others, and keys may expire.
    @Test func apiKeysNeedAFreshPassword() async throws {
        try await Harness().run { client in
            let (admin, oper, _) = try await tokens(client)
            func create(_ token: String, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: "/v1/api-keys", method: .post, headers: jsonHeaders(token), body: ByteBuffer(string: body))
            }
            #expect(errorCode(try await create(oper, #"{"name": "cam"}"#)) == "password_required")
            #expect(try await create(oper, #"{"name": "cam", "password": "wrong-password"}"#).status == .forbidden)
            let made = try decode(AccountController.KeyDTO.self,
                                  try await create(oper, #"{"name": "cam", "password": "password-oper", "expires_in_days": 30}"#))
            let key = try #require(made.key)
            #expect(made.expires_at != nil && !made.revoked)
            let byKey = try await create(key, #"{"name": "more", "password": "password-oper"}"#)
            #expect(byKey.status == .forbidden)
            // An operator cannot mint for the admin (account 1); the admin can mint for the operator.
            #expect(try await create(oper, #"{"name": "x", "password": "password-oper", "account_id": 1}"#).status == .forbidden)
            let forOper = try decode(AccountController.KeyDTO.self,
                                     try await create(admin, #"{"name": "x", "password": "password-admin", "account_id": 2}"#))
            #expect(forOper.account_id == 2)
            #expect(try await create(oper, #"{"name": "x", "password": "password-oper", "expires_in_days": 0}"#).status == .badRequest)
        }
    }

    /// class_id in a path is percent-decoded: spaces, other scripts and '/' work.
    @Test func classIDsInPathsArePercentDecoded() async throws {
        try await Harness().run { client in
            let (_, oper, viewer) = try await tokens(client)
            let id = "Nguyễn Văn/A 1"
            let body = try JSONSerialization.data(withJSONObject: ["class_id": id, "name": "An"])
            #expect(try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper), body: ByteBuffer(bytes: body)).status == .created)
            let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let got = try await client.execute(uri: "/v1/people/\(encoded)", method: .get, headers: auth(viewer))
            let gotID = try object(got)["class_id"] as? String
            #expect(got.status == .ok && gotID == id)
            let ids = try await client.execute(uri: "/api/get_image_ids_by_class/\(encoded)", method: .get, headers: auth(viewer))
            let idsClass = try object(ids)["class_id"] as? String
            #expect(idsClass == id)
            #expect(try await client.execute(uri: "/api/delete_class/\(encoded)", method: .delete, headers: auth(oper)).status == .ok)
            #expect(try await client.execute(uri: "/v1/people/\(encoded)", method: .get, headers: auth(viewer)).status == .notFound)
            #expect(try await client.execute(uri: "/v1/people/%E0%A4", method: .get, headers: auth(viewer)).status == .badRequest)
        }
    }

    /// Work per request is bounded: at most 10 files per enrolment, list_nguoi in pages.
    @Test func perRequestWorkIsBounded() async throws {
        try await Harness { $0.maxFilesPerEnrollment = 3 }.run { client in
            let (_, oper, viewer) = try await tokens(client)
            _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                         body: ByteBuffer(string: #"{"class_id": "P1", "name": "n"}"#))
            let files = (0..<4).map { _ in ("file", image("FACE:alice") as Any) }
            let r = try await client.execute(uri: "/v1/people/P1/faces", method: .post, headers: Multipart.headers(oper), body: Multipart.body(files))
            #expect(r.status == .badRequest && errorCode(r) == "too_many_files")
            for i in 2...5 {
                _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                             body: ByteBuffer(string: #"{"class_id": "P\#(i)", "name": "n"}"#))
            }
            let page = try await client.execute(uri: "/api/list_nguoi?offset=1&limit=2", method: .get, headers: auth(viewer))
            let total = page.headers.first { $0.name.canonicalName == "x-total-count" }?.value
            #expect(try array(page).count == 2)
            #expect(total == "5")
            #expect(try array(try await client.execute(uri: "/api/list_nguoi", method: .get, headers: auth(viewer))).count == 5)
            #expect(try await client.execute(uri: "/api/list_nguoi?limit=5000", method: .get, headers: auth(viewer)).status == .badRequest)
        }
    }

    /// Database errors name hosts, users and SQL: clients get a generic message.
    @Test func rawDatabaseErrorsNeverReachClients() {
        let e = APIError.from(StoreError.unavailable("MariaDB db.internal:3306: Access denied for user 'likeness'@'10.0.0.5'"))
        #expect(e.status == .serviceUnavailable && !e.message.contains("db.internal") && !e.message.contains("likeness"))
        let full = APIError.from(StoreError.storageFull("disk full writing /var/lib/mysql/ibdata1"))
        #expect(full.status.code == 507 && !full.message.contains("/var"))
    }
}
