import Foundation
import LikenessCore

/// Measures a detected face's quality on the decoded image: cheap (one 112 x 112 grey resample
/// of the box), so every face gets it.
public enum FaceQualityMeter {
    static let side = 112

    public static func measure(_ face: DetectedFace, in image: Image) -> FaceQuality {
        let grey = resampledGrey(face.box, image)
        let pose: (yaw: Double?, pitch: Double?, roll: Double?) = face.landmarks.map(Self.pose) ?? (nil, nil, nil)
        return FaceQuality(size: min(face.box.width, face.box.height), sharpness: laplacianVariance(grey),
                           brightness: grey.reduce(0.0) { $0 + Double($1) } / Double(grey.count) / 255,
                           yaw: pose.yaw, pitch: pose.pitch, roll: pose.roll, detectorScore: face.score)
    }

    /// The box, bilinearly resampled to `side` x `side` grey levels (0-255). Float, with each
    /// column's sample position worked out once: it runs for every face of every request, and
    /// in Double with positions per pixel it cost as much as the index scan (perf, concurrency 4).
    static func resampledGrey(_ box: BoundingBox, _ image: Image) -> [Float] {
        let n = side
        let width = image.width
        func samples(_ start: Double, _ length: Double, _ limit: Int) -> (low: [Int], high: [Int], weight: [Float]) {
            var low = [Int](repeating: 0, count: n), high = low, weight = [Float](repeating: 0, count: n)
            for i in 0..<n {
                let s = min(Double(limit - 1), max(0, start + (Double(i) + 0.5) * length / Double(n) - 0.5))
                low[i] = Int(s)
                high[i] = min(low[i] + 1, limit - 1)
                weight[i] = Float(s - Double(low[i]))
            }
            return (low, high, weight)
        }
        let xs = samples(box.x, box.width, image.width), ys = samples(box.y, box.height, image.height)
        var out = [Float](repeating: 0, count: n * n)
        out.withUnsafeMutableBufferPointer { dst in
            image.bgr.withUnsafeBufferPointer { px in
                func grey(_ x: Int, _ row: Int) -> Float {
                    let i = (row + x) * 3
                    return 0.114 * Float(px[i]) + 0.587 * Float(px[i + 1]) + 0.299 * Float(px[i + 2])
                }
                for r in 0..<n {
                    let top = ys.low[r] * width, bottom = ys.high[r] * width, fy = ys.weight[r]
                    for c in 0..<n {
                        let x0 = xs.low[c], x1 = xs.high[c], fx = xs.weight[c]
                        let upper = grey(x0, top) * (1 - fx) + grey(x1, top) * fx
                        let lower = grey(x0, bottom) * (1 - fx) + grey(x1, bottom) * fx
                        dst[r * n + c] = upper * (1 - fy) + lower * fy
                    }
                }
            }
        }
        return out
    }

    /// Variance of the 4-neighbour Laplacian over the inner pixels (sums in Double: squares of
    /// 12,000 values lose digits in Float).
    static func laplacianVariance(_ g: [Float]) -> Double {
        let n = side
        var sum = 0.0, squares = 0.0
        g.withUnsafeBufferPointer { g in
            for y in 1..<(n - 1) {
                for x in 1..<(n - 1) {
                    let i = y * n + x
                    let l = Double(g[i - 1] + g[i + 1] + g[i - n] + g[i + n] - 4 * g[i])
                    sum += l
                    squares += l * l
                }
            }
        }
        let count = Double((n - 2) * (n - 2))
        let mean = sum / count
        return max(0, squares / count - mean * mean)
    }

    /// Yaw, pitch and roll in degrees from 5 landmarks, after undoing the roll. The nose sits
    /// in front of the eyes' plane by about half the distance between the eyes: turned by an
    /// angle a, it moves sideways from the face's midline by 0.5 tan(a) of that distance, and
    /// likewise up or down between eyes and mouth. Signs: yaw > 0 when the nose points to the
    /// image's right, pitch > 0 when the face looks up, roll > 0 clockwise.
    static func pose(_ landmarks: Landmarks) -> (yaw: Double?, pitch: Double?, roll: Double?) {
        let p = landmarks.points
        let degrees = 180 / Double.pi
        switch landmarks.scheme {
        case .fivePoint:
            guard p.count >= 5 else { return (nil, nil, nil) }
            let (left, right) = p[0].x <= p[1].x ? (p[0], p[1]) : (p[1], p[0])
            let roll = atan2(right.y - left.y, right.x - left.x)
            let eyes = mid(left, right)
            let q = [left, right, p[2], p[3], p[4]].map { rotate($0, about: eyes, by: -roll) }
            let iod = hypot(q[1].x - q[0].x, q[1].y - q[0].y)
            guard iod > 0 else { return (nil, nil, roll * degrees) }
            let mouth = mid(q[3], q[4])
            let midline = (eyes.x + mouth.x) / 2
            let yaw = atan((q[2].x - midline) / iod / 0.5) * degrees
            let height = mouth.y - eyes.y
            guard height > 0 else { return (yaw, nil, roll * degrees) }
            // Frontal (ArcFace's template): the nose tip halfway between eyes and mouth.
            let pitch = atan((0.5 - (q[2].y - eyes.y) / height) * height / iod / 0.5) * degrees
            return (yaw, pitch, roll * degrees)
        case .dlib5:
            // Two corners of one eye, two of the other, then the base of the nose: no mouth.
            guard p.count >= 5 else { return (nil, nil, nil) }
            let a = mid(p[0], p[1]), b = mid(p[2], p[3])
            let (left, right) = a.x <= b.x ? (a, b) : (b, a)
            let roll = atan2(right.y - left.y, right.x - left.x)
            let eyes = mid(left, right)
            let nose = rotate(p[4], about: eyes, by: -roll)
            let iod = hypot(right.x - left.x, right.y - left.y)
            guard iod > 0 else { return (nil, nil, roll * degrees) }
            // The nose's base stands out less than its tip.
            return (atan((nose.x - eyes.x) / iod / 0.4) * degrees, nil, roll * degrees)
        }
    }

    private static func mid(_ a: Point2D, _ b: Point2D) -> Point2D { Point2D(x: (a.x + b.x) / 2, y: (a.y + b.y) / 2) }

    private static func rotate(_ p: Point2D, about c: Point2D, by angle: Double) -> Point2D {
        let dx = p.x - c.x, dy = p.y - c.y
        return Point2D(x: c.x + dx * cos(angle) - dy * sin(angle), y: c.y + dx * sin(angle) + dy * cos(angle))
    }
}
