import Foundation
import LikenessCore

/// InsightFace's SCRFD detector. On ONNX Runtime it runs at the image's own size: shrunk to
/// `inputSize` on its longer side when larger, padded bottom and right to multiples of 32 (files
/// pinned to 640 x 640 are freed in memory, as for YuNet), so a 250 x 250 photo does not pay for
/// 640 x 640. On OpenCV DNN, which cannot resize it, the image is letterboxed into the fixed
/// square as InsightFace does. Each stride's anchors (two per cell) are decoded into boxes and
/// five keypoints, and overlapping boxes are suppressed.
public final class SCRFDDetector: FaceDetector {
    public struct Options: Sendable, Equatable, Codable {
        public var scoreThreshold: Float
        public var nmsThreshold: Double

        public init(scoreThreshold: Float = 0.5, nmsThreshold: Double = 0.4) {
            self.scoreThreshold = scoreThreshold
            self.nmsThreshold = nmsThreshold
        }
    }

    /// Output tensor names, stride by stride (8, 16, 32). OpenCV orders outputs differently
    /// from onnxruntime, so they are looked up by name.
    public struct OutputNames: Sendable, Equatable, Codable {
        public var scores: [String]
        public var boxes: [String]
        public var keypoints: [String]

        public init(scores: [String], boxes: [String], keypoints: [String]) {
            self.scores = scores
            self.boxes = boxes
            self.keypoints = keypoints
        }
    }

    public static let strides = [8, 16, 32]
    public static let anchorsPerCell = 2

    public let inputSize: Int
    /// The smallest face wanted, in the photo's pixels (`DetectionScale`); sized to the image only.
    public let minFaceSize: Double?
    public let options: Options
    private let outputs: OutputNames
    private let net: any ONNXNetwork
    /// The network takes any size (ONNX Runtime): the image's own, padded.
    public let sizedToImage: Bool

    public init(modelPath: String, inputSize: Int = 640, minFaceSize: Double? = nil, outputs: OutputNames,
                options: Options = Options(), engine: ONNXEngine = .preferred) throws {
        guard inputSize > 0, inputSize % 32 == 0 else {
            throw ModelLoadError(path: modelPath, reason: "the input size must be a multiple of 32")
        }
        guard outputs.scores.count == 3, outputs.boxes.count == 3, outputs.keypoints.count == 3 else {
            throw ModelLoadError(path: modelPath, reason: "SCRFD needs score, box and keypoint outputs for 3 strides")
        }
        let net: any ONNXNetwork
        if engine == .onnxRuntime {
            net = try ONNXRuntimeNet(freeingSpatialInputOf: modelPath)
        } else {
            net = try engine.load(modelPath)
        }
        sizedToImage = engine == .onnxRuntime
        let missing = (outputs.scores + outputs.boxes + outputs.keypoints).filter { !net.outputNames.contains($0) }
        guard missing.isEmpty else {
            throw ModelLoadError(path: modelPath, reason: "no output named \(missing.joined(separator: ", ")); the model has \(net.outputNames.joined(separator: ", "))")
        }
        self.net = net
        self.inputSize = inputSize
        self.minFaceSize = minFaceSize
        self.outputs = outputs
        self.options = options
        // Wrong input sizes only show in a forward pass: run one now, at load time.
        do {
            var timings = StageTimings()
            _ = try detect(in: Image(width: 32, height: 32, bgr: [UInt8](repeating: 0, count: 32 * 32 * 3)), timings: &timings)
        } catch {
            throw ModelLoadError(path: modelPath, reason: "not an SCRFD model with a \(inputSize)x\(inputSize) input (\(OpenCVNet.firstLine("\(error)")))")
        }
    }

