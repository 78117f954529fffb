import Foundation
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

    func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = Self.likeness
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal,
                   output: String(decoding: data, as: UTF8.self))
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
}
