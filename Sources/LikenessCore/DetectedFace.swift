/// One face found by a detector.
public struct DetectedFace: Sendable, Hashable, Codable {
    /// Clipped to the image.
    public var box: BoundingBox
    /// The detector's confidence; its scale depends on the detector.
    public var score: Double
    public var landmarks: Landmarks?

    /// Finite numbers throughout and a box with an area: what a detector may return. Networks fed
    /// degenerate inputs (a 1-pixel-high strip, say) can produce NaN or empty boxes.
    public var isUsable: Bool {
        let numbers = [box.x, box.y, box.width, box.height, score] + (landmarks?.points.flatMap { [$0.x, $0.y] } ?? [])
        return numbers.allSatisfy(\.isFinite) && box.width > 0 && box.height > 0
    }

    public init(box: BoundingBox, score: Double, landmarks: Landmarks? = nil) {
        self.box = box
        self.score = score
        self.landmarks = landmarks
    }
}
