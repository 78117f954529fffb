import CDlib
import Foundation
import LikenessCore
import Synchronization

/// dlib's HOG frontal face detector followed by its 5-point shape predictor.
///
/// Boxes follow the Python `face_recognition` package, the reference this pipeline must
/// match: dlib's box is clipped to [0, width] x [0, height] and the landmarks are predicted
/// inside the clipped box.
public final class DlibFaceDetector: FaceDetector {
    public struct Options: Sendable, Equatable {
        /// Times the image is doubled before detection; 1 finds faces down to about 40 px.
        public var upsample: Int
        /// Added to the HOG threshold; negative finds more faces, and more false ones.
        public var adjustThreshold: Double
        /// The most pixels HOG scans, upsampling included. A larger image is first scanned with
        /// less upsampling, then downscaled: a 40 MP photo upsampled once would be 160 MP (2 GB,
        /// 20 s), while its faces are large enough to find at 8 MP. Landmarks are still
        /// predicted on the full-resolution image. 0 scans every image as dlib does (the
        /// reference's behaviour, which the parity bench checks).
        public var maxCanvasPixels: Int

        public init(upsample: Int = 1, adjustThreshold: Double = 0, maxCanvasPixels: Int = 8_000_000) {
            self.upsample = upsample
            self.adjustThreshold = adjustThreshold
            self.maxCanvasPixels = maxCanvasPixels
        }
    }

    public let options: Options
    // The HOG scanner keeps per-call state: one copy per core, each used by one thread at a
    // time. The shape predictor is only read, so one is shared.
    private let detectors: HandlePool
    private let shape: NativeHandle

    public init(shapePredictorPath: String, options: Options = Options(), copies: Int? = nil) throws {
        guard (0...4).contains(options.upsample) else {
            throw ModelLoadError(path: shapePredictorPath, reason: "upsample must be 0-4")
        }
        guard FileManager.default.isReadableFile(atPath: shapePredictorPath) else {
            throw ModelLoadError(path: shapePredictorPath, reason: "file not found")
        }
        NativeRuntime.configure()
        detectors = try HandlePool(copies: copies ?? HandlePool.defaultCopies) {
            var detector: OpaquePointer?
            try NativeError.check("dlib") { ldl_detector_create(&detector, $0, $1) }
            return NativeHandle(detector!, free: ldl_detector_free)
        }
        var shape: OpaquePointer?
        do {
            try NativeError.check("dlib") { ldl_shape_model_load(shapePredictorPath, &shape, $0, $1) }
        } catch {
            throw ModelLoadError(path: shapePredictorPath, reason: error.message)
        }
        let shapeHandle = NativeHandle(shape!, free: ldl_shape_model_free)
        guard ldl_shape_model_parts(shape) == 5 else {
            throw ModelLoadError(path: shapePredictorPath, reason: "expected a 5-point shape predictor")
        }
        self.options = options
        self.shape = shapeHandle
    }

    /// How HOG scans an image of this size: the upsampling, and the scale applied first (1 for none).
    public func canvas(width: Int, height: Int) -> (upsample: Int, scale: Double) {
        let pixels = max(1, width * height)
        guard options.maxCanvasPixels > 0 else { return (options.upsample, 1) }
        var upsample = options.upsample
        while upsample > 0, pixels << (2 * upsample) > options.maxCanvasPixels { upsample -= 1 }
        guard pixels > options.maxCanvasPixels else { return (upsample, 1) }
        return (0, (Double(options.maxCanvasPixels) / Double(pixels)).squareRoot())
    }

    public func detect(in image: Image, timings: inout StageTimings) throws -> [DetectedFace] {
        var watch = Stopwatch()
        let dlibImage = try DlibImage(image)
        let (upsample, scale) = canvas(width: image.width, height: image.height)
        var scanned = dlibImage
        if scale < 1 {
            let size = (width: max(1, Int((Double(image.width) * scale).rounded())), height: max(1, Int((Double(image.height) * scale).rounded())))
            let small = try ImageTransforms.resize(image, to: size)
            scanned = try DlibImage(Image(width: small.width, height: small.height, bgr: small.bgr))
        }
        var rects = try detectors.with { detector in try detections(detector.pointer, scanned, upsample: upsample) }
        if scale < 1 {
            rects = rects.compactMap { r in
                var c = r
                c.left = min(image.width, Int((Double(r.left) / scale).rounded()))
                c.top = min(image.height, Int((Double(r.top) / scale).rounded()))
                c.right = min(image.width, Int((Double(r.right) / scale).rounded()))
                c.bottom = min(image.height, Int((Double(r.bottom) / scale).rounded()))
                return c.right > c.left && c.bottom > c.top ? c : nil
            }
        }
        timings.add("detect", watch.lap())
        let faces = try rects.map { rect in
            DetectedFace(box: BoundingBox(dlib: rect), score: rect.score,
                         landmarks: try landmarks(shape.pointer, dlibImage, rect))
        }
        timings.add("landmarks", watch.lap())
        return faces
    }

    /// Raw detections, clipped as face_recognition clips them; empty boxes are dropped.
    private func detections(_ detector: OpaquePointer, _ image: DlibImage, upsample: Int) throws -> [ldl_detection] {
        var capacity = 32
        while true {
            var buffer = [ldl_detection](repeating: ldl_detection(), count: capacity)
            var count = 0
            try NativeError.check("dlib") { err, len in
                buffer.withUnsafeMutableBufferPointer {
                    ldl_detect(detector, image.pointer, Int32(upsample), options.adjustThreshold,
                               $0.baseAddress, $0.count, &count, err, len)
                }
            }
            guard count <= capacity else {
                capacity = count
                continue
            }
            return buffer.prefix(count).compactMap { d in
                var c = d
                c.left = max(d.left, 0)
                c.top = max(d.top, 0)
                c.right = min(d.right, image.width)
                c.bottom = min(d.bottom, image.height)
                return c.right > c.left && c.bottom > c.top ? c : nil
            }
        }
    }

    private func landmarks(_ shape: OpaquePointer, _ image: DlibImage, _ rect: ldl_detection) throws -> Landmarks {
        var points = [Double](repeating: 0, count: 10)
        try NativeError.check("dlib") { err, len in
            points.withUnsafeMutableBufferPointer {
                ldl_predict_shape(shape, image.pointer, rect, $0.baseAddress, $0.count, err, len)
            }
        }
        return Landmarks(scheme: .dlib5, points: (0..<5).map { Point2D(x: points[2 * $0], y: points[2 * $0 + 1]) })
    }
}

extension BoundingBox {
    /// The clipped dlib rectangle as x, y, width, height (right and bottom exclusive).
    init(dlib rect: ldl_detection) {
        self.init(x: Double(rect.left), y: Double(rect.top),
                  width: Double(rect.right - rect.left), height: Double(rect.bottom - rect.top))
    }

    var dlibRect: ldl_detection {
        ldl_detection(left: Int(x.rounded()), top: Int(y.rounded()),
                      right: Int((x + width).rounded()), bottom: Int((y + height).rounded()), score: 0)
    }
}
