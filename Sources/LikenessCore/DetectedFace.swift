/// One face found by a detector.
public struct DetectedFace: Sendable, Hashable, Codable {
    /// Clipped to the image.
    public var box: BoundingBox
    /// The detector's confidence; its scale depends on the detector.
    public var score: Double
    public var landmarks: Landmarks?

    public init(box: BoundingBox, score: Double, landmarks: Landmarks? = nil) {
        self.box = box
        self.score = score
        self.landmarks = landmarks
    }
}
