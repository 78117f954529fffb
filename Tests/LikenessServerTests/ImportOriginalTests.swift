import Foundation
import LikenessCore
@testable import LikenessStore
import Testing

/// `likeness import-original` on an original deployment's files, written by faiss and numpy
/// themselves (Tests/Fixtures/original): the vectors of 12 LFW people's enrolment photos under
/// MobileFaceNet, and their people table when a MariaDB server is at hand. Each person's other
/// photo is then identified through the YuNet + MobileFaceNet pack, without any photo enrolled.
@Suite(.serialized) struct ImportOriginalTests {
    static let fixtures = StartupTests.repo.appendingPathComponent("Tests/Fixtures/original")
    static let mysqlURL = ProcessInfo.processInfo.environment["LIKENESS_TEST_MYSQL_URL"]

    /// A fresh MariaDB database holding the original's `nguoi` table.
    static func originalDatabase() throws -> String? {
        guard let mysqlURL, case let .mysql(server) = try DatabaseURL(mysqlURL) else { return nil }
        let name = "likeness_orig_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try MariaDBConnection(.init(server: server))
            .executeScript("CREATE DATABASE \(name) CHARACTER SET utf8mb4")
        let original = try MariaDBConnection(.init(server: server.with(database: name)))
        // One statement per line, as the fixture is written.
        for statement in try String(contentsOf: fixtures.appendingPathComponent("nguoi.sql"), encoding: .utf8).split(separator: "\n")
        where !statement.trimmingCharacters(in: .whitespaces).isEmpty {
            try original.executeScript(String(statement))
        }
        return DatabaseURL.mysql(server.with(database: name)).text
    }

    static func json(_ output: String) -> [String: Any] {
        let line = output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    @Test(.enabled(if: ModelMigrationTests.available))
    func anImportedGalleryAnswersWhoIsInThePhotosItsVectorsCameFrom() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let (folder, _) = try EnrollCommandTests.lfwFolder(people: 12)
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-import-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: data)
        }
        let pack = try StartupTests().pack(in: data) { _ in }
        let mysql = try Self.originalDatabase()
        let command = ["import-original", "--faiss-index", Self.fixtures.appendingPathComponent("faiss_index.index").path,
                       "--pack", pack, "--database-url", "sqlite://\(data)/likeness.db"] + (mysql.map { ["--mysql", $0] } ?? [])

        let (status, output) = try EnrollCommandTests.runToEnd(command)
        #expect(status == 0, "\(output)")
        let first = Self.json(output)
        #expect(first["faces_added"] as? Int == 20 && first["faces_rejected"] as? Int == 0, "\(output)")
        #expect(first["recognizer"] as? String == "mobilefacenet_128", "\(output)")
        #expect(first["people_inserted"] as? Int == 12, "\(output)")
        #expect(first["people_without_row"] as? Int == (mysql == nil ? 12 : 0), "\(output)")

        // Run again (as after an interruption): nothing is added twice.
        let (_, againOutput) = try EnrollCommandTests.runToEnd(command)
        let again = Self.json(againOutput)
        #expect(again["faces_added"] as? Int == 0 && again["faces_skipped"] as? Int == 20, "\(againOutput)")
        let store = try SQLStore("sqlite://\(data)/likeness.db", connections: 1)
        #expect(try await store.faceCountsByRecognizer() == [RecognizerID("mobilefacenet_128"): 20])
        if mysql != nil {
            #expect(try await store.person(classID: "Aaron_Peirsol")?.name == "Aaron Peirsol")
            #expect(try await store.person(classID: "Aaron_Peirsol")?.info == "Employee ID: 10000")
        }

        // Each person's first photo, never imported, is found by the imported vectors.
        let probes = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { person in
            "\(folder)/\(person)/" + (try FileManager.default.contentsOfDirectory(atPath: "\(folder)/\(person)").sorted().first ?? "")
        }
        let (_, identified) = try EnrollCommandTests.runToEnd(["identify", "--pack", pack, "--data-dir", data] + probes)
        let answers = ModelMigrationTests.answers(identified)
        let right = probes.filter { probe in
            let person = URL(fileURLWithPath: probe).deletingLastPathComponent().lastPathComponent
            let line = identified.split(separator: "\n").first { $0.hasPrefix(probe + ": ") } ?? ""
            return answers[probe] == person || line.contains("(\(person))")
        }
        // MobileFaceNet finds 11 of these 12 people with their own enrolled photos (the same
        // photos enrolled through the API answer the same).
        #expect(right.count >= 11, "\(identified)")

        // A pack whose recognizer makes vectors of another size is refused before anything is written.
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-import-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: other) }
        let wide = try StartupTests().pack(in: other) { pack in
            var recognizer = pack["recognizer"] as! [String: Any]
            recognizer["id"] = "w600k_mbf"
            recognizer["embedding_size"] = 512
            pack["recognizer"] = recognizer
        }
        let (refused, refusal) = try EnrollCommandTests.runToEnd(["import-original", "--faiss-index", Self.fixtures.appendingPathComponent("faiss_index.index").path,
                                                                 "--pack", wide, "--database-url", "sqlite://\(other)/likeness.db"])
        #expect(refused != 0 && refusal.contains("dimension_mismatch") && refusal.contains("512"), "\(refusal)")
        #expect(!FileManager.default.fileExists(atPath: other + "/likeness.db"))
    }

    @Test func aMetadataFileThatDoesNotCoverTheIndexImportsNothing() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-import-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        // The index with a metadata file that is not a .npz at all.
        let index = data + "/faiss_index.index"
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("faiss_index.index").path, toPath: index)
        try Data("not a zip".utf8).write(to: URL(fileURLWithPath: data + "/faiss_index.npz"))
        let command = ["import-original", "--faiss-index", index, "--recognizer", "mobilefacenet_128", "--database-url", "sqlite://\(data)/likeness.db"]
        let (status, output) = try EnrollCommandTests.runToEnd(command)
        #expect(status != 0 && output.contains("original_unreadable") && output.contains("not a .npz"), "\(output)")
        try FileManager.default.removeItem(atPath: data + "/faiss_index.npz")
        let (absent, message) = try EnrollCommandTests.runToEnd(command)
        #expect(absent != 0 && message.contains("no metadata file"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: data + "/likeness.db"))
    }
}
