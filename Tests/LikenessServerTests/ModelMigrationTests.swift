import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessCore
import LikenessIndex
import LikenessServer
import LikenessStore
import LikenessVision
import LikenessTestSupport
import Testing

/// A gallery enrolled under the offline dlib pack moves to YuNet + MobileFaceNet without a
/// single photo uploaded again: `likeness migrate` re-embeds the stored crops, is killed halfway,
/// resumes, switches, and the same LFW people are answered as before.
@Suite(.serialized) struct ModelMigrationTests {
    static let available = EnrollCommandTests.available
        && FileManager.default.fileExists(atPath: StartupTests.repo.deletingLastPathComponent().appendingPathComponent("shared/models").path)

    /// The largest face's name per photo, from `likeness identify` lines ("path: name 0.93 [..]; ...").
    static func answers(_ output: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in output.split(separator: "\n") where line.contains(".jpg: ") {
            let parts = line.components(separatedBy: ".jpg: ")
            out[parts[0] + ".jpg"] = parts[1].split(separator: " ").first.map(String.init) ?? ""
        }
        return out
    }

    @Test(.enabled(if: available))
    func migrateKilledHalfwayResumesSwitchesAndAnswersTheSamePeople() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let (folder, photos) = try EnrollCommandTests.lfwFolder(people: 12)
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-migrate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: data)
        }
        let dlib = ["--data-dir", data, "--model-dir", StartupTests.dlibModels.path]
        let (enrolled, enrolOutput) = try EnrollCommandTests.runToEnd(["enroll", folder, "--jobs", "2"] + dlib)
        #expect(enrolled == 0, "\(enrolOutput)")
        let store = try SQLStore("sqlite://\(data)/likeness.db", connections: 1)
        let faces = try await store.faceCount(recognizer: nil)
        #expect(faces > photos / 2)

        // One photo per person, asked before the migration.
        let probes = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { person in
            "\(folder)/\(person)/" + (try FileManager.default.contentsOfDirectory(atPath: "\(folder)/\(person)").sorted().first ?? "")
        }
        let (_, beforeOutput) = try EnrollCommandTests.runToEnd(["identify"] + probes + dlib)
        let before = Self.answers(beforeOutput)
        #expect(before.count == probes.count, "\(beforeOutput)")
        for probe in probes { #expect(before[probe] == URL(fileURLWithPath: probe).deletingLastPathComponent().lastPathComponent, "\(beforeOutput)") }

        let pack = try StartupTests().pack(in: data) { _ in }
        let migrate = ["migrate", "--to", pack, "--database-url", "sqlite://\(data)/likeness.db", "--workers", "1", "--batch", "1"]
        // Killed (SIGKILL) a third of the way.
        let (killed, seen) = try EnrollCommandTests.killWhen(migrate) { seen in
            seen.split(separator: "\n").filter { $0.hasPrefix("migrate: ") && $0.contains(" embedded for ") }.count >= faces / 3
        }
        #expect(killed, "the first run ended before it could be killed: \(seen)")
        let target = RecognizerID("mobilefacenet_128")
        let halfway = try await store.migrationProgress(to: target)
        #expect(halfway.embedded + halfway.missed > 0 && halfway.remaining > 0, "\(halfway)")
        // Nothing serves under the new recognizer before the switch.
        #expect(try await store.faceCountsByRecognizer() == [RecognizerID("dlib_resnet_v1"): faces])

        let (resumed, resumedOutput) = try EnrollCommandTests.runToEnd(migrate + ["--switch"])
        #expect(resumed == 0, "\(resumedOutput)")
        let done = try await store.migrationProgress(to: target)
        let counts = try await store.faceCountsByRecognizer()
        // Every face now serves under MobileFaceNet, but those the new detector missed in their crop.
        #expect(counts[target] ?? 0 >= faces - 1 && (counts[target] ?? 0) + (counts[RecognizerID("dlib_resnet_v1")] ?? 0) == faces,
                "\(counts) \(done) \(resumedOutput)")
        #expect(resumedOutput.contains("faces now serve under mobilefacenet_128"), "\(resumedOutput)")

        let (_, afterOutput) = try EnrollCommandTests.runToEnd(["identify", "--pack", pack] + probes + ["--data-dir", data])
        let after = Self.answers(afterOutput)
        #expect(after == before, "before: \(before)\nafter: \(afterOutput)")

        // The old embeddings stay until dropped.
        let (_, dropped) = try EnrollCommandTests.runToEnd(["migrate", "--to", pack, "--database-url", "sqlite://\(data)/likeness.db",
                                                           "--drop-old", "dlib_resnet_v1"])
        #expect(dropped.contains("forgot \(counts[target] ?? -1) kept embeddings of dlib_resnet_v1"), "\(dropped)")
    }

    /// The same from the server: POST /v1/index/migrate runs in the background while the dlib
    /// pack keeps answering, and /v1/index reports it to the end.
    @Test(.enabled(if: available))
    func theServerMigratesInTheBackground() async throws {
        let dir = try LiveServerTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pack = try StartupTests().pack(in: dir) { _ in }
        let pipeline = try FacePipeline.dlib(modelDirectory: StartupTests.dlibModels.path)
        let store = try SQLStore(url: .sqlite(path: dir + "/likeness.db"))
        let index = try LiveIndex(loader: IndexLoader(recognizer: pipeline.recognizer.id, dimension: pipeline.recognizer.dimension,
                                                      snapshotPath: dir + "/index.snapshot"), source: store)
        var configuration = ServerConfiguration()
        configuration.bcryptCost = 4
        let services = ServerServices(analyzer: pipeline, gallery: store, accounts: store, index: index,
                                      migration: MigrationSupport(store: store) { try FacePipeline.load(try InstalledPack.read(path: $0)) })
        let app = try await buildApplication(configuration: configuration, services: services)
        let knn = LiveServerTests.shared.appendingPathComponent("face_recognition/knn_examples/train")
        try await app.test(.router) { client in
            let (admin, oper, viewer) = try await tokens(client)
            for person in ["obama", "biden"] {
                _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                             body: ByteBuffer(string: #"{"class_id": "\#(person)", "name": "\#(person)"}"#))
                let photo = [UInt8](try Data(contentsOf: knn.appendingPathComponent("\(person)/\(person).jpg")))
                let r = try await client.execute(uri: "/v1/people/\(person)/faces", method: .post, headers: Multipart.headers(oper),
                                                 body: Multipart.body([("file", photo)]))
                #expect(r.status == .created)
            }
            let body = ByteBuffer(string: #"{"to": "\#(pack)"}"#)
            #expect(try await client.execute(uri: "/v1/index/migrate", method: .post, headers: jsonHeaders(oper), body: body).status == .forbidden)
            let started = try await client.execute(uri: "/v1/index/migrate", method: .post, headers: jsonHeaders(admin), body: body)
            #expect(started.status == .accepted)
            var migration: [String: Any] = [:]
            for _ in 0..<200 {
                let status = try object(try await client.execute(uri: "/v1/index", method: .get, headers: auth(viewer)))
                migration = status["migration"] as? [String: Any] ?? [:]
                if ["done", "failed"].contains(migration["state"] as? String ?? "") { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(migration["state"] as? String == "done" && migration["embedded"] as? Int == 2 && migration["remaining"] as? Int == 0,
                    "\(migration)")
            #expect(migration["recognizer"] as? String == "mobilefacenet_128")
            // The serving pack still answers, and nothing serves under the new one before the switch.
            let status = try object(try await client.execute(uri: "/v1/index", method: .get, headers: auth(viewer)))
            #expect(status["faces_by_recognizer"] as? [String: Int] == ["dlib_resnet_v1": 2] && status["unsearchable_faces"] as? Int == 0)
            let bad = try await client.execute(uri: "/v1/index/migrate", method: .post, headers: jsonHeaders(admin),
                                               body: ByteBuffer(string: #"{"to": "/nonexistent/pack.json"}"#))
            #expect(bad.status == .accepted)
            for _ in 0..<100 {
                let m = try object(try await client.execute(uri: "/v1/index", method: .get, headers: auth(viewer)))["migration"] as? [String: Any]
                if m?["state"] as? String == "failed" { migration = m ?? [:]; break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(migration["state"] as? String == "failed" && (migration["error"] as? String)?.isEmpty == false, "\(migration)")
        }
    }

    static func json(_ answer: ObservabilityTests.Answer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any] ?? [:]
    }

    /// `likeness serve` switches packs while it runs: migrate with "switch": true, and the
    /// server answers with YuNet + MobileFaceNet without a restart; restarted without --pack, it
    /// starts with the pack the database recorded.
    @Test(.enabled(if: available))
    func theServerSwitchesPacksWhileItRunsAndStartsWithTheSwitchedPack() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-switch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let pack = try StartupTests().pack(in: data) { _ in }
        let port = try EnrollCommandTests.freePort()
        var (server, base, token) = try await EnrollCommandTests.serveWithAdmin(data: data, port: port)
        defer { server.stop() }
        let knn = EnrollCommandTests.faces.appendingPathComponent("face_recognition/knn_examples").path
        let (enrolled, enrolOutput) = try EnrollCommandTests.runToEnd(["enroll", knn + "/train", "--url", base, "--token", token])
        #expect(enrolled == 0 && enrolOutput.contains("enrolled 9"), "\(enrolOutput)")
        let headers = ["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json"]
        let body = #"{"to": "\#(pack)"}"#

        // A pack that does not load is the caller's mistake.
        let unknown = try ObservabilityTests.curl(headers + ["-d", #"{"to": "no-such-pack"}"#, base + "/v1/index/switch"])
        #expect(unknown.status == 422 && unknown.body.contains("pack_unavailable"), "\(unknown)")
        // Not migrated yet: nothing to switch to.
        let early = try ObservabilityTests.curl(headers + ["-d", body, base + "/v1/index/switch"])
        #expect(early.status == 409 && early.body.contains("migration_incomplete"), "\(early)")

        let started = try ObservabilityTests.curl(headers + ["-d", #"{"to": "\#(pack)", "switch": true}"#, base + "/v1/index/migrate"])
        #expect(started.status == 202, "\(started)")
        var status: [String: Any] = [:]
        for _ in 0..<600 {
            status = Self.json(try ObservabilityTests.curl(headers + [base + "/v1/index"]))
            let state = (status["migration"] as? [String: Any])?["state"] as? String
            if state == "switched" || state == "failed" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let migration = status["migration"] as? [String: Any] ?? [:]
        #expect(migration["state"] as? String == "switched" && migration["switched_faces"] as? Int == 9, "\(status)")
        #expect(status["recognizer"] as? String == "mobilefacenet_128" && status["total_vectors"] as? Int == 9, "\(status)")
        #expect(status["unsearchable_faces"] as? Int == 0, "\(status)")
        let system = Self.json(try ObservabilityTests.curl(headers + [base + "/v1/system"]))
        #expect((system["models"] as? [[String: Any]])?.contains { ($0["file"] as? String) == "mobilefacenet_128.onnx" } == true, "\(system)")

        // The same people are answered by the new pack, and new faces are enrolled under it.
        let (_, who) = try EnrollCommandTests.runToEnd(["identify", knn + "/test/kit_with_rose.jpg", "--url", base, "--token", token])
        #expect(who.contains("kit_harington") && who.contains("rose_leslie"), "\(who)")
        let again = try ObservabilityTests.curl(headers + ["-d", body, base + "/v1/index/switch"])
        #expect(again.status == 409 && again.body.contains("already_serving"), "\(again)")

        // Restarted without --pack: the database says which pack the gallery serves under.
        #expect(server.stop(), "the server did not stop within 30 s of SIGTERM")
        (server, base, token) = try await EnrollCommandTests.serveWithAdmin(data: data, port: try EnrollCommandTests.freePort())
        let restarted = Self.json(try ObservabilityTests.curl(["-H", "Authorization: Bearer \(token)", base + "/v1/index"]))
        #expect(restarted["recognizer"] as? String == "mobilefacenet_128" && restarted["total_vectors"] as? Int == 9, "\(restarted)")
    }

    /// The issue's end-to-end run, through the server: enrolled under dlib, migrated in the
    /// background to YuNet + MobileFaceNet, the server SIGKILLed halfway, restarted, the migration
    /// started again, finished and switched; the same LFW people are answered as before.
    @Test(.enabled(if: available))
    func theServerKilledHalfwayThroughAMigrationFinishesItAfterARestart() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let (folder, _) = try EnrollCommandTests.lfwFolder(people: 30)
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-kill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: data)
        }
        let pack = try StartupTests().pack(in: data) { _ in }
        let port = try EnrollCommandTests.freePort()
        var (server, base, token) = try await EnrollCommandTests.serveWithAdmin(data: data, port: port)
        defer { server.stop() }
        let (enrolled, enrolOutput) = try EnrollCommandTests.runToEnd(["enroll", folder, "--url", base, "--token", token])
        #expect(enrolled == 0, "\(enrolOutput)")
        let probes = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { person in
            "\(folder)/\(person)/" + (try FileManager.default.contentsOfDirectory(atPath: "\(folder)/\(person)").sorted().first ?? "")
        }
        let (_, beforeOutput) = try EnrollCommandTests.runToEnd(["identify"] + probes + ["--url", base, "--token", token])
        let before = Self.answers(beforeOutput)
        #expect(before.count == probes.count, "\(beforeOutput)")

        func migrate() throws -> ObservabilityTests.Answer {
            try ObservabilityTests.curl(["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json",
                                         "-d", #"{"to": "\#(pack)", "switch": true}"#, base + "/v1/index/migrate"])
        }
        func migration() throws -> [String: Any] {
            Self.json(try ObservabilityTests.curl(["-H", "Authorization: Bearer \(token)", base + "/v1/index"]))["migration"] as? [String: Any] ?? [:]
        }
        #expect(try migrate().status == 202)
        // SIGKILL once some faces are embedded and some are left.
        var halfway: [String: Any] = [:]
        for _ in 0..<2000 {
            halfway = try migration()
            if (halfway["embedded"] as? Int ?? 0) > 0, (halfway["remaining"] as? Int ?? 0) > 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        server.kill()
        #expect((halfway["remaining"] as? Int ?? 0) > 0, "the migration ended before the server could be killed: \(halfway)")
        let store = try SQLStore("sqlite://\(data)/likeness.db", connections: 1)
        let target = RecognizerID("mobilefacenet_128")
        let cut = try await store.migrationProgress(to: target)
        #expect(cut.embedded > 0 && cut.remaining > 0, "\(cut)")
        #expect(try await store.servingPack() == nil)

        // Restarted: the dlib pack still serves; the migration goes on from where it was cut.
        (server, base, token) = try await EnrollCommandTests.serveWithAdmin(data: data, port: try EnrollCommandTests.freePort())
        #expect(try migrate().status == 202)
        var finished: [String: Any] = [:]
        for _ in 0..<1200 {
            finished = try migration()
            if ["switched", "failed"].contains(finished["state"] as? String ?? "") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(finished["state"] as? String == "switched", "\(finished)")
        // The second run did only what the first had left.
        #expect(finished["processed"] as? Int == cut.remaining, "\(finished) \(cut)")
        let (_, afterOutput) = try EnrollCommandTests.runToEnd(["identify"] + probes + ["--url", base, "--token", token])
        #expect(Self.answers(afterOutput) == before, "before: \(before)\nafter: \(afterOutput)")
        let counts = try await store.faceCountsByRecognizer()
        #expect((counts[target] ?? 0) + (counts[RecognizerID("dlib_resnet_v1")] ?? 0) == cut.total && (counts[target] ?? 0) >= cut.total - 2,
                "\(counts)")
    }
}
