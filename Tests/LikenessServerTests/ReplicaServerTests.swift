import Foundation
import LikenessCore
@testable import LikenessStore
import LikenessTestSupport
import Testing

/// Stateless servers on one PostgreSQL database with the pgvector index: what one acknowledges,
/// the other answers at once.
@Suite(.serialized) struct ReplicaServerTests {
    static let postgresURL = ProcessInfo.processInfo.environment["LIKENESS_TEST_POSTGRES_URL"]

    /// A fresh database on the test command's PostgreSQL.
    static func freshDatabase() throws -> String {
        guard case let .postgres(server) = try DatabaseURL(postgresURL ?? "") else {
            throw StoreError.invalid("LIKENESS_TEST_POSTGRES_URL is not a postgres:// URL")
        }
        let name = "likeness_srv_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try PostgresConnection(.init(server: server)).executeScript("CREATE DATABASE \(name)")
        return DatabaseURL.postgres(server.with(database: name)).text
    }

    @Test(.enabled(if: postgresURL != nil && EnrollCommandTests.available, "needs LIKENESS_TEST_POSTGRES_URL and ../shared/faces"))
    func twoServersOnOneDatabaseAnswerEachOthersWrites() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let database = try Self.freshDatabase()
        let dirs = (0..<2).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("likeness-replica-\(UUID().uuidString)").path }
        for dir in dirs { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        defer { for dir in dirs { try? FileManager.default.removeItem(atPath: dir) } }
        let shared = ["--database-url", database, "--index", "pgvector"]
        let port = try EnrollCommandTests.freePort()
        let (a, baseA, tokenA) = try await EnrollCommandTests.serveWithAdmin(data: dirs[0], port: port, shared)
        defer { a.stop() }
        let (b, baseB, tokenB) = try await EnrollCommandTests.serveWithAdmin(data: dirs[1], port: try EnrollCommandTests.freePort(), shared)
        defer { b.stop() }

        let knn = EnrollCommandTests.faces.appendingPathComponent("face_recognition/knn_examples").path
        let (enrolled, output) = try EnrollCommandTests.runToEnd(["enroll", knn + "/train", "--url", baseA, "--token", tokenA])
        #expect(enrolled == 0 && output.contains("enrolled 9"), "\(output)")
        // Enrolled through A, identified through B, with no wait.
        let (_, who) = try EnrollCommandTests.runToEnd(["identify", knn + "/test/kit_with_rose.jpg", "--url", baseB, "--token", tokenB])
        #expect(who.contains("kit_harington") && who.contains("rose_leslie"), "\(who)")
        // B's count follows within a second (it is read again in the background, not per search).
        var status: [String: Any] = [:]
        for _ in 0..<30 {
            status = ModelMigrationTests.json(try ObservabilityTests.curl(["-H", "Authorization: Bearer \(tokenB)", baseB + "/v1/index"]))
            if status["total_vectors"] as? Int == 9 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(status["index_type"] as? String == "pgvector-hnsw" && status["total_vectors"] as? Int == 9, "\(status)")

        // Deleted through B: gone through A at once.
        let deleted = try ObservabilityTests.curl(["-X", "DELETE", "-H", "Authorization: Bearer \(tokenB)", baseB + "/v1/people/kit_harington"])
        #expect(deleted.status == 204 || deleted.status == 200, "\(deleted)")
        let (_, after) = try EnrollCommandTests.runToEnd(["identify", knn + "/test/kit_with_rose.jpg", "--url", baseA, "--token", tokenA])
        #expect(!after.contains("kit_harington") && after.contains("rose_leslie"), "\(after)")

        // Switching an in-process kind on a pgvector server is refused, not half done.
        let optimize = try ObservabilityTests.curl(["-H", "Authorization: Bearer \(tokenA)", "-H", "Content-Type: application/json",
                                                    "-d", #"{"kind": "hnsw"}"#, baseA + "/v1/index/optimize"])
        #expect(optimize.status == 409, "\(optimize)")
    }

    static let replicaURL = ProcessInfo.processInfo.environment["LIKENESS_TEST_POSTGRES_REPLICA_URL"]

    /// Searches go to a streaming replica; with its replay paused, the account that enrolled
    /// still finds its face (on the server it wrote through, and on another one when it sends
    /// back the position it was given), while a search without that position is answered by
    /// the lagging replica.
    @Test(.enabled(if: postgresURL != nil && replicaURL != nil && EnrollCommandTests.available,
                   "needs LIKENESS_TEST_POSTGRES_URL, LIKENESS_TEST_POSTGRES_REPLICA_URL and ../shared/faces"))
    func aLaggingReplicaKeepsEachClientsOwnWrites() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let database = try Self.freshDatabase()
        guard case let .postgres(primaryServer) = try DatabaseURL(database),
              case let .postgres(replicaServer) = try DatabaseURL(Self.replicaURL ?? "") else { return }
        let standbyServer = primaryServer.at(host: replicaServer.host, port: replicaServer.port)
        let replica = DatabaseURL.postgres(standbyServer)
        var control: PostgresConnection?
        for _ in 0..<100 where control == nil {
            control = try? PostgresConnection(.init(server: standbyServer))
            if control == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let standby = try #require(control)
        let dirs = (0..<2).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("likeness-ryw-\(UUID().uuidString)").path }
        for dir in dirs { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        defer { for dir in dirs { try? FileManager.default.removeItem(atPath: dir) } }
        let shared = ["--database-url", database, "--index", "pgvector", "--database-replica-urls", replica.text]
        let port0 = try EnrollCommandTests.freePort()
        let (a, baseA, tokenA) = try await EnrollCommandTests.serveWithAdmin(data: dirs[0], port: port0, shared)
        defer { a.stop() }
        let (b, baseB, tokenB) = try await EnrollCommandTests.serveWithAdmin(data: dirs[1], port: try EnrollCommandTests.freePort(), shared)
        defer { b.stop() }

        // Before pausing, the standby replays all the primary wrote (the servers' pgvector column,
        // trigger and HNSW index too), so that its searches run, only without the new face.
        let primary = try PostgresConnection(.init(server: primaryServer))
        let lsn = try primary.query("SELECT pg_current_wal_lsn()::text", []).first?[0].text ?? "0/0"
        var replayed = false
        for _ in 0..<400 where !replayed {
            replayed = try standby.query("SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn", [.text(lsn)]).first?[0].int == 1
            if !replayed { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(replayed)
        _ = try standby.query("SELECT pg_wal_replay_pause()", [])
        defer { _ = try? standby.query("SELECT pg_wal_replay_resume()", []) }
        let train = EnrollCommandTests.faces.appendingPathComponent("face_recognition/knn_examples/train/obama/obama.jpg").path
        let probe = EnrollCommandTests.faces.appendingPathComponent("face_recognition/knn_examples/test/obama_and_biden.jpg").path
        let enrolled = try ObservabilityTests.curl(["-H", "Authorization: Bearer \(tokenA)", "-F", "file=@\(train)", "-F", "class_id=obama",
                                                    "-F", "name=obama", baseA + "/api/add_embedding"])
        #expect(enrolled.status == 201, "\(enrolled)")
        let position = try #require(enrolled.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("likeness-position:") }
            .flatMap { Int64($0.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") }, "\(enrolled.headers)")
        func finds(_ base: String, _ token: String, _ extra: [String] = []) throws -> Bool {
            let answer = try ObservabilityTests.curl(["-H", "Authorization: Bearer \(token)"] + extra + ["-F", "file=@\(probe)", base + "/v1/identify"])
            return answer.status == 200 && answer.body.contains("\"obama\"")
        }
        #expect(try finds(baseA, tokenA), "the writer's own server lost its write")
        #expect(try !finds(baseB, tokenB), "the replica was not behind, so nothing was shown")
        #expect(try finds(baseB, tokenB, ["-H", "Likeness-Min-Position: \(position)"]), "the position sent back was not honoured")

        _ = try standby.query("SELECT pg_wal_replay_resume()", [])
        var caughtUp = false
        for _ in 0..<100 where !caughtUp {
            caughtUp = try finds(baseB, tokenB)
            if !caughtUp { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(caughtUp)
    }
}
