import Foundation
import LikenessCore
@testable import LikenessStore
import Testing

/// Stateless servers on one PostgreSQL database with the pgvector index: what one acknowledges,
/// the other answers at once.
@Suite(.serialized) struct ReplicaServerTests {
    static let postgresURL = ProcessInfo.processInfo.environment["LIKENESS_TEST_POSTGRES_URL"]

    /// A fresh database on the test command's PostgreSQL.
    static func freshDatabase() throws -> String {
        guard case let .postgres(host, port, user, password, database) = try DatabaseURL(postgresURL ?? "") else {
            throw StoreError.invalid("LIKENESS_TEST_POSTGRES_URL is not a postgres:// URL")
        }
        let name = "likeness_srv_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try PostgresConnection(.init(host: host, port: port, user: user, password: password, database: database))
            .executeScript("CREATE DATABASE \(name)")
        return DatabaseURL.postgres(host: host, port: port, user: user, password: password, database: name).text
    }

    @Test(.enabled(if: postgresURL != nil && EnrollCommandTests.available, "needs LIKENESS_TEST_POSTGRES_URL and ../shared/faces"))
    func twoServersOnOneDatabaseAnswerEachOthersWrites() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let database = try Self.freshDatabase()
        let dirs = (0..<2).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("likeness-replica-\(UUID().uuidString)").path }
        for dir in dirs { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        defer { for dir in dirs { try? FileManager.default.removeItem(atPath: dir) } }
        let shared = ["--database-url", database, "--index", "pgvector"]
        let port = Int.random(in: 30000...34000)
        let (a, baseA, tokenA) = try await EnrollCommandTests.serveWithAdmin(data: dirs[0], port: port, shared)
        defer { a.terminate(); a.waitUntilExit() }
        let (b, baseB, tokenB) = try await EnrollCommandTests.serveWithAdmin(data: dirs[1], port: port + 1, shared)
        defer { b.terminate(); b.waitUntilExit() }

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
}
