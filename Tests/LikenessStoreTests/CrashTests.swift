import Foundation
import LikenessCore
import LikenessIndex
import LikenessStore
import LikenessTestSupport
import Synchronization
import Testing

/// Kills a process that enrolls from several clients at once (SIGKILL, at a random moment),
/// restarts, and checks that every acknowledged enrollment is searchable with its person, every
/// acknowledged deletion is gone, and the index holds exactly what the database holds. (A face
/// whose deletion had started but was not acknowledged may be either way.)
@Suite(.serialized) struct CrashTests {
    /// The writer is bench/Sources/likeness-bench (crash-writer), built beside the tests.
    static let writer: URL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("likeness-bench")

    /// The writer's vectors (bench/Sources/likeness-bench/CrashWriter.swift).
    static func vector(seed: Int) -> [Float] {
        var state = UInt64(seed) &+ 0x9E37_79B9_7F4A_7C15
        let raw = (0..<16).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 1000
        }
        return Embedding(recognizer: RecognizerID("crash"), raw: raw).vector
    }

    @Test(arguments: Backend.available)
    func acknowledgedWritesSurviveSIGKILL(backend: Backend) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.writer.path), "build likeness-bench first")
        let url = try backend.freshURL()
        let urlText = url.text
        let snapshot = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-crash-\(UUID().uuidString)").path
        defer { unlink(snapshot) }
        var acked: [FaceID: (classID: String, seed: Int)] = [:]
        var deleted: Set<FaceID> = []
        var doomed: Set<FaceID> = []  // a deletion was started; acknowledged or not
        for round in 1...3 {
            let lines = try await runAndKill(urlText, snapshot, afterSeconds: Double.random(in: 0.8...2.0))
            for line in lines {
                let f = line.split(separator: " ")
                if f.count == 4, f[0] == "ACK", let id = FaceID(f[1]), let seed = Int(f[3]) { acked[id] = (String(f[2]), seed) }
                if f.count == 2, f[0] == "DEL", let id = FaceID(f[1]) { deleted.insert(id) }
                if f.count == 2, f[0] == "DELETING", let id = FaceID(f[1]) { doomed.insert(id) }
            }
            // Restart: the store and the index as the server opens them.
            let store = try SQLStore(url: url)
            let live = try LiveIndex(loader: IndexLoader(recognizer: RecognizerID("crash"), dimension: 16, snapshotPath: snapshot), source: store)
            var missing = 0, wrongPerson = 0, notSearchable = 0
            for (id, ack) in acked where !doomed.contains(id) {
                guard let face = try await store.face(id: id) else { missing += 1; continue }
                if face.classID != ack.classID { wrongPerson += 1 }
                let hits = try live.index.search(Self.vector(seed: ack.seed), k: 3, minScore: 0.999)
                if !hits.contains(where: { $0.id == id }) { notSearchable += 1 }
            }
            var resurrected = 0
            for id in deleted where try await store.face(id: id) != nil || live.index.contains(id: id) { resurrected += 1 }
            var stored = 0, absentFromIndex = 0
            _ = try store.forEachEmbedding(recognizer: RecognizerID("crash")) { id, _ in
                stored += 1
                if !live.index.contains(id: id) { absentFromIndex += 1 }
            }
            let ghosts = live.index.count - (stored - absentFromIndex)
            print("""
                crash \(backend) round \(round): \(lines.count) acknowledged lines; \(acked.count) faces acked, \(deleted.count) deleted; \
                database \(stored), index \(live.index.count) (\(live.report.origin == .snapshot ? "snapshot + \(live.report.replayed) replayed" : "rebuilt")); \
                missing \(missing), wrong person \(wrongPerson), not searchable \(notSearchable), resurrected \(resurrected), ghosts \(ghosts)
                """)
            #expect(!lines.isEmpty)
            #expect(missing == 0 && wrongPerson == 0 && notSearchable == 0 && resurrected == 0)
            #expect(absentFromIndex == 0 && ghosts == 0)
        }
    }

    /// Starts the writer, waits for its first acknowledgement, lets it run, SIGKILLs it, and
    /// answers the complete lines it printed. The waiting happens on a Dispatch thread: other
    /// tests keep the cooperative pool busy, and a Task.sleep there can oversleep by seconds.
    func runAndKill(_ url: String, _ snapshot: String, afterSeconds: Double) async throws -> [String] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runAndKillBlocking(url, snapshot, afterSeconds: afterSeconds) })
            }
        }
    }

    func runAndKillBlocking(_ url: String, _ snapshot: String, afterSeconds: Double) throws -> [String] {
        let pipe = Pipe()
        let output = Mutex(Data())
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            output.withLock { $0.append(chunk) }
        }
        let process = try ChildProcess(Self.writer.path, ["crash-writer", url, snapshot, "4"], output: .standardOutput(pipe))
        let deadline = ContinuousClock.now + .seconds(60)
        while output.withLock({ $0.isEmpty }) && process.isRunning && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        Thread.sleep(forTimeInterval: afterSeconds)
        process.kill()
        pipe.fileHandleForReading.readabilityHandler = nil
        let rest = pipe.fileHandleForReading.readDataToEndOfFile()
        let text = output.withLock { String(decoding: $0 + rest, as: UTF8.self) }
        // A line cut by the kill was never acknowledged.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()
        return lines
    }
}
