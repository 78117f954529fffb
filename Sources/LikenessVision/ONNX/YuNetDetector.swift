import COpenCV
import Foundation
import LikenessCore
import Synchronization

/// OpenCV's YuNet (2022mar) through cv::FaceDetectorYN: boxes, scores and five landmarks.
///
/// The network runs on fixed square canvases: the image goes in the top-left corner of the
/// smallest canvas it fits (input size / 4, / 2, or the input size), scaled down only when it
/// exceeds the largest. OpenCV 4.6's FaceDetectorYN gives results that depend on the sizes it was
/// set to before (a plain grey image "has faces" after some size sequences), and it misplaces
/// faces when a side is not a multiple of 32; so each canvas has its own detector whose size
/// never changes. Small canvases keep small images cheap.
public final class YuNetDetector: FaceDetector {
    public struct Options: Sendable, Equatable, Codable {
        public var scoreThreshold: Float
        public var nmsThreshold: Float
        /// The canvas side (a multiple of 32). Larger finds smaller faces in large photos, at a
        /// quadratic cost.
        public var inputSize: Int
        /// The smallest face wanted, in the photo's pixels: on ONNX Runtime the photo is shrunk
        /// as far as that allows (`DetectionScale`). nil: only to `inputSize`.
        public var minFaceSize: Double?

        public init(scoreThreshold: Float = 0.9, nmsThreshold: Float = 0.3, inputSize: Int = 640, minFaceSize: Double? = nil) {
            self.scoreThreshold = scoreThreshold
            self.nmsThreshold = nmsThreshold
            self.inputSize = inputSize
            self.minFaceSize = minFaceSize
        }
    }

    public let options: Options
    /// One canvas size and the detectors fixed to it.
    private final class Canvas: Sendable {
        let side: Int
        let native: HandlePool

        init(side: Int, native: HandlePool) {
            self.side = side
            self.native = native
        }
    }

    /// Smallest first.
    private let canvases: [Canvas]

    /// The canvas sides for an input size: it, its half and its quarter while at least 160.
    public static func canvasSides(_ inputSize: Int) -> [Int] {
        [inputSize / 4, inputSize / 2].filter { $0 >= 160 && $0 % 32 == 0 } + [inputSize]
    }

    public init(modelPath: String, options: Options = Options()) throws {
        guard FileManager.default.isReadableFile(atPath: modelPath) else {
            throw ModelLoadError(path: modelPath, reason: "file not found")
        }
        guard (0...1).contains(options.scoreThreshold), (0...1).contains(options.nmsThreshold) else {
            throw ModelLoadError(path: modelPath, reason: "thresholds must be within 0-1")
        }
        guard options.inputSize >= 64, options.inputSize % 32 == 0 else {
            throw ModelLoadError(path: modelPath, reason: "the input size must be a multiple of 32, at least 64")
        }
        NativeRuntime.configure()
        var canvases: [Canvas] = []
        for side in Self.canvasSides(options.inputSize) {
            let pool = try HandlePool(copies: HandlePool.defaultCopies) { () throws -> NativeHandle in
                var out: OpaquePointer?
                do {
                    try NativeError.check("opencv") {
                        lcv_yunet_create(modelPath, Int32(side), Int32(side), options.scoreThreshold, options.nmsThreshold, 5000,
                                         &out, $0, $1)
                    }
                } catch {
                    let message = (error as? NativeError)?.message ?? "\(error)"
                    throw ModelLoadError(path: modelPath, reason: "not a loadable YuNet model (\(OpenCVNet.firstLine(message)))")
                }
                return NativeHandle(out!, free: lcv_yunet_free)
            }
            canvases.append(Canvas(side: side, native: pool))
        }
        self.options = options
        self.canvases = canvases
        // FaceDetectorYN reads the network lazily; a model of the wrong shape only fails on first
        // use, so run every canvas once now to fail at start-up instead (and fix its size).
        do {
            for side in Self.canvasSides(options.inputSize) {
                _ = try detect(in: Image(width: side, height: side, bgr: [UInt8](repeating: 128, count: side * side * 3)))
            }
        } catch {
            throw ModelLoadError(path: modelPath, reason: "not a YuNet 2022mar model (\(OpenCVNet.firstLine("\(error)")))")
        }
    }

    public func detect(in image: Image, timings: inout StageTimings) throws -> [DetectedFace] {
        var watch = Stopwatch()
        let longer = max(image.width, image.height)
        let canvas = canvases.first { $0.side >= longer } ?? canvases[canvases.count - 1]
        let side = canvas.side
        let factor = longer > side ? Double(side) / Double(longer) : 1
        let scaled = try ImageTransforms.shrunk(image, limit: side)
        let input = Self.canvas(scaled, side: side)
        let rows = try canvas.native.with { native throws -> [Float] in
            var faces: UnsafeMutablePointer<Float>?
            var count: Int32 = 0
            try NativeError.check("opencv") { err, len in
                input.bgr.withUnsafeBufferPointer {
                    lcv_yunet_detect(native.pointer, $0.baseAddress, Int32(input.width), Int32(input.height), input.rowStride,
                                     &faces, &count, err, len)
                }
            }
            defer { lcv_floats_free(faces) }
            return Array(UnsafeBufferPointer(start: faces, count: Int(count) * 15))
        }
        let scale = 1 / factor
        var found: [DetectedFace] = []
        for r in stride(from: 0, to: rows.count, by: 15) {
            let v = rows[r..<(r + 15)].map(Double.init)
            let box = BoundingBox(x: v[0] * scale, y: v[1] * scale, width: v[2] * scale, height: v[3] * scale)
            // YuNet lists the image-left eye first, as the ArcFace template does.
            let points = (0..<5).map { Point2D(x: v[4 + 2 * $0] * scale, y: v[5 + 2 * $0] * scale) }
            let face = DetectedFace(box: box.clipped(width: image.width, height: image.height), score: v[14],
                                    landmarks: Landmarks(scheme: .fivePoint, points: points))
            if face.isUsable && face.box.area >= box.area * BoundingBox.minimumVisibleFraction { found.append(face) }
        }
        timings.add("detect", watch.lap())
        return found
    }
}

extension YuNetDetector {
    /// The pixels in the top-left corner of a black side x side canvas.
    static func canvas(_ pixels: Pixels, side: Int) -> Image {
        var bgr = [UInt8](repeating: 0, count: side * side * 3)
        let row = pixels.width * 3
        for y in 0..<pixels.height {
            bgr.replaceSubrange((y * side * 3)..<(y * side * 3 + row), with: pixels.bgr[(y * row)..<((y + 1) * row)])
        }
        return Image(width: side, height: side, bgr: bgr)
    }
}

extension BoundingBox {
    /// A detection with less than this share of its box inside the image is dropped: on padding
    /// (a 1-pixel strip on a black canvas, say) detectors report "faces" that are almost all
    /// outside, and no face that is mostly cut off can be recognised anyway.
    public static let minimumVisibleFraction = 0.5

    /// The part of the box inside a width x height image.
    public func clipped(width: Int, height: Int) -> BoundingBox {
        let left = min(max(x, 0), Double(width)), top = min(max(y, 0), Double(height))
        let right = min(max(x + self.width, 0), Double(width)), bottom = min(max(y + self.height, 0), Double(height))
        return BoundingBox(x: left, y: top, width: right - left, height: bottom - top)
    }
}
