/// Which points a landmark set holds, in order. Alignment needs to know: the ArcFace
/// template wants eyes, nose and mouth corners; dlib's 5-point model gives eye corners and the
/// base of the nose.
public enum LandmarkScheme: String, Sendable, Codable {
    /// dlib's shape_predictor_5_face_landmarks: two corners of each eye, then the nose base.
    case dlib5
    /// Left eye, right eye, nose tip, left and right mouth corners (RetinaFace, SCRFD, YuNet).
    case fivePoint
}

public struct Landmarks: Sendable, Hashable, Codable {
    public var scheme: LandmarkScheme
    public var points: [Point2D]

    public init(scheme: LandmarkScheme, points: [Point2D]) {
        self.scheme = scheme
        self.points = points
    }
}
