import Foundation
import LikenessCore

/// InsightFace's genderage model: a square crop of 1.5x the box's longer side around its centre,
/// warped to the input size (96), outputs [female, male, age / 100].
public final class GenderAgeEstimator: AttributeEstimator {
    public let inputSize: Int
    public let normalization: PixelNormalization
    private let net: any ONNXNetwork

    public init(modelPath: String, inputSize: Int = 96,
                normalization: PixelNormalization = PixelNormalization(rgb: true, mean: [0, 0, 0], std: [1, 1, 1]),
                engine: ONNXEngine = .preferred) throws {
        guard inputSize > 0, normalization.std.count == 3, normalization.mean.count == 3,
              normalization.std.allSatisfy({ $0 != 0 }) else {
            throw ModelLoadError(path: modelPath, reason: "the input size and normalisation are invalid")
        }
        let net = try engine.load(modelPath)
        let values: Int
        do {
            values = try net.forward([Float](repeating: 0, count: 3 * inputSize * inputSize), shape: [1, 3, inputSize, inputSize])[0].values.count
        } catch {
            throw ModelLoadError(path: modelPath, reason: "does not take 1x3x\(inputSize)x\(inputSize) input (\(OpenCVNet.firstLine("\(error)")))")
        }
        guard values == 3 else { throw ModelLoadError(path: modelPath, reason: "gives \(values) values, genderage gives 3") }
        self.net = net
        self.inputSize = inputSize
        self.normalization = normalization
    }

    public func attributes(of faces: [DetectedFace], in image: Image, timings: inout StageTimings) throws -> [FaceAttributes?] {
        var watch = Stopwatch()
        var results: [FaceAttributes?] = []
        for face in faces {
            let crop = try ImageTransforms.warpAffine(image, matrix: Self.cropMatrix(box: face.box, size: inputSize),
                                                      to: (inputSize, inputSize))
            let v = try net.forward(normalization.blob([crop]), shape: [1, 3, inputSize, inputSize])[0].values
            guard v.count == 3 else { throw ModelLoadError(path: net.path, reason: "returned \(v.count) values") }
            results.append(Self.decode(v))
        }
        timings.add("attributes", watch.lap())
        return results
    }

    /// InsightFace face_align.transform without rotation: scale so 1.5x the longer side fills
    /// the output, centred on the box.
    public static func cropMatrix(box: BoundingBox, size: Int) -> [Double] {
        let s = Double(size) / (max(box.width, box.height, 1) * 1.5)
        let c = box.center, half = Double(size) / 2
        return [s, 0, half - c.x * s, 0, s, half - c.y * s]
    }

    /// Nil when the model answered NaN or infinity (a damaged or wrong model): no age is
    /// better than a made-up one, and converting such a value to an integer would trap.
    public static func decode(_ v: [Float]) -> FaceAttributes? {
        guard v.count == 3, v.allSatisfy(\.isFinite) else { return nil }
        let age = min(150, max(0, (Double(v[2]) * 100).rounded(.toNearestOrEven)))
        return FaceAttributes(age: Int(age), gender: v[1] > v[0] ? .male : .female, genderScores: [Double(v[0]), Double(v[1])])
    }
}
