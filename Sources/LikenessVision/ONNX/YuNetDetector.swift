import COpenCV
import Foundation
import LikenessCore
import Synchronization

/// OpenCV's YuNet (2022mar) through cv::FaceDetectorYN: boxes, scores and five landmarks.
public final class YuNetDetector: FaceDetector {
    public struct Options: Sendable, Equatable, Codable {
        public var scoreThreshold: Float
        public var nmsThreshold: Float
        /// Images whose longer side exceeds this are scaled down for detection (YuNet runs at
        /// the image's own size, so a 12-megapixel photo would cost seconds); 0 never scales.
        public var maxSide: Int

        public init(scoreThreshold: Float = 0.9, nmsThreshold: Float = 0.3, maxSide: Int = 1280) {
            self.scoreThreshold = scoreThreshold
            self.nmsThreshold = nmsThreshold
            self.maxSide = maxSide
        }
    }

    public let options: Options
    private let native: Mutex<NativeHandle>

    public init(modelPath: String, options: Options = Options()) throws {
        guard FileManager.default.isReadableFile(atPath: modelPath) else {
            throw ModelLoadError(path: modelPath, reason: "file not found")
        }
        guard (0...1).contains(options.scoreThreshold), (0...1).contains(options.nmsThreshold), options.maxSide >= 0 else {
            throw ModelLoadError(path: modelPath, reason: "thresholds must be within 0-1")
        }
        NativeRuntime.configure()
        var out: OpaquePointer?
        do {
            try NativeError.check("opencv") {
                lcv_yunet_create(modelPath, options.scoreThreshold, options.nmsThreshold, 5000, &out, $0, $1)
            }
        } catch {
            throw ModelLoadError(path: modelPath, reason: "not a loadable YuNet model (\(OpenCVNet.firstLine(error.message)))")
        }
        self.options = options
        self.native = Mutex(NativeHandle(out!, free: lcv_yunet_free))
        // FaceDetectorYN reads the network lazily; a model of the wrong shape only fails on first
        // use, so run it once now to fail at start-up instead.
        do {
            _ = try detect(in: Image(width: 128, height: 128, bgr: [UInt8](repeating: 128, count: 128 * 128 * 3)))
        } catch {
            throw ModelLoadError(path: modelPath, reason: "not a YuNet 2022mar model (\(OpenCVNet.firstLine("\(error)")))")
        }
    }

    public func detect(in image: Image, timings: inout StageTimings) throws -> [DetectedFace] {
        var watch = Stopwatch()
        let longer = max(image.width, image.height)
        let factor = options.maxSide > 0 && longer > options.maxSide ? Double(options.maxSide) / Double(longer) : 1
        let scaled: Image
        if factor < 1 {
            // Half to even, as Python's round(), so the reference scales to the same size.
            let w = max(1, Int((Double(image.width) * factor).rounded(.toNearestOrEven)))
            let h = max(1, Int((Double(image.height) * factor).rounded(.toNearestOrEven)))
            let pixels = try ImageTransforms.resize(image, to: (w, h))
            scaled = Image(width: w, height: h, bgr: pixels.bgr)
        } else {
            scaled = image
        }
        let input = Self.padded(scaled)
        let rows = try native.withLock { native throws -> [Float] in
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
            if face.isUsable { found.append(face) }
        }
        timings.add("detect", watch.lap())
        return found
    }
}

extension YuNetDetector {
    /// OpenCV 4.6's FaceDetectorYN lays its anchors out for sides that are multiples of 32 and
    /// does not pad (4.8 does): other sizes give misplaced or garbage faces, and tiny ones fail in
    /// the pooling layers. Images are padded with black below and to the right, which moves no
    /// coordinate.
    static let sideMultiple = 32
    static let minimumInputSide = 64

    static func padded(_ image: Image) -> Image {
        func round(_ v: Int) -> Int { max(minimumInputSide, (v + sideMultiple - 1) / sideMultiple * sideMultiple) }
        let w = round(image.width), h = round(image.height)
        guard w != image.width || h != image.height else { return image }
        var bgr = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<image.height {
            bgr.replaceSubrange((y * w * 3)..<(y * w * 3 + image.rowStride),
                                with: image.bgr[(y * image.rowStride)..<((y + 1) * image.rowStride)])
        }
        return Image(width: w, height: h, bgr: bgr)
    }
}

extension BoundingBox {
    /// The part of the box inside a width x height image.
    public func clipped(width: Int, height: Int) -> BoundingBox {
        let left = min(max(x, 0), Double(width)), top = min(max(y, 0), Double(height))
        let right = min(max(x + self.width, 0), Double(width)), bottom = min(max(y + self.height, 0), Double(height))
        return BoundingBox(x: left, y: top, width: right - left, height: bottom - top)
    }
}
