import LikenessCore

/// A model pack: one detector, one recognizer and the optional extras, with each file's sha256
/// and licence. Stored as `pack.json` (snake_case keys) beside its files; a file name may also
/// be an absolute path.
public struct ModelPack: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    public var detector: Detector
    public var recognizer: Recognizer
    public var liveness: Liveness?
    public var attributes: Attributes?

    public init(name: String, description: String? = nil, detector: Detector, recognizer: Recognizer,
                liveness: Liveness? = nil, attributes: Attributes? = nil) {
        self.name = name
        self.description = description
        self.detector = detector
        self.recognizer = recognizer
        self.liveness = liveness
        self.attributes = attributes
    }

    public struct File: Codable, Sendable, Equatable {
        public var file: String
        public var sha256: String?
        public var licence: String?

        public init(file: String, sha256: String? = nil, licence: String? = nil) {
            self.file = file
            self.sha256 = sha256
            self.licence = licence
        }
    }

    public enum DetectorType: String, Codable, Sendable {
        case yunet, scrfd
        /// dlib's HOG detector with its 5-point shape predictor (`file` is the predictor).
        case dlibHog = "dlib_hog"
    }

    public struct Detector: Codable, Sendable, Equatable {
        public var type: DetectorType
        public var model: File
        /// The square the detector runs on (SCRFD: the model's fixed input; YuNet: the canvas).
        public var inputSize: Int?
        /// The smallest face wanted, in the photo's pixels: YuNet and SCRFD on ONNX Runtime
        /// detect on the smallest canvas that still finds it (`DetectionScale`). Absent: the
        /// photo is only shrunk to `inputSize`.
        public var minFaceSize: Double?
        public var scoreThreshold: Float?
        public var nmsThreshold: Float?
        /// SCRFD: output names per stride (8, 16, 32).
        public var outputs: SCRFDDetector.OutputNames?
        /// dlib: times the image is upsampled.
        public var upsample: Int?

        public init(type: DetectorType, model: File, inputSize: Int? = nil, minFaceSize: Double? = nil,
                    scoreThreshold: Float? = nil, nmsThreshold: Float? = nil, outputs: SCRFDDetector.OutputNames? = nil,
                    upsample: Int? = nil) {
            self.type = type
            self.model = model
            self.inputSize = inputSize
            self.minFaceSize = minFaceSize
            self.scoreThreshold = scoreThreshold
            self.nmsThreshold = nmsThreshold
            self.outputs = outputs
            self.upsample = upsample
        }
    }

    public enum RecognizerType: String, Codable, Sendable {
        case arcface
        case dlibResnet = "dlib_resnet"
    }

    public struct Recognizer: Codable, Sendable, Equatable {
        public var type: RecognizerType
        /// Stored with every embedding: embeddings of different ids are never compared.
        public var id: String
        public var model: File
        public var inputSize: Int?
        public var embeddingSize: Int
        public var normalization: PixelNormalization?
        /// Cosine similarity at or above which two faces are the same person.
        public var threshold: Float
        public var batch: Bool?
        /// Fitted by bench/calibrate.py for this detector and recognizer together.
        public var calibration: Calibration?

        public init(type: RecognizerType, id: String, model: File, inputSize: Int? = nil, embeddingSize: Int,
                    normalization: PixelNormalization? = nil, threshold: Float, batch: Bool? = nil,
                    calibration: Calibration? = nil) {
            self.calibration = calibration
            self.type = type
            self.id = id
            self.model = model
            self.inputSize = inputSize
            self.embeddingSize = embeddingSize
            self.normalization = normalization
            self.threshold = threshold
            self.batch = batch
        }
    }

    public struct LivenessModel: Codable, Sendable, Equatable {
        public var model: File
        public var scale: Double
        public var inputSize: Int?

        public init(model: File, scale: Double, inputSize: Int? = nil) {
            self.model = model
            self.scale = scale
            self.inputSize = inputSize
        }
    }

    public struct Liveness: Codable, Sendable, Equatable {
        public var threshold: Double?
        public var models: [LivenessModel]

        public init(threshold: Double? = nil, models: [LivenessModel]) {
            self.threshold = threshold
            self.models = models
        }
    }

    public struct Attributes: Codable, Sendable, Equatable {
        public var type: String
        public var model: File
        public var inputSize: Int?
        public var normalization: PixelNormalization?

        public init(type: String, model: File, inputSize: Int? = nil, normalization: PixelNormalization? = nil) {
            self.type = type
            self.model = model
            self.inputSize = inputSize
            self.normalization = normalization
        }
    }

    /// Every file the pack names, with what it is for.
    public var files: [(role: String, file: File)] {
        var all: [(String, File)] = [("detector", detector.model), ("recognizer", recognizer.model)]
        if detector.type == .dlibHog { all[0].0 = "landmarks" }
        for m in liveness?.models ?? [] { all.append(("liveness", m.model)) }
        if let attributes { all.append(("age/gender", attributes.model)) }
        return all
    }

    /// What the pack lets the server do.
    public var features: [String] {
        var out = ["detection (\(detector.type.rawValue))", "recognition (\(recognizer.id), \(recognizer.embeddingSize)-d)"]
        if liveness != nil { out.append("liveness") }
        if attributes != nil { out.append("age/gender") }
        return out
    }

    /// Licences that restrict use (InsightFace's weights: non-commercial research only).
    public var restrictedLicences: [String] {
        Array(Set(files.compactMap(\.file.licence).filter(ModelPack.restricts))).sorted()
    }

    public static func restricts(_ licence: String) -> Bool {
        let l = licence.lowercased()
        return l.contains("non-commercial") || l.contains("noncommercial") || l.contains("research only")
    }
}
