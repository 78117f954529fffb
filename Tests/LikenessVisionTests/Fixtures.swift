import Foundation
import LikenessCore
import LikenessVision
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
}
