import Foundation
import LikenessCore

/// Silent-Face anti-spoofing: each MiniFASNet sees the face box scaled around its centre (2.7x
/// for V2, 4.0x for V1SE), shifted back inside the image, resized to 80x80 raw BGR; the
/// softmaxes of all models are averaged and class 1 is "real".
public final class MiniFASNetChecker: LivenessChecker {
    public struct Model: Sendable {
        public var path: String
        public var scale: Double
        public var inputSize: Int

        public init(path: String, scale: Double, inputSize: Int = 80) {
            self.path = path
            self.scale = scale
            self.inputSize = inputSize
        }
    }

    public static let realClass = 1
    public let threshold: Double
    private let models: [(model: Model, net: any ONNXNetwork)]

    public init(models: [Model], threshold: Double = 0.7, engine: ONNXEngine = .preferred) throws {
        guard !models.isEmpty else { throw ModelLoadError(path: "", reason: "no anti-spoofing model given") }
        var loaded: [(Model, any ONNXNetwork)] = []
        for model in models {
            guard model.scale > 0, model.inputSize > 0 else {
                throw ModelLoadError(path: model.path, reason: "the crop scale and input size must be positive")
            }
            let net = try engine.load(model.path)
            let probe = [Float](repeating: 0, count: 3 * model.inputSize * model.inputSize)
            let values: Int
            do {
                values = try net.forward(probe, shape: [1, 3, model.inputSize, model.inputSize])[0].values.count
            } catch {
                throw ModelLoadError(path: model.path, reason: "does not take 1x3x\(model.inputSize)x\(model.inputSize) input (\(OpenCVNet.firstLine("\(error)")))")
            }
            guard values == 3 else {
                throw ModelLoadError(path: model.path, reason: "gives \(values) classes, MiniFASNet gives 3")
            }
            loaded.append((model, net))
        }
        self.models = loaded
        self.threshold = threshold
    }

    public func liveness(of faces: [DetectedFace], in image: Image, timings: inout StageTimings) throws -> [Liveness] {
        guard !faces.isEmpty else { return [] }
        var watch = Stopwatch()
        var real = [Double](repeating: 0, count: faces.count)
        for (model, net) in models {
            // One face a pass: the published exports flatten with a fixed batch of 1.
            for (i, face) in faces.enumerated() {
                let r = Self.cropRegion(box: face.box, scale: model.scale, width: image.width, height: image.height)
                let crop = try ImageTransforms.resize(image, x: r.x, y: r.y, width: r.width, height: r.height,
                                                      to: (model.inputSize, model.inputSize))
                let output = try net.forward(PixelNormalization.raw.blob([crop]), shape: [1, 3, model.inputSize, model.inputSize])[0]
                guard output.values.count == 3 else {
                    throw ModelLoadError(path: model.path, reason: "returned \(output.values.count) values for one face")
                }
                real[i] += Self.softmax(output.values)[Self.realClass]
            }
        }
        timings.add("liveness", watch.lap())
        return real.map { Liveness(score: $0 / Double(models.count), threshold: threshold) }
    }

    /// Silent-Face's CropImage._get_new_box: the scale is capped so the region fits the image,
    /// and a region past an edge is shifted back rather than cut.
    public static func cropRegion(box: BoundingBox, scale: Double, width: Int, height: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        let w = Double(width), h = Double(height)
        guard [box.x, box.y, box.width, box.height, scale].allSatisfy(\.isFinite) else { return (0, 0, width, height) }
        let bw = max(box.width, 1), bh = max(box.height, 1)
        let s = min((h - 1) / bh, min((w - 1) / bw, scale))
        let nw = bw * s, nh = bh * s
        let cx = box.x + bw / 2, cy = box.y + bh / 2
        var left = cx - nw / 2, top = cy - nh / 2, right = cx + nw / 2, bottom = cy + nh / 2
        if left < 0 { right -= left; left = 0 }
        if top < 0 { bottom -= top; top = 0 }
        if right > w - 1 { left -= right - w + 1; right = w - 1 }
        if bottom > h - 1 { top -= bottom - h + 1; bottom = h - 1 }
        // Python's int() truncates; the crop is inclusive of the right and bottom pixel. When the
        // scale is capped a side lands exactly on an integer, and rounding noise decided which
        // pixel the original took; the 1e-6 nudge makes that choice the exact one.
        func truncate(_ v: Double) -> Int { Int(v + 1e-6) }
        let x0 = max(0, truncate(left)), y0 = max(0, truncate(top))
        let x1 = min(width - 1, truncate(right)), y1 = min(height - 1, truncate(bottom))
        return (x0, y0, max(1, x1 - x0 + 1), max(1, y1 - y0 + 1))
    }

    static func softmax(_ logits: [Float]) -> [Double] {
        let m = Double(logits.max() ?? 0)
        let e = logits.map { exp(Double($0) - m) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }
}
