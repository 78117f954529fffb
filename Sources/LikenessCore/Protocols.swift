/// Finds faces, with landmarks when the detector provides them.
public protocol FaceDetector: Sendable {
    /// Adds the milliseconds of each of its stages to `timings`.
    func detect(in image: Image, timings: inout StageTimings) throws -> [DetectedFace]
}

/// Describes a recognizer: embeddings of different recognizers cannot be compared, and a
/// similarity threshold only means something for the recognizer it was chosen for.
public struct RecognizerInfo: Sendable, Equatable {
    public var id: RecognizerID
    public var dimension: Int
    /// The cosine similarity at or above which two faces are called the same person, when a
    /// fixed cosine is asked for (the original's behaviour) or there is no calibration.
    public var defaultThreshold: Float
    /// What this recognizer's cosines mean; nil for a pack fitted by nobody.
    public var calibration: Calibration?

    public init(id: RecognizerID, dimension: Int, defaultThreshold: Float, calibration: Calibration? = nil) {
        self.id = id
        self.dimension = dimension
        self.defaultThreshold = defaultThreshold
        self.calibration = calibration
    }
}

/// Turns detected faces (with the landmarks its alignment needs) into embeddings.
public protocol FaceEmbedder: Sendable {
    var recognizer: RecognizerInfo { get }
    /// One embedding per face, in order; adds its stages' milliseconds to `timings`.
    func embed(faces: [DetectedFace], in image: Image, timings: inout StageTimings) throws -> [Embedding]
}

extension FaceDetector {
    public func detect(in image: Image) throws -> [DetectedFace] {
        var timings = StageTimings()
        return try detect(in: image, timings: &timings)
    }
}

extension FaceEmbedder {
    public func embed(faces: [DetectedFace], in image: Image) throws -> [Embedding] {
        var timings = StageTimings()
        return try embed(faces: faces, in: image, timings: &timings)
    }
}

/// The whole pipeline from encoded bytes to faces; what the server talks to.
public protocol FaceAnalyzer: Sendable {
    var recognizer: RecognizerInfo { get }
    var capabilities: AnalyzerCapabilities { get }
    /// Blocks the calling thread for the whole analysis (native code that cannot be
    /// interrupted): run it on a `BlockingExecutor`, never on the cooperative pool.
    func analyzeNow(_ encoded: [UInt8], options: AnalysisOptions) throws -> ImageAnalysis
}

extension FaceAnalyzer {
    public var capabilities: AnalyzerCapabilities { AnalyzerCapabilities() }
}
