import Foundation
import LikenessCore
import LikenessIndex
import LikenessStore
import LikenessTestSupport
import Testing

/// `likeness enroll` and `likeness identify`, run as a user runs them, on the real models,
/// database and photos.
@Suite(.serialized) struct EnrollCommandTests {
    static let faces = StartupTests.repo.deletingLastPathComponent().appendingPathComponent("shared/faces")
    static let available = FileManager.default.fileExists(atPath: faces.path)
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")

    /// A folder per person, linking `people` LFW people with at least two photos.
    static func lfwFolder(people: Int) throws -> (String, Int) {
        let source = faces.appendingPathComponent("lfw-devtrain").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-enroll-\(UUID().uuidString)").path
        var photos = 0
        var taken = 0
        for person in try FileManager.default.contentsOfDirectory(atPath: source).sorted() where taken < people {
            let files = try FileManager.default.contentsOfDirectory(atPath: source + "/" + person).filter { $0.hasSuffix(".jpg") }.sorted()
            guard files.count >= 2 else { continue }
            try FileManager.default.createDirectory(atPath: "\(dir)/\(person)", withIntermediateDirectories: true)
            for file in files.prefix(3) {
                try FileManager.default.createSymbolicLink(atPath: "\(dir)/\(person)/\(file)", withDestinationPath: "\(source)/\(person)/\(file)")
                photos += 1
            }
            taken += 1
        }
        return (dir, photos)
    }

    static func likeness(_ arguments: [String], output: ChildProcess.Output = .discard) throws -> ChildProcess {
        try ChildProcess(StartupTests.likeness.path, arguments, output: output)
    }

    /// Runs the command, reading its output until `enough` says so, then SIGKILLs it. Answers
    /// whether it was killed (not finished first), and what it printed.
    static func killWhen(_ arguments: [String], _ enough: (String) -> Bool) throws -> (killed: Bool, output: String) {
        let pipe = Pipe()
        let process = try likeness(arguments, output: .pipe(pipe))
        var seen = ""
        while true {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if enough(seen) {
                process.kill()
                break
            }
        }
        process.wait()
        return (process.signalled, seen)
    }

    static func runToEnd(_ arguments: [String]) throws -> (Int32, String) {
        let (child, output) = try ChildProcess.run(StartupTests.likeness.path, arguments)
        return (child.status, output)
    }

    @Test(.enabled(if: available))
    func enrollResumesAfterBeingKilledHalfway() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let (folder, photos) = try Self.lfwFolder(people: 20)
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-enroll-data-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: data)
        }
        let arguments = ["enroll", folder, "--data-dir", data, "--model-dir", StartupTests.dlibModels.path, "--jobs", "2"]

        // Killed (SIGKILL) once a third of the photos are through.
        let (killed, seen) = try Self.killWhen(arguments) { seen in
            guard let line = seen.split(separator: "\n").last(where: { $0.contains("enrolled ") }),
                  let done = Int(line.split(separator: "/").first ?? "") else { return false }
            return done >= photos / 3
        }
        #expect(killed, "the first run ended before it could be killed: \(seen)")
        let store = try SQLStore("sqlite://\(data)/likeness.db", connections: 1)
        let before = try await store.faceCount(recognizer: nil)
        #expect(before > 0 && before < photos)

        // The second run skips what is enrolled and finishes; a third has nothing left to do.
        let (status, output) = try Self.runToEnd(arguments)
        #expect(status == 0, "\(output)")
        let summary = try #require(output.split(separator: "\n").last { $0.hasPrefix("enrolled ") }.map(String.init), "\(output)")
        #expect(summary.contains("already enrolled \(before)"), "\(summary)")
        let after = try await store.faceCount(recognizer: nil)
        let failed = Int(summary.split(separator: " ").last ?? "") ?? -1
        #expect(after + failed == photos, "\(summary)")
        let (_, again) = try Self.runToEnd(arguments)
        #expect(again.contains("enrolled 0, already enrolled \(after)"), "\(again)")
        #expect(try await store.faceCount(recognizer: nil) == after)
    }

    @Test(.enabled(if: available))
    func enrollAndIdentifyAgainstARunningServer() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-remote-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (server, base, token) = try await Self.serveWithAdmin(data: data, port: try Self.freePort())
        defer { server.stop() }

        let knn = Self.faces.appendingPathComponent("face_recognition/knn_examples").path
        let (status, output) = try Self.runToEnd(["enroll", knn + "/train", "--url", base, "--token", token])
        #expect(status == 0 && output.contains("enrolled 9, already enrolled 0, not enrolled 0"), "\(output)")
        let (_, again) = try Self.runToEnd(["enroll", knn + "/train", "--url", base, "--token", token])
        #expect(again.contains("enrolled 0, already enrolled 9"), "\(again)")
        let (_, who) = try Self.runToEnd(["identify", knn + "/test/kit_with_rose.jpg", knn + "/test/obama_and_biden.jpg", "--url", base, "--token", token])
        let lines = who.split(separator: "\n").filter { $0.contains(".jpg:") }
        #expect(lines.count == 2, "\(who)")
        #expect(lines.first { $0.contains("kit_with_rose") }.map { $0.contains("kit_harington") && $0.contains("rose_leslie") } == true, "\(who)")
        #expect(lines.first { $0.contains("obama_and_biden") }.map { $0.contains("obama") && $0.contains("biden") && $0.contains("unknown") } == true, "\(who)")
        let (refused, message) = try Self.runToEnd(["enroll", knn + "/train", "--url", base, "--token", "not-a-token"])
        #expect(refused != 0 && message.contains("401"), "\(message)")
    }
}

