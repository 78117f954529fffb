import Dispatch
import LikenessCore

/// decode -> detect (box, score, landmarks) -> align -> embed, with per-stage timings.
public final class FacePipeline: FaceAnalyzer {
    public let decoder: ImageDecoder
    public let detector: any FaceDetector
    public let embedder: any FaceEmbedder
    public let livenessChecker: (any LivenessChecker)?
    public let attributeEstimator: (any AttributeEstimator)?

    public var recognizer: RecognizerInfo { embedder.recognizer }
    public var capabilities: AnalyzerCapabilities {
        AnalyzerCapabilities(liveness: livenessChecker != nil, attributes: attributeEstimator != nil)
    }

    public init(decoder: ImageDecoder, detector: any FaceDetector, embedder: any FaceEmbedder,
                liveness: (any LivenessChecker)? = nil, attributes: (any AttributeEstimator)? = nil) {
        self.decoder = decoder
        self.detector = detector
        self.embedder = embedder
        self.livenessChecker = liveness
        self.attributeEstimator = attributes
    }

    /// The offline dlib pack, with its models under `<modelDirectory>/dlib`.
    public static func dlib(
        modelDirectory: String = ModelDirectory.resolve(),
        detectorOptions: DlibFaceDetector.Options = .init(),
        limits: ImageLimits = .standard
    ) throws -> FacePipeline {
        let files = DlibModelFiles(modelDirectory: modelDirectory)
        return FacePipeline(
            decoder: ImageDecoder(limits: limits),
            detector: try DlibFaceDetector(shapePredictorPath: files.shapePredictor, options: detectorOptions),
            embedder: try DlibFaceEmbedder(modelPath: files.recognizer)
        )
    }

    /// Analyses encoded bytes on the calling thread.
    public func analyzeNow(_ encoded: [UInt8], options: AnalysisOptions = .init()) throws -> ImageAnalysis {
        var watch = Stopwatch()
        let image = try decoder.decode(encoded)
        var timings = StageTimings()
        timings.add("decode", watch.lap())
        return try analyze(image: image, options: options, timings: timings)
    }

    /// Analyses an already decoded image.
    public func analyze(image: Image, options: AnalysisOptions = .init(), timings: StageTimings = .init()) throws -> ImageAnalysis {
        var timings = timings
        let detected = try detector.detect(in: image, timings: &timings)
        let faces = Self.select(detected, options: options)
        let embeddings = options.embed ? try embedder.embed(faces: faces, in: image, timings: &timings) : []
        let liveness = options.liveness ? try livenessChecker?.liveness(of: faces, in: image, timings: &timings) : nil
        let attributes = options.attributes ? try attributeEstimator?.attributes(of: faces, in: image, timings: &timings) : nil
        var watch = Stopwatch()
        var analyzed = faces.enumerated().map { i, face in
            AnalyzedFace(detection: face, embedding: embeddings.isEmpty ? nil : embeddings[i],
                         liveness: liveness?[i], attributes: attributes?[i] ?? nil,
                         quality: FaceQualityMeter.measure(face, in: image))
        }
        if !faces.isEmpty { timings.add("quality", watch.lap()) }
        if options.cropLargestFace, !analyzed.isEmpty {
            analyzed[0].crop = try FaceCrop.encode(analyzed[0].detection.box, of: image)
            timings.add("crop", watch.lap())
        }
        return ImageAnalysis(width: image.width, height: image.height, faces: analyzed, timings: timings)
    }

    /// Largest first (ties broken by position, so the order is deterministic), without faces
    /// below the minimum size or detector score, at most `maxFaces`.
    static func select(_ faces: [DetectedFace], options: AnalysisOptions) -> [DetectedFace] {
        let kept = faces.filter {
            min($0.box.width, $0.box.height) >= options.minFaceSize && $0.score >= (options.minDetectorScore ?? -.infinity)
        }
        let sorted = kept.sorted { a, b in
            if a.box.area != b.box.area { return a.box.area > b.box.area }
            if a.box.x != b.box.x { return a.box.x < b.box.x }
            return a.box.y < b.box.y
        }
        return Array(sorted.prefix(max(0, options.maxFaces)))
    }
}
