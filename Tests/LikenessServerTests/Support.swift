import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessCore
import LikenessServer
import LikenessUseCases
@_exported import LikenessTestSupport
import Testing

/// An app on fakes, with a fast bcrypt, and helpers to call it.
struct Harness {
    let store = MemoryStore()
    var gallery: MemoryStore { store }
    var accounts: MemoryStore { store }
    let index: FakeIndex
    var configuration: ServerConfiguration
    var analyzer = FakeAnalyzer()

    init(analyzer: FakeAnalyzer = FakeAnalyzer(), configure: (inout ServerConfiguration) -> Void = { _ in }) {
        self.analyzer = analyzer
        index = FakeIndex(source: store)
        var c = ServerConfiguration()
        c.bcryptCost = 4
        c.jwtSecret = Array("test secret that is long enough!!".utf8)
        configure(&c)
        configuration = c
    }

    /// The app on this harness's analyzer and index, or on `serving` when a test swaps packs.
    func run(serving: ServingModel? = nil, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let services = serving.map { ServerServices(serving: $0, gallery: gallery, accounts: accounts) }
            ?? ServerServices(analyzer: analyzer, gallery: gallery, accounts: accounts, index: index)
        let app = try await buildApplication(configuration: configuration, services: services)
        try await app.test(.router, body)
    }
}

struct Multipart {
    static let boundary = "----likeness-test-boundary"

    /// Fields and files: a value of [UInt8] is sent as a file.
    static func body(_ fields: [(String, Any)]) -> ByteBuffer {
        var out = ""
        var buffer = ByteBuffer()
        for (name, value) in fields {
            out = "--\(boundary)\r\n"
            if let bytes = value as? [UInt8] {
                out += "Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(name).jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                buffer.writeString(out)
                buffer.writeBytes(bytes)
                buffer.writeString("\r\n")
            } else {
                out += "Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
                buffer.writeString(out)
            }
        }
        buffer.writeString("--\(boundary)--\r\n")
        return buffer
    }

    static func headers(_ token: String?) -> HTTPFields {
        var h: HTTPFields = [.contentType: "multipart/form-data; boundary=\(boundary)"]
        if let token { h[.authorization] = "Bearer \(token)" }
        return h
    }
}

func image(_ text: String) -> [UInt8] { Array(text.utf8) }

func jsonHeaders(_ token: String? = nil) -> HTTPFields {
    var h: HTTPFields = [.contentType: "application/json"]
    if let token { h[.authorization] = "Bearer \(token)" }
    return h
}

func auth(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

func object(_ response: TestResponse) throws -> [String: Any] {
    let data = Data(response.body.readableBytesView)
    guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw TestFailure("not a JSON object: \(String(decoding: data, as: UTF8.self))")
    }
    return o
}

func array(_ response: TestResponse) throws -> [[String: Any]] {
    let data = Data(response.body.readableBytesView)
    guard let a = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { throw TestFailure("not a JSON array") }
    return a
}

/// A response body as the server's own type: the tests read what clients read.
func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    do {
        return try JSONDecoder().decode(T.self, from: Data(response.body.readableBytesView))
    } catch {
        throw TestFailure("\(response.status) is not a \(T.self): \(String(buffer: response.body)) (\(error))")
    }
}

func errorCode(_ response: TestResponse) -> String? {
    ((try? object(response))?["error"] as? [String: Any])?["code"] as? String
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Registers the first account (admin) and logs in; then an operator and a viewer.
func tokens(_ client: some TestClientProtocol) async throws -> (admin: String, operator: String, viewer: String) {
    func body(_ user: String, _ role: String? = nil) -> ByteBuffer {
        ByteBuffer(string: "{\"username\": \"\(user)\", \"password\": \"password-\(user)\"\(role.map { ", \"role\": \"\($0)\"" } ?? "")}")
    }
    func login(_ user: String) async throws -> String {
        let r = try await client.execute(uri: "/api/login", method: .post, headers: jsonHeaders(), body: body(user))
        guard r.status == .ok, let token = try object(r)["access_token"] as? String else { throw TestFailure("login \(user): \(r.status)") }
        return token
    }
    let first = try await client.execute(uri: "/api/register", method: .post, headers: jsonHeaders(), body: body("admin"))
    guard first.status == .created else { throw TestFailure("register admin: \(first.status)") }
    let admin = try await login("admin")
    for (user, role) in [("oper", "operator"), ("view", "viewer")] {
        let r = try await client.execute(uri: "/v1/accounts", method: .post, headers: jsonHeaders(admin), body: body(user, role))
        guard r.status == .created else { throw TestFailure("register \(user): \(r.status)") }
    }
    return (admin, try await login("oper"), try await login("view"))
}
