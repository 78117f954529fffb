import Foundation
import LikenessTestSupport
import Testing

/// `likeness serve` and `likeness models verify` on broken model packs: a clear message naming the
/// file and a non-zero exit, never a crash. Runs the real executable, built beside the tests.
@Suite struct StartupTests {
    static let likeness = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("likeness")
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let models = repo.deletingLastPathComponent().appendingPathComponent("shared/models")
    static let available = FileManager.default.fileExists(atPath: models.path)

    struct Run {
        var status: Int32
        var crashed: Bool
        var output: String
    }

    static let dlibModels = repo.appendingPathComponent("data/models")

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let (child, output) = try ChildProcess.run(Self.likeness.path, arguments, environment: environment)
        return Run(status: child.status, crashed: child.signalled, output: output)
    }

    /// The YuNet pack of bench/packs with absolute paths, then `change` applied to its JSON.
    func pack(in dir: String, _ change: (inout [String: Any]) -> Void) throws -> String {
        let text = try String(contentsOf: Self.repo.appendingPathComponent("bench/packs/yunet-mobilefacenet.json"), encoding: .utf8)
            .replacingOccurrences(of: "../../../shared/models/", with: Self.models.path + "/")
        var object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        change(&object)
        let path = dir + "/pack.json"
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    func recognizer(_ object: inout [String: Any], file: String, sha256: String?) {
        var recognizer = object["recognizer"] as! [String: Any]
        var model: [String: Any] = ["file": file]
        if let sha256 { model["sha256"] = sha256 }
        recognizer["model"] = model
        object["recognizer"] = recognizer
    }

    @Test(.enabled(if: available, "../shared/models is absent"))
    func brokenPacksStopTheServerWithTheFileNamed() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.likeness.path), "build the likeness executable first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-startup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let original = try Data(contentsOf: Self.models.appendingPathComponent("mobilefacenet_128.onnx"))
        let truncated = dir + "/truncated.onnx"
        try original.prefix(original.count / 3).write(to: URL(fileURLWithPath: truncated))

        let wrong = Self.models.appendingPathComponent("minifasnet_v2_2.7_80x80.onnx").path
        let cases: [(String, (inout [String: Any]) -> Void, String, String)] = [
            ("missing", { recognizer(&$0, file: dir + "/absent.onnx", sha256: nil) }, "not found", "absent.onnx"),
            ("checksum", { recognizer(&$0, file: truncated, sha256: String(repeating: "a", count: 64)) }, "sha256 mismatch", truncated),
            ("truncated", { recognizer(&$0, file: truncated, sha256: nil) }, "not a loadable ONNX model", truncated),
            ("wrong shape", { recognizer(&$0, file: wrong, sha256: nil) }, "not a recognizer", wrong),
        ]
        for (name, change, expected, file) in cases {
            let packFile = try pack(in: dir, change)
            let serve = try run(["serve", "--pack", packFile, "--data-dir", dir + "/data", "--port", "0"])
            #expect(!serve.crashed && serve.status != 0, "\(name): status \(serve.status)")
            #expect(serve.output.contains(expected) && serve.output.contains(file), "\(name): \(serve.output)")
            let verify = try run(["models", "verify", packFile])
            #expect(!verify.crashed, "\(name)")
            if name == "missing" || name == "checksum" { #expect(verify.status == 1 && verify.output.contains("FAILED"), "\(name): \(verify.output)") }
        }
    }

    /// Settings that are wrong stop start-up with their name, instead of a silent default.
    @Test func badSettingsStopStartUpWithTheirName() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.likeness.path), "build the likeness executable first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-settings-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [([String: String], String)] = [
            (["LIKENESS_JWT_SECRET": "too short"], "LIKENESS_JWT_SECRET must be at least 32 bytes"),
            (["PORT": "80a"], "PORT = '80a'"),
            (["ENABLE_ANTI_SPOOFING": "maybe"], "ENABLE_ANTI_SPOOFING"),
            (["LIKENESS_TLS_CERT": dir + "/absent.pem"], "--tls-key"),
        ]
        for (environment, expected) in cases {
            let serve = try run(["serve", "--data-dir", dir, "--model-dir", Self.dlibModels.path], environment: environment)
            #expect(!serve.crashed && serve.status != 0 && serve.output.contains(expected), "\(environment): \(serve.output)")
        }
        // The JSON file is read through the same rules; a flag outranks the environment.
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(#"{"max_connections": "lots"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        let file = try run(["serve", "--config", dir + "/config.json", "--data-dir", dir, "--model-dir", Self.dlibModels.path])
        #expect(file.status != 0 && file.output.contains("--max-connections") && file.output.contains("'lots'"), "\(file.output)")
        let flag = try run(["serve", "--port", "70000", "--data-dir", dir, "--model-dir", Self.dlibModels.path], environment: ["PORT": "8000"])
        #expect(flag.status != 0 && flag.output.contains("70000"), "\(flag.output)")
    }

    /// HTTPS with a certificate and key, and files private to the server's user from creation.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
    func servesHTTPSAndKeepsItsFilesPrivate() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.likeness.path), "build the likeness executable first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let openssl = try ChildProcess("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                                            "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"])
        openssl.wait()
        try #require(openssl.exitedCleanly)

        let port = try EnrollCommandTests.freePort()
        let server = try ChildProcess(Self.likeness.path, ["serve", "--data-dir", dir + "/data", "--model-dir", Self.dlibModels.path,
                                                           "--port", String(port), "--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem"])
        defer { server.stop() }

        func curl(_ url: String) throws -> (Int32, String) {
            let (p, output) = try ChildProcess.run("/usr/bin/curl", ["-sk", "--max-time", "5", url], limit: .seconds(30))
            return (p.status, output)
        }
        var answer = (Int32(-1), "")
        for _ in 0..<150 {
            answer = try curl("https://127.0.0.1:\(port)/healthz")
            if answer.0 == 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(answer.0 == 0 && answer.1.contains("ok"), "\(answer)")
        #expect(try curl("http://127.0.0.1:\(port)/healthz").1.contains("ok") == false)

        func mode(_ path: String) throws -> Int { (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1 }
        #expect(try mode(dir + "/data") == 0o700)
        for file in ["jwt.key", "likeness.db"] { #expect(try mode(dir + "/data/" + file) & 0o077 == 0, "\(file)") }
    }

    /// SIGTERM: the server stops accepting, finishes, writes the index snapshot and exits 0.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
    func sigtermWritesTheSnapshotAndExitsCleanly() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.likeness.path), "build the likeness executable first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-term-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try EnrollCommandTests.freePort()
        let log = Pipe()
        let server = try ChildProcess(Self.likeness.path, ["serve", "--data-dir", dir, "--model-dir", Self.dlibModels.path, "--port", String(port)],
                                      output: .pipe(log))
        var up = false
        for _ in 0..<150 {
            let probe = try ChildProcess("/usr/bin/curl", ["-sf", "--max-time", "2", "http://127.0.0.1:\(port)/healthz"], limit: .seconds(30))
            probe.wait()
            if probe.exitedCleanly { up = true; break }
            try await Task.sleep(for: .milliseconds(200))
        }
        try #require(up, "the server did not start")
        let stopped = server.stop()  // SIGTERM
        let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stopped && server.exitedCleanly, "\(output)")
        #expect(output.contains("index snapshot written on shutdown"), "\(output)")
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".snapshot") }
        #expect(snapshots.count == 1)
    }
}
