/// How likely a face is a live person rather than a print or a screen, and the decision at the
/// checker's threshold.
public struct Liveness: Sendable, Equatable, Codable {
    /// Probability of a real face, 0-1 (averaged over the checker's models).
    public var score: Double
    public var threshold: Double
    public var isReal: Bool { score >= threshold }

    public init(score: Double, threshold: Double) {
        self.score = score
        self.threshold = threshold
    }
}

public enum Gender: String, Sendable, Codable {
    case female = "F"
    case male = "M"
}

/// Estimated demographics of a face.
public struct FaceAttributes: Sendable, Equatable, Codable {
    public var age: Int
    public var gender: Gender
    /// The two gender outputs, female then male, as the model gave them.
    public var genderScores: [Double]

    public init(age: Int, gender: Gender, genderScores: [Double]) {
        self.age = age
        self.gender = gender
        self.genderScores = genderScores
    }
}

/// Tells real faces from spoofs (prints, screen replays).
public protocol LivenessChecker: Sendable {
    var threshold: Double { get }
    /// One result per face, in order; adds its stages' milliseconds to `timings`.
    func liveness(of faces: [DetectedFace], in image: Image, timings: inout StageTimings) throws -> [Liveness]
}

/// Estimates age and gender.
public protocol AttributeEstimator: Sendable {
    /// One result per face, in order, nil where the model gave no usable answer (non-finite
    /// outputs); adds its stages' milliseconds to `timings`.
    func attributes(of faces: [DetectedFace], in image: Image, timings: inout StageTimings) throws -> [FaceAttributes?]
}

/// What an analyzer can compute besides embeddings, so callers can say "unavailable" rather
/// than silently returning nothing.
public struct AnalyzerCapabilities: Sendable, Equatable {
    public var liveness: Bool
    public var attributes: Bool

    public init(liveness: Bool = false, attributes: Bool = false) {
        self.liveness = liveness
        self.attributes = attributes
    }
}

extension LivenessChecker {
    public func liveness(of faces: [DetectedFace], in image: Image) throws -> [Liveness] {
        var timings = StageTimings()
        return try liveness(of: faces, in: image, timings: &timings)
    }
}

extension AttributeEstimator {
    public func attributes(of faces: [DetectedFace], in image: Image) throws -> [FaceAttributes?] {
        var timings = StageTimings()
        return try attributes(of: faces, in: image, timings: &timings)
    }
}
