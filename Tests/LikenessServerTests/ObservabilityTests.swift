import Foundation
import LikenessServer
import LikenessTestSupport
import Testing

/// `/metrics`, request ids and the request log, on the real executable.
@Suite struct ObservabilityTests {
    struct Answer {
        var status: Int
        var headers: String
        var body: String
    }

    static func curl(_ arguments: [String]) throws -> Answer {
        let headers = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-h-\(UUID().uuidString)").path
        defer { unlink(headers) }
        var (_, text) = try ChildProcess.run("/usr/bin/curl", ["-s", "--max-time", "10", "-D", headers, "-w", "\n%{http_code}"] + arguments,
                                             limit: .seconds(30))
        let code = Int(text.split(separator: "\n").last ?? "") ?? -1
        if let cut = text.lastIndex(of: "\n") { text = String(text[..<cut]) }
        return Answer(status: code, headers: (try? String(contentsOfFile: headers, encoding: .utf8)) ?? "", body: text)
    }

    /// The value of a sample line `name{labels} value` whose labels include all of `having`.
    static func sample(_ metrics: String, _ name: String, having: [String] = []) -> Double? {
        metrics.split(separator: "\n").first { line in
            line.hasPrefix(name + "{") || line.hasPrefix(name + " ") ? having.allSatisfy { line.contains($0) } : false
        }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
    func metricsMoveAndRequestsAreLoggedWithIDsButNoSecrets() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-obs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try EnrollCommandTests.freePort()
        let server = try ChildProcess(StartupTests.likeness.path,
                                      ["serve", "--data-dir", dir, "--model-dir", StartupTests.dlibModels.path, "--port", String(port),
                                       "--log-file", dir + "/logs/app.log", "--log-max-bytes", "4096", "--log-files", "2"])
        defer { server.stop() }
        let base = "http://127.0.0.1:\(port)"
        var up = false
        for _ in 0..<150 {
            if try Self.curl([base + "/healthz"]).status == 200 { up = true; break }
            try await Task.sleep(for: .milliseconds(200))
        }
        try #require(up, "the server did not start")

        // A caller's request id comes back; without one, the server makes one.
        let tagged = try Self.curl(["-H", "X-Request-Id: trace-42.a", base + "/healthz"])
        #expect(tagged.headers.lowercased().contains("x-request-id: trace-42.a"))
        let untagged = try Self.curl(["-H", "X-Request-Id: <script>", base + "/healthz"])
        #expect(untagged.headers.lowercased().contains("x-request-id: ") && !untagged.headers.contains("<script>"))

        // Register and log in: the password and the token must never reach the log.
        let password = "correct-horse-battery-staple-9"
        let registered = try Self.curl(["-H", "Content-Type: application/json", "-d", #"{"username": "admin", "password": "\#(password)"}"#,
                                        base + "/api/register"])
        #expect(registered.status == 201 || registered.status == 200, "\(registered)")
        let login = try Self.curl(["-H", "Content-Type: application/json", "-d", #"{"username": "admin", "password": "\#(password)"}"#,
                                   base + "/api/login"])
        let token = try #require((try JSONSerialization.jsonObject(with: Data(login.body.utf8)) as? [String: Any])?["access_token"] as? String)
        #expect(try Self.curl(["-H", "Authorization: Bearer \(token)", base + "/v1/index"]).status == 200)
        #expect(try Self.curl(["-H", "Authorization: Bearer wrong", base + "/v1/index"]).status == 401)

        let first = try Self.curl([base + "/metrics"])
        #expect(first.status == 200 && first.headers.contains("text/plain"))
        let route = #"http_route="/healthz""#
        let before = try #require(Self.sample(first.body, "hb_requests", having: [route, #"http_response_status_code="200""#]), "\(first.body.prefix(3000))")
        for _ in 0..<3 { _ = try Self.curl([base + "/healthz"]) }
        let second = try Self.curl([base + "/metrics"]).body
        #expect(Self.sample(second, "hb_requests", having: [route, #"http_response_status_code="200""#]) == before + 3)
        #expect(Self.sample(second, "http_server_request_duration_count", having: [route]) != nil)
        #expect(Self.sample(second, "likeness_errors_total", having: [#"code="bad_token""#, #"status="401""#]) == 1)
        #expect(Self.sample(second, "likeness_build_info", having: ["version=", #"pack="dlib""#]) == 1)
        #expect(Self.sample(second, "likeness_executor_queue_limit", having: [#"executor="inference""#]) == 16)
        #expect(Self.sample(second, "likeness_index_vectors") == 0)
        #expect(Self.sample(second, "likeness_index_info", having: [#"setting="auto""#, #"serving="exact""#]) == 1)

        // Enough requests to rotate: app.log and app.log.1..2, never a third.
        for _ in 0..<60 { _ = try Self.curl([base + "/healthz"]) }
        let logs = dir + "/logs/"
        #expect(FileManager.default.fileExists(atPath: logs + "app.log.1") && FileManager.default.fileExists(atPath: logs + "app.log.2"))
        #expect(!FileManager.default.fileExists(atPath: logs + "app.log.3"))
        var all = ""
        for name in try FileManager.default.contentsOfDirectory(atPath: logs) { all += try String(contentsOfFile: logs + name, encoding: .utf8) }
        #expect(all.contains("route=/healthz") && all.contains("request_id="))
        #expect(!all.contains(password) && !all.contains(token))
        let size = try FileManager.default.attributesOfItem(atPath: logs + "app.log")[.size] as? Int ?? 0
        #expect(size <= 4096)
    }
}