    public func detect(in image: Image, timings: inout StageTimings) throws -> [DetectedFace] {
        var watch = Stopwatch()
        let (newWidth, newHeight) = sizedToImage
            ? ImageTransforms.shrunkSize(width: image.width, height: image.height,
                                         limit: DetectionScale.limit(width: image.width, height: image.height,
                                                                     inputSize: inputSize, minFaceSize: minFaceSize))
            : Self.letterboxed(image, into: inputSize)
        let scale = Double(newHeight) / Double(image.height)
        let resized = newWidth == image.width && newHeight == image.height
            ? Pixels(width: image.width, height: image.height, bgr: image.bgr)
            : try ImageTransforms.resize(image, to: (newWidth, newHeight))
        let width = sizedToImage ? Self.padded(newWidth) : inputSize, height = sizedToImage ? Self.padded(newHeight) : inputSize
        var canvas = Pixels(width: width, height: height, bgr: [UInt8](repeating: 0, count: width * height * 3))
        for y in 0..<newHeight {
            let from = y * newWidth * 3, to = y * width * 3
            canvas.bgr.replaceSubrange(to..<(to + newWidth * 3), with: resized.bgr[from..<(from + newWidth * 3)])
        }
        let blob = PixelNormalization(rgb: true, mean: [127.5, 127.5, 127.5], std: [128, 128, 128]).blob([canvas])
        timings.add("detect_prepare", watch.lap())
        let names: [String?] = outputs.scores + outputs.boxes + outputs.keypoints
        let tensors = try net.forward(blob, shape: [1, 3, height, width], outputs: names)
        var candidates: [DetectedFace] = []
        for (i, stride) in Self.strides.enumerated() {
            let cells = (height / stride) * (width / stride)
            let anchors = cells * Self.anchorsPerCell
            let scores = tensors[i].values, boxes = tensors[3 + i].values, kps = tensors[6 + i].values
            guard scores.count == anchors, boxes.count == anchors * 4, kps.count == anchors * 10 else {
                throw ModelLoadError(path: net.path, reason: "stride \(stride) outputs have \(scores.count)/\(boxes.count)/\(kps.count) values, expected \(anchors)/\(anchors * 4)/\(anchors * 10)")
            }
            let columns = width / stride
            let s = Double(stride)
            for a in 0..<anchors where scores[a] >= options.scoreThreshold {
                let cell = a / Self.anchorsPerCell
                let cx = Double(cell % columns) * s, cy = Double(cell / columns) * s
                let d = (0..<4).map { Double(boxes[a * 4 + $0]) * s }
                let x1 = (cx - d[0]) / scale, y1 = (cy - d[1]) / scale
                let x2 = (cx + d[2]) / scale, y2 = (cy + d[3]) / scale
                let points = (0..<5).map {
                    Point2D(x: (cx + Double(kps[a * 10 + 2 * $0]) * s) / scale, y: (cy + Double(kps[a * 10 + 2 * $0 + 1]) * s) / scale)
                }
                candidates.append(DetectedFace(box: BoundingBox(x: x1, y: y1, width: x2 - x1, height: y2 - y1),
                                               score: Double(scores[a]), landmarks: Landmarks(scheme: .fivePoint, points: points)))
            }
        }
        let kept = Self.suppress(candidates, threshold: options.nmsThreshold)
        timings.add("detect", watch.lap())
        return kept.compactMap { face in
            var clipped = face
            clipped.box = face.box.clipped(width: image.width, height: image.height)
            return clipped.isUsable && clipped.box.area >= face.box.area * BoundingBox.minimumVisibleFraction ? clipped : nil
        }
    }

    /// As InsightFace's letterbox: the longer side fills the square, the shorter is truncated.
    static func letterboxed(_ image: Image, into side: Int) -> (Int, Int) {
        let ratio = Double(image.height) / Double(image.width)
        return ratio > 1 ? (max(1, Int(Double(side) / ratio)), side) : (side, max(1, Int(Double(side) * ratio)))
    }

    /// A side rounded up to a multiple of the largest stride.
    static func padded(_ side: Int) -> Int { max(32, (side + 31) / 32 * 32) }

    /// Greedy non-maximum suppression, highest score first, with InsightFace's "+1" pixel areas
    /// so that the same boxes survive as in the reference.
    static func suppress(_ faces: [DetectedFace], threshold: Double) -> [DetectedFace] {
        let order = faces.indices.sorted { faces[$0].score != faces[$1].score ? faces[$0].score > faces[$1].score : $0 < $1 }
        var kept: [DetectedFace] = []
        func area(_ b: BoundingBox) -> Double { (b.width + 1) * (b.height + 1) }
        for i in order {
            let b = faces[i].box
            let overlaps = kept.contains { k in
                let o = k.box
                let w = max(0, min(b.x + b.width, o.x + o.width) - max(b.x, o.x) + 1)
                let h = max(0, min(b.y + b.height, o.y + o.height) - max(b.y, o.y) + 1)
                let inter = w * h
                return inter / (area(b) + area(o) - inter) > threshold
            }
            if !overlaps { kept.append(faces[i]) }
        }
        return kept
    }
}