/// SIGTERM while enrolments are in flight: every acknowledged face is in the database and in
/// the snapshot written on the way out.
@Suite struct ShutdownUnderLoadTests {
    final class Acknowledged: @unchecked Sendable {
        private let lock = NSLock()
        private var ids: [Int64] = []
        private var others: [Int] = []
        func add(_ id: Int64) { lock.withLock { ids.append(id) } }
        func other(_ status: Int) { lock.withLock { others.append(status) } }
        var all: ([Int64], [Int]) { lock.withLock { (ids, others) } }
    }

    @Test(.enabled(if: EnrollCommandTests.available))
    func sigtermDuringLoadLosesNoAcknowledgedFace() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: StartupTests.likeness.path), "build the likeness executable first")
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-sigterm-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (server, base, token) = try await EnrollCommandTests.serveWithAdmin(data: data, port: try EnrollCommandTests.freePort(),
                                                                                 ["--per-client-inference", "0"])

        let train = EnrollCommandTests.faces.appendingPathComponent("face_recognition/knn_examples/train").path
        let photos = try EnrollCommandTests.scanPhotos(train)
        let acknowledged = Acknowledged()
        // Plain threads, not tasks: the clients block in curl, and on a two-core machine three
        // blocked tasks would starve the cooperative pool that has to send the signal.
        let clients = DispatchGroup()
        for client in 0..<3 {
            DispatchQueue.global().async(group: clients) {
                var n = client
                while true {
                    let (person, path) = photos[n % photos.count]
                    n += 3
                    guard let answer = try? ObservabilityTests.curl(["-H", "Authorization: Bearer \(token)", "-F", "file=@\(path)",
                                                                     "-F", "class_id=\(person)", "-F", "name=\(person)", base + "/api/add_embedding"]),
                          answer.status > 0 else { return }  // the server is gone
                    if answer.status == 201, let id = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])?["image_id"] {
                        acknowledged.add(Int64("\(id)") ?? -1)
                    } else {
                        acknowledged.other(answer.status)
                    }
                }
            }
        }
        try await Task.sleep(for: .seconds(3))
        // SIGTERM, with requests in flight.
        let stopped = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            DispatchQueue.global().async { done.resume(returning: server.stop()) }
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            clients.notify(queue: .global()) { done.resume() }
        }
        #expect(stopped && server.exitedCleanly, "the server did not stop cleanly within 30 s of SIGTERM")
        let (ids, others) = acknowledged.all
        #expect(ids.count >= 3, "too few enrolments before the signal to test anything")
        // Refused during shutdown, never lost: 503 while stopping (a closed connection ends a client).
        #expect(others.allSatisfy { $0 == 503 }, "\(others)")

        let store = try SQLStore("sqlite://\(data)/likeness.db", connections: 1)
        for id in ids { #expect(try await store.face(id: id) != nil, "acknowledged face \(id) is not in the database") }
        let recognizer = try #require(try await store.face(id: ids[0])?.recognizer)
        let index = try LiveIndex(loader: IndexLoader(recognizer: recognizer, dimension: 128,
                                                      snapshotPath: "\(data)/index-\(recognizer.rawValue).snapshot"), source: store)
        #expect(index.report.origin == .snapshot && index.report.replayed == 0, "\(index.report)")
        for id in ids { #expect(index.index.contains(id: id), "acknowledged face \(id) is not in the snapshot") }
    }
}

extension EnrollCommandTests {
    /// A TCP port nobody listens on now (the kernel's pick for port 0), so that servers started
    /// by tests meet neither each other nor the test databases.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CocoaError(.fileReadUnknown) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CocoaError(.fileReadUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `likeness serve` with the dlib models on `port`, once it answers, with its first account
    /// (an admin) registered: the process, the base URL and the admin's token.
    static func serveWithAdmin(data: String, port: Int, _ extra: [String] = []) async throws -> (ChildProcess, String, String) {
        // Its output goes to a log in the data directory, quoted if it does not come up.
        let logPath = data + "/serve-\(port).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }
        let server = try likeness(["serve", "--data-dir", data, "--model-dir", StartupTests.dlibModels.path, "--port", String(port)] + extra,
                                  output: .file(log))
        let base = "http://127.0.0.1:\(port)"
        var up = false
        // Up to a minute: loading models and the index beside a busy test run takes a while.
        for _ in 0..<300 {
            if try ObservabilityTests.curl([base + "/healthz"]).status == 200 { up = true; break }
            try await Task.sleep(for: .milliseconds(200))
        }
        guard up else {
            server.stop()
            let tail = (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n").suffix(8).joined(separator: "\n") ?? ""
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the server did not start on port \(port):\n\(tail)"])
        }
        let credentials = #"{"username": "admin", "password": "serve-test-password-1"}"#
        _ = try ObservabilityTests.curl(["-H", "Content-Type: application/json", "-d", credentials, base + "/api/register"])
        let login = try ObservabilityTests.curl(["-H", "Content-Type: application/json", "-d", credentials, base + "/api/login"])
        let token = try #require((try JSONSerialization.jsonObject(with: Data(login.body.utf8)) as? [String: Any])?["access_token"] as? String)
        return (server, base, token)
    }

    static func scanPhotos(_ folder: String) throws -> [(String, String)] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted().flatMap { person in
            try FileManager.default.contentsOfDirectory(atPath: "\(folder)/\(person)").sorted().map { (person, "\(folder)/\(person)/\($0)") }
        }
    }
}
