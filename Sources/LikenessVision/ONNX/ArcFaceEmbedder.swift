import LikenessCore

/// An ArcFace-family recognizer (MobileFaceNet, IResNet, SFace...) on faces aligned to the
/// ArcFace 5-point template; output L2-normalised.
public final class ArcFaceEmbedder: FaceEmbedder {
    public let recognizer: RecognizerInfo
    public let inputSize: Int
    public let normalization: PixelNormalization
    /// Whether the network takes several faces in one pass; fixed-batch exports do not.
    public let batches: Bool
    private let net: any ONNXNetwork

    public init(modelPath: String, recognizer: RecognizerInfo, inputSize: Int = 112,
                normalization: PixelNormalization, batches: Bool = true,
                engine: ONNXEngine = .preferred) throws {
        guard inputSize > 0, normalization.mean.count == 3, normalization.std.count == 3,
              normalization.std.allSatisfy({ $0 != 0 }) else {
            throw ModelLoadError(path: modelPath, reason: "the input size and normalisation (3 means, 3 non-zero stds) are invalid")
        }
        let net = try engine.load(modelPath)
        // Check the shapes now, so a wrong model fails at start-up, not on the first request.
        let probe = Pixels(width: inputSize, height: inputSize, bgr: [UInt8](repeating: 128, count: inputSize * inputSize * 3))
        func probeRun(_ count: Int, batched: Bool) throws -> Int {
            try Self.run(net, Array(repeating: probe, count: count), normalization: normalization, inputSize: inputSize,
                         dimension: recognizer.dimension, batches: batched).count
        }
        var batched = batches
        if batched, (try? probeRun(2, batched: true)) != 2 * recognizer.dimension {
            // Some exports pin the batch to 1: fall back to one face a pass.
            batched = false
        }
        if !batched {
            do {
                _ = try probeRun(1, batched: false)
            } catch {
                throw ModelLoadError(path: modelPath, reason: "not a recognizer taking 1x3x\(inputSize)x\(inputSize) and giving \(recognizer.dimension) values (\(OpenCVNet.firstLine("\(error)")))")
            }
        }
        self.net = net
        self.recognizer = recognizer
        self.inputSize = inputSize
        self.normalization = normalization
        self.batches = batched
    }

    public func embed(faces: [DetectedFace], in image: Image, timings: inout StageTimings) throws -> [Embedding] {
        guard !faces.isEmpty else { return [] }
        var watch = Stopwatch()
        let aligned = try faces.map { face -> Pixels in
            guard let landmarks = face.landmarks else { throw EmbedderError.landmarksRequired(.fivePoint) }
            return try ArcFaceTemplate.align(image, landmarks: landmarks, size: inputSize)
        }
        timings.add("align", watch.lap())
        let raw = try Self.run(net, aligned, normalization: normalization, inputSize: inputSize,
                               dimension: recognizer.dimension, batches: batches)
        timings.add("embed", watch.lap())
        let d = recognizer.dimension
        return (0..<faces.count).map { Embedding(recognizer: recognizer.id, raw: Array(raw[($0 * d)..<(($0 + 1) * d)])) }
    }

    /// Raw outputs of all faces, one after another.
    static func run(_ net: any ONNXNetwork, _ faces: [Pixels], normalization: PixelNormalization, inputSize: Int,
                    dimension: Int, batches: Bool) throws -> [Float] {
        let groups = batches ? [faces] : faces.map { [$0] }
        var out: [Float] = []
        out.reserveCapacity(faces.count * dimension)
        for group in groups {
            let tensor = try net.forward(normalization.blob(group), shape: [group.count, 3, inputSize, inputSize])[0]
            guard tensor.values.count == group.count * dimension else {
                throw ModelLoadError(path: net.path, reason: "returned \(tensor.values.count) values for \(group.count) faces")
            }
            out += tensor.values
        }
        return out
    }
}
