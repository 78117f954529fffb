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
                           brightness: grey.reduce(0, +) / Double(grey.count) / 255,
                           yaw: pose.yaw, pitch: pose.pitch, roll: pose.roll, detectorScore: face.score)
    }

    /// The box, bilinearly resampled to `side` x `side` grey levels (0-255).
    static func resampledGrey(_ box: BoundingBox, _ image: Image) -> [Double] {
        let n = side
        var out = [Double](repeating: 0, count: n * n)
        let maxX = Double(image.width - 1), maxY = Double(image.height - 1)
        image.bgr.withUnsafeBufferPointer { px in
            func grey(_ x: Int, _ y: Int) -> Double {
                let i = (y * image.width + x) * 3
                return 0.114 * Double(px[i]) + 0.587 * Double(px[i + 1]) + 0.299 * Double(px[i + 2])
            }
            for row in 0..<n {
                let sy = min(maxY, max(0, box.y + (Double(row) + 0.5) * box.height / Double(n) - 0.5))
                let y0 = Int(sy), y1 = min(y0 + 1, image.height - 1), fy = sy - Double(y0)
                for col in 0..<n {
                    let sx = min(maxX, max(0, box.x + (Double(col) + 0.5) * box.width / Double(n) - 0.5))
                    let x0 = Int(sx), x1 = min(x0 + 1, image.width - 1), fx = sx - Double(x0)
                    let top = grey(x0, y0) * (1 - fx) + grey(x1, y0) * fx
                    let bottom = grey(x0, y1) * (1 - fx) + grey(x1, y1) * fx
                    out[row * n + col] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return out
    }

    /// Variance of the 4-neighbour Laplacian over the inner pixels.
    static func laplacianVariance(_ g: [Double]) -> Double {
        let n = side
        var sum = 0.0, squares = 0.0
        for y in 1..<(n - 1) {
            for x in 1..<(n - 1) {
                let i = y * n + x
                let l = g[i - 1] + g[i + 1] + g[i - n] + g[i + n] - 4 * g[i]
                sum += l
                squares += l * l
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
