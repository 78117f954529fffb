/// Milliseconds spent in each stage of an analysis, in the order the stages ran.
public struct StageTimings: Sendable, Equatable {
    public private(set) var stages: [(name: String, milliseconds: Double)] = []

    public init() {}

    public mutating func add(_ name: String, _ milliseconds: Double) {
        if let i = stages.firstIndex(where: { $0.name == name }) {
            stages[i].milliseconds += milliseconds
        } else {
            stages.append((name, milliseconds))
        }
    }

    public subscript(name: String) -> Double? { stages.first { $0.name == name }?.milliseconds }

    public var total: Double { stages.reduce(0) { $0 + $1.milliseconds } }

    public static func == (a: StageTimings, b: StageTimings) -> Bool {
        a.stages.map(\.name) == b.stages.map(\.name) && a.stages.map(\.milliseconds) == b.stages.map(\.milliseconds)
    }
}

/// A face with whatever the pipeline computed for it.
public struct AnalyzedFace: Sendable {
    public var detection: DetectedFace
    public var embedding: Embedding?
    /// Nil when not asked for or when the analyzer has no liveness model.
    public var liveness: Liveness?
    /// Nil when not asked for or when the analyzer has no age/gender model.
    public var attributes: FaceAttributes?
    /// Nil when the analyzer does not measure it.
    public var quality: FaceQuality?
    /// An encoded picture of the face with room around it, when asked for (`cropLargestFace`):
    /// what a gallery keeps so that a later recognizer can embed the face again.
    public var crop: [UInt8]?

    public init(detection: DetectedFace, embedding: Embedding? = nil, liveness: Liveness? = nil,
                attributes: FaceAttributes? = nil, quality: FaceQuality? = nil) {
        self.detection = detection
        self.embedding = embedding
        self.liveness = liveness
        self.attributes = attributes
        self.quality = quality
    }
}

/// The result of analysing one image: its upright size, its faces largest first, and timings.
public struct ImageAnalysis: Sendable {
    public var width: Int
    public var height: Int
    public var faces: [AnalyzedFace]
    public var timings: StageTimings

    public init(width: Int, height: Int, faces: [AnalyzedFace], timings: StageTimings) {
        self.width = width
        self.height = height
        self.faces = faces
        self.timings = timings
    }
}

/// What to compute for an image.
public struct AnalysisOptions: Sendable, Equatable {
    public var embed: Bool
    /// Faces beyond this many (largest first) are dropped.
    public var maxFaces: Int
    /// Faces whose box is narrower than this (pixels) are dropped.
    public var minFaceSize: Double
    /// Faces the detector scored below this (on its own scale) are dropped.
    public var minDetectorScore: Double?
    /// Check liveness where the analyzer can.
    public var liveness: Bool
    /// Estimate age and gender where the analyzer can.
    public var attributes: Bool
    /// Encode a crop of the largest face (`AnalyzedFace.crop`), for enrolment.
    public var cropLargestFace: Bool

    public init(embed: Bool = true, maxFaces: Int = 64, minFaceSize: Double = 0, minDetectorScore: Double? = nil,
                liveness: Bool = false, attributes: Bool = false, cropLargestFace: Bool = false) {
        self.cropLargestFace = cropLargestFace
        self.embed = embed
        self.maxFaces = maxFaces
        self.minFaceSize = minFaceSize
        self.minDetectorScore = minDetectorScore
        self.liveness = liveness
        self.attributes = attributes
    }
}
