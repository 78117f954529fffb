import Foundation
import LikenessCore
import LikenessStore
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
        let pipe = Pipe()
        let first = try EnrollCommandTests.likeness(migrate, output: pipe)
        var seen = ""
        while first.isRunning {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            let done = seen.split(separator: "\n").filter { $0.hasPrefix("migrate: ") && $0.contains(" embedded for ") }.count
            if done >= faces / 3 {
                kill(first.processIdentifier, SIGKILL)
                break
            }
        }
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal, "the first run ended before it could be killed: \(seen)")
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
}
