import Foundation
import LikenessCore

/// "Images" are text: `FACE:alice` is one face whose embedding is alice's; `FACES:alice,bob`
/// is several, largest first; `NOFACE` has none; `SLOW:alice` takes 300 ms, `VERYSLOW:alice`
/// 2.5 s, `STUCK:alice` 5 s (all blocking their thread); anything else is not an image.
public struct FakeAnalyzer: FaceAnalyzer {
    public let recognizer = RecognizerInfo(id: RecognizerID("fake"), dimension: 4, defaultThreshold: 0.8)
    /// With liveness, a face named "spoof-NAME" is a spoof of NAME (it embeds like NAME).
    public var capabilities = AnalyzerCapabilities()

    public init(capabilities: AnalyzerCapabilities = AnalyzerCapabilities()) { self.capabilities = capabilities }

    public static func vector(_ name: String) -> [Float] {
        if name.hasPrefix("spoof-") { return vector(String(name.dropFirst(6))) }
        return switch name {
        case "alice": [1, 0, 0, 0]
        case "alice2": [0.95, 0.312, 0, 0]
        case "bob": [0, 1, 0, 0]
        case "carol": [0, 0, 1, 0]
        default: [0, 0, 0, 1]  // a stranger
        }
    }

    /// Counts analyses that actually started, so tests can see which requests reached it.
    public let started = Counter()

    /// Blocks its thread like native code: `SLOW:` and `VERYSLOW:` sleep without looking at
    /// cancellation.
    public func analyzeNow(_ encoded: [UInt8], options: AnalysisOptions) throws -> ImageAnalysis {
        started.increment()
        let text = String(decoding: encoded, as: UTF8.self)
        var names: [String]
        if text == "NOFACE" {
            names = []
        } else if text.hasPrefix("FACE:") {
            names = [String(text.dropFirst(5))]
        } else if text.hasPrefix("FACES:") {
            names = text.dropFirst(6).split(separator: ",").map(String.init)
        } else if text.hasPrefix("STUCK:") {
            Thread.sleep(forTimeInterval: 5)
            names = [String(text.dropFirst(6))]
        } else if text.hasPrefix("VERYSLOW:") {
            Thread.sleep(forTimeInterval: 2.5)
            names = [String(text.dropFirst(9))]
        } else if text.hasPrefix("SLOW:") {
            Thread.sleep(forTimeInterval: 0.3)
            names = [String(text.dropFirst(5))]
        } else {
            throw ImageError.unsupportedFormat
        }
        var faces = names.prefix(options.maxFaces).enumerated().map { i, name in
            AnalyzedFace(detection: DetectedFace(box: BoundingBox(x: Double(10 * i), y: 0, width: Double(100 - 10 * i), height: Double(100 - 10 * i)), score: 0.99),
                         embedding: options.embed ? Embedding(recognizer: recognizer.id, raw: Self.vector(name)) : nil,
                         liveness: options.liveness && capabilities.liveness
                             ? Liveness(score: name.hasPrefix("spoof-") ? 0.1 : 0.95, threshold: 0.7) : nil,
                         attributes: options.attributes && capabilities.attributes
                             ? FaceAttributes(age: 30, gender: .female, genderScores: [0.9, 0.1]) : nil)
        }
        if options.cropLargestFace, !faces.isEmpty { faces[0].crop = Array("CROP:\(names[0])".utf8) }
        var timings = StageTimings()
        timings.add("detect", 1)
        return ImageAnalysis(width: 640, height: 480, faces: faces, timings: timings)
    }
}
