import LikenessCore

/// A 2-D similarity (rotation, uniform scale, translation) as a 2x3 row-major matrix.
public struct SimilarityTransform: Sendable, Equatable {
    public var matrix: [Double]

    public init(matrix: [Double]) {
        precondition(matrix.count == 6)
        self.matrix = matrix
    }

    public func apply(_ p: Point2D) -> Point2D {
        Point2D(x: matrix[0] * p.x + matrix[1] * p.y + matrix[2], y: matrix[3] * p.x + matrix[4] * p.y + matrix[5])
    }

    /// The least-squares similarity taking `source` onto `target` (Umeyama 1991), which is what
    /// InsightFace's alignment (skimage's SimilarityTransform.estimate) computes. In 2-D the
    /// rotation comes from the cross-covariance in closed form, so no SVD is needed.
    public static func estimate(from source: [Point2D], to target: [Point2D]) -> SimilarityTransform? {
        guard source.count == target.count, source.count >= 2 else { return nil }
        let n = Double(source.count)
        let sx = source.reduce(0) { $0 + $1.x } / n, sy = source.reduce(0) { $0 + $1.y } / n
        let tx = target.reduce(0) { $0 + $1.x } / n, ty = target.reduce(0) { $0 + $1.y } / n
        // a = sum(s.t) and b = sum(s x t) over centred points; the best rotation is atan2(b, a).
        var a = 0.0, b = 0.0, variance = 0.0
        for (s, t) in zip(source, target) {
            let px = s.x - sx, py = s.y - sy, qx = t.x - tx, qy = t.y - ty
            a += px * qx + py * qy
            b += px * qy - py * qx
            variance += px * px + py * py
        }
        guard variance > 0 else { return nil }
        let norm = (a * a + b * b).squareRoot()
        guard norm > 0 else { return nil }
        let scale = norm / variance
        let cosine = a / norm, sine = b / norm
        let m00 = scale * cosine, m01 = -scale * sine, m10 = scale * sine, m11 = scale * cosine
        return SimilarityTransform(matrix: [m00, m01, tx - (m00 * sx + m01 * sy), m10, m11, ty - (m10 * sx + m11 * sy)])
    }
}

/// The standard ArcFace 112x112 template: left eye, right eye, nose tip, left and right mouth
/// corners (as they appear in the image).
public enum ArcFaceTemplate {
    public static let size = 112
    public static let points: [Point2D] = [
        Point2D(x: 38.2946, y: 51.6963), Point2D(x: 73.5318, y: 51.5014), Point2D(x: 56.0252, y: 71.7366),
        Point2D(x: 41.5493, y: 92.3655), Point2D(x: 70.7299, y: 92.2041),
    ]

    /// The face warped onto the template at `size` px (the template scaled by size / 112).
    public static func align(_ image: Image, landmarks: Landmarks, size: Int = 112) throws -> Pixels {
        guard landmarks.scheme == .fivePoint, landmarks.points.count == 5 else {
            throw EmbedderError.landmarksRequired(.fivePoint)
        }
        let factor = Double(size) / Double(Self.size)
        let target = points.map { Point2D(x: $0.x * factor, y: $0.y * factor) }
        guard let transform = SimilarityTransform.estimate(from: landmarks.points, to: target) else {
            throw EmbedderError.degenerateLandmarks
        }
        return try ImageTransforms.warpAffine(image, matrix: transform.matrix, to: (size, size))
    }
}
