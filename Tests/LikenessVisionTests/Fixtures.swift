import Foundation
import LikenessCore
import LikenessVision
import Synchronization
import Testing

/// Paths to ../shared (photos) and to the installed models. Photo tests are skipped only when
/// ../shared is absent; missing models are a failed setup, so those tests fail instead.
enum Fixtures {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let shared: URL = {
        if let dir = ProcessInfo.processInfo.environment["LIKENESS_SHARED_DIR"] { return URL(fileURLWithPath: dir) }
        return repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    static let sharedAvailable = FileManager.default.fileExists(atPath: shared.appendingPathComponent("faces").path)
    static let skipMessage: Comment = "../shared/faces is absent: the photo tests need it"

    static let modelDirectory: String = {
        let env = ProcessInfo.processInfo.environment
        if env["LIKENESS_MODEL_DIR"] != nil || env["LIKENESS_DATA_DIR"] != nil { return ModelDirectory.resolve() }
        return repoRoot.appendingPathComponent("data/models").path
    }()

    static func face(_ relative: String) -> URL { shared.appendingPathComponent("faces").appendingPathComponent(relative) }

    static func bytes(_ relative: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: face(relative))) }

    /// One pipeline for the whole test run: loading the ResNet takes a while.
    static let pipeline: Result<FacePipeline, any Error> = Result { try FacePipeline.dlib(modelDirectory: modelDirectory) }

    static func dlibPipeline() throws -> FacePipeline { try pipeline.get() }

    static let sharedModels = shared.appendingPathComponent("models").path

    /// A pack of bench/packs (whose files live in ../shared/models), rewritten with absolute
    /// paths into a temporary folder so it works wherever ../shared is.
    static func packFile(_ name: String) throws -> String {
        let source = repoRoot.appendingPathComponent("bench/packs/\(name).json")
        let text = try String(contentsOf: source, encoding: .utf8)
            .replacingOccurrences(of: "../../../shared/models/", with: sharedModels + "/")
        let dir = try temporaryDirectory()
        let path = dir + "/\(name).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func packPipeline(_ name: String) throws -> FacePipeline {
        try packs.withLock { cache in
            if let p = cache[name] { return p }
            let p = try FacePipeline.load(try InstalledPack.read(path: try packFile(name)))
            cache[name] = p
            return p
        }
    }

    private static let packs = Mutex<[String: FacePipeline]>([:])

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
