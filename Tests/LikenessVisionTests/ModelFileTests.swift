import Foundation
import LikenessCore
import LikenessVision
import Testing

/// Bad model files fail at load time with an error naming the file, never a crash.
@Suite(.enabled(if: Fixtures.sharedAvailable, Fixtures.skipMessage))
struct ModelFileTests {
    func pack() throws -> InstalledPack { try InstalledPack.read(path: try Fixtures.packFile("yunet-mobilefacenet")) }

    func loadError(_ installed: InstalledPack, verify: Bool = true) throws -> ModelLoadError {
        do {
            _ = try FacePipeline.load(installed, verify: verify)
        } catch let error as ModelLoadError {
            return error
        }
        Issue.record("the pack loaded")
        return ModelLoadError(path: "", reason: "")
    }

    @Test func missingFile() throws {
        var installed = try pack()
        installed.pack.recognizer.model.file = "/nonexistent/mobilefacenet.onnx"
        let error = try loadError(installed)
        #expect(error.path == "/nonexistent/mobilefacenet.onnx" && error.reason.contains("not found"))
    }

    @Test func truncatedFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Fixtures.sharedModels + "/mobilefacenet_128.onnx"))
        let path = dir + "/truncated.onnx"
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        var installed = try pack()
        installed.pack.recognizer.model.file = path
        // The checksum catches it first...
        let checked = try loadError(installed)
        #expect(checked.path == path && checked.reason.contains("sha256 mismatch"))
        // ...and without one, OpenCV's parse failure is reported the same way.
        installed.pack.recognizer.model.sha256 = nil
        let parsed = try loadError(installed)
        #expect(parsed.path == path && parsed.reason.contains("ONNX"), "\(parsed)")
    }

    @Test func wrongChecksum() throws {
        var installed = try pack()
        installed.pack.detector.model.sha256 = String(repeating: "0", count: 64)
        let error = try loadError(installed)
        #expect(error.path.hasSuffix("face_detection_yunet_2022mar.onnx") && error.reason.contains("sha256 mismatch"))
    }

    /// Models of the wrong kind: an anti-spoofing net as the recognizer, SCRFD as YuNet, a
    /// recognizer whose size the pack misstates.
    @Test func wrongShapes() throws {
        var installed = try pack()
        installed.pack.recognizer.model = .init(file: Fixtures.sharedModels + "/minifasnet_v2_2.7_80x80.onnx")
        var error = try loadError(installed)
        #expect(error.path.hasSuffix("minifasnet_v2_2.7_80x80.onnx"), "\(error)")

        installed = try pack()
        installed.pack.detector.model = .init(file: Fixtures.sharedModels + "/scrfd_500m_640.onnx")
        error = try loadError(installed)
        #expect(error.path.hasSuffix("scrfd_500m_640.onnx"), "\(error)")

        installed = try pack()
        installed.pack.recognizer.embeddingSize = 512
        error = try loadError(installed)
        #expect(error.path.hasSuffix("mobilefacenet_128.onnx") && error.reason.contains("128"), "\(error)")

        installed = try InstalledPack.read(path: try Fixtures.packFile("scrfd500m-mobilefacenet"))
        installed.pack.detector.outputs?.scores[0] = "no-such-output"
        error = try loadError(installed)
        #expect(error.path.hasSuffix("scrfd_500m_640.onnx") && error.reason.contains("no-such-output"), "\(error)")
    }

    @Test func notAModelAtAll() throws {
        let dir = try Fixtures.temporaryDirectory()
        let path = dir + "/garbage.onnx"
        try Data("this is not a protobuf".utf8).write(to: URL(fileURLWithPath: path))
        var installed = try pack()
        installed.pack.liveness?.models[1].model = .init(file: path)
        let error = try loadError(installed)
        #expect(error.path == path)
    }

    @Test func malformedPackFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        let path = dir + "/pack.json"
        try Data(#"{"name": "x", "detector": {"type": "yunet"}}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ModelLoadError.self) { try InstalledPack.read(path: path) }
        do {
            _ = try InstalledPack.read(path: path)
        } catch let error as ModelLoadError {
            #expect(error.path == path && error.reason.contains("missing"))
        }
    }
}

/// Age/gender decoding and crop on a model the test writes itself: it outputs the mean of each
/// input channel times known weights, so the expected output follows from the pixels.
struct GenderAgeTests {
    @Test func cropAndDecoding() throws {
        let dir = try Fixtures.temporaryDirectory()
        let path = dir + "/genderage.onnx"
        // female = 0.01 * mean R, male = 0.01 * mean G, age / 100 = 0.01 * mean B
        try Data(ONNXBuilder.channelMeanModel(size: 96, weights: [0.01, 0.01, 0.01])).write(to: URL(fileURLWithPath: path))
        let estimator = try GenderAgeEstimator(modelPath: path)
        // A 400x300 image of grey (B=G=R=20) with a 60x60 box of (B=90, G=200, R=30) at (150, 100).
        let width = 400, height = 300
        var bgr = [UInt8](repeating: 20, count: width * height * 3)
        for y in 100..<160 { for x in 150..<210 { bgr[(y * width + x) * 3] = 90; bgr[(y * width + x) * 3 + 1] = 200; bgr[(y * width + x) * 3 + 2] = 30 } }
        let image = Image(width: width, height: height, bgr: bgr)
        let face = DetectedFace(box: BoundingBox(x: 150, y: 100, width: 60, height: 60), score: 1)
        let result = try #require(try estimator.attributes(of: [face], in: image).first ?? nil)
        // The crop spans 1.5x the box, so the box fills (1/1.5)^2 of it and grey the rest.
        let inside = 1 / 2.25
        func mean(_ value: Double) -> Double { inside * value + (1 - inside) * 20 }
        #expect(abs(result.genderScores[0] - 0.01 * mean(30)) < 0.01)
        #expect(abs(result.genderScores[1] - 0.01 * mean(200)) < 0.01)
        #expect(result.gender == .male)
        #expect(abs(result.age - Int((mean(90)).rounded())) <= 1, "age \(result.age)")
    }

    @Test func decodeFollowsInsightFace() {
        #expect(GenderAgeEstimator.decode([0.9, 0.1, 0.254]) == FaceAttributes(age: 25, gender: .female, genderScores: [Double(Float(0.9)), Double(Float(0.1))]))
        #expect(GenderAgeEstimator.decode([0.1, 0.9, 0.5])?.gender == .male)
        #expect(GenderAgeEstimator.decode([0.5, 0.5, 0.3])?.gender == .female)
        // Non-finite outputs (a damaged model) give no attributes instead of a trap.
        for bad: [Float] in [[.nan, 0.5, 0.3], [0.5, 0.5, .infinity], [0.5, 0.5, -.infinity], [0.5, 0.5, .nan]] {
            #expect(GenderAgeEstimator.decode(bad) == nil)
        }
        #expect(GenderAgeEstimator.decode([0.5, 0.5, 1e30])?.age == 150)
    }

    /// A model that is not genderage (here the 128-d recognizer) is refused when it loads.
    @Test(.enabled(if: Fixtures.sharedAvailable, Fixtures.skipMessage))
    func wrongModelIsRefused() throws {
        let path = Fixtures.sharedModels + "/mobilefacenet_128.onnx"
        #expect { try GenderAgeEstimator(modelPath: path, inputSize: 112) } throws: { error in
            (error as? ModelLoadError)?.path == path && (error as? ModelLoadError)?.reason.contains("128") == true
        }
    }
}

struct AlignmentTests {
    /// The least-squares similarity recovers a known rotation, scale and shift exactly.
    @Test func recoversAKnownSimilarity() throws {
        let angle = 0.3, scale = 1.7, tx = 12.5, ty = -4.0
        let source = ArcFaceTemplate.points
        let target = source.map { p in
            Point2D(x: scale * (cos(angle) * p.x - sin(angle) * p.y) + tx, y: scale * (sin(angle) * p.x + cos(angle) * p.y) + ty)
        }
        let t = try #require(SimilarityTransform.estimate(from: source, to: target))
        let expected = [scale * cos(angle), -scale * sin(angle), tx, scale * sin(angle), scale * cos(angle), ty]
        for (a, b) in zip(t.matrix, expected) { #expect(abs(a - b) < 1e-9) }
    }

    /// Noisy points: the estimate is the least-squares one (no small change does better).
    @Test func isLeastSquares() throws {
        let source = [Point2D(x: 10, y: 20), Point2D(x: 50, y: 22), Point2D(x: 30, y: 40), Point2D(x: 15, y: 60), Point2D(x: 45, y: 58)]
        let target = ArcFaceTemplate.points
        let t = try #require(SimilarityTransform.estimate(from: source, to: target))
        func cost(_ m: [Double]) -> Double {
            zip(source, target).reduce(0) { sum, pair in
                let q = SimilarityTransform(matrix: m).apply(pair.0)
                return sum + (q.x - pair.1.x) * (q.x - pair.1.x) + (q.y - pair.1.y) * (q.y - pair.1.y)
            }
        }
        let best = cost(t.matrix)
        for i in [0, 2, 5] {
            for delta in [-1e-3, 1e-3] {
                var m = t.matrix
                m[i] += delta
                if i == 0 { m[4] += delta }
                #expect(cost(m) > best)
            }
        }
    }

    @Test func degenerateLandmarksAreAnError() {
        let same = Array(repeating: Point2D(x: 5, y: 5), count: 5)
        #expect(SimilarityTransform.estimate(from: same, to: ArcFaceTemplate.points) == nil)
    }
}
