import LikenessCore

extension FacePipeline {
    /// Builds the pipeline a pack describes. Files are checked (present, non-empty, sha256)
    /// before anything loads, so a bad file is reported by name at start-up; every model is
    /// then run once, so a model of the wrong shape fails here too.
    public static func load(_ installed: InstalledPack, limits: ImageLimits = .standard, verify: Bool = true,
                            livenessThreshold: Double? = nil) throws -> FacePipeline {
        let installed = installed.droppingMissingExtras()
        if let problem = installed.verify(checksums: verify).first { throw problem }
        let pack = installed.pack
        let d = pack.detector
        let detector: any FaceDetector
        switch d.type {
        case .yunet:
            var options = YuNetDetector.Options()
            if let v = d.scoreThreshold { options.scoreThreshold = v }
            if let v = d.nmsThreshold { options.nmsThreshold = v }
            if let v = d.inputSize { options.inputSize = v }
            options.minFaceSize = d.minFaceSize
            // ONNX Runtime runs YuNet at the image's size; OpenCV keeps its fixed canvases.
            detector = ONNXEngine.preferred == .onnxRuntime
                ? try YuNetRuntimeDetector(modelPath: installed.path(of: d.model), options: options)
                : try YuNetDetector(modelPath: installed.path(of: d.model), options: options)
        case .scrfd:
            guard let outputs = d.outputs else {
                throw ModelLoadError(path: installed.path(of: d.model), reason: "the pack names no SCRFD outputs")
            }
            var options = SCRFDDetector.Options()
            if let v = d.scoreThreshold { options.scoreThreshold = v }
            if let v = d.nmsThreshold { options.nmsThreshold = Double(v) }
            detector = try SCRFDDetector(modelPath: installed.path(of: d.model), inputSize: d.inputSize ?? 640,
                                         minFaceSize: d.minFaceSize, outputs: outputs, options: options)
        case .dlibHog:
            detector = try DlibFaceDetector(shapePredictorPath: installed.path(of: d.model),
                                            options: .init(upsample: d.upsample ?? 1))
        }
        let r = pack.recognizer
        let info = RecognizerInfo(id: RecognizerID(r.id), dimension: r.embeddingSize, defaultThreshold: r.threshold,
                                  calibration: r.calibration)
        let embedder: any FaceEmbedder
        switch r.type {
        case .arcface:
            guard let normalization = r.normalization else {
                throw ModelLoadError(path: installed.path(of: r.model), reason: "the pack gives no normalisation for the recognizer")
            }
            embedder = try ArcFaceEmbedder(modelPath: installed.path(of: r.model), recognizer: info, inputSize: r.inputSize ?? 112,
                                           normalization: normalization, batches: r.batch ?? true)
        case .dlibResnet:
            guard d.type == .dlibHog else {
                throw ModelLoadError(path: installed.path(of: r.model), reason: "the dlib recognizer needs the dlib detector's landmarks")
            }
            embedder = try DlibFaceEmbedder(modelPath: installed.path(of: r.model))
        }
        let liveness = try pack.liveness.map { spec in
            try MiniFASNetChecker(models: spec.models.map {
                MiniFASNetChecker.Model(path: installed.path(of: $0.model), scale: $0.scale, inputSize: $0.inputSize ?? 80)
            }, threshold: livenessThreshold ?? spec.threshold ?? 0.7)
        }
        let attributes = try pack.attributes.map { spec -> GenderAgeEstimator in
            guard spec.type == "genderage" else {
                throw ModelLoadError(path: installed.path(of: spec.model), reason: "unknown attribute model type \(spec.type)")
            }
            return try GenderAgeEstimator(modelPath: installed.path(of: spec.model), inputSize: spec.inputSize ?? 96,
                                          normalization: spec.normalization ?? PixelNormalization(rgb: true, mean: [0, 0, 0], std: [1, 1, 1]))
        }
        return FacePipeline(decoder: ImageDecoder(limits: limits), detector: detector, embedder: embedder,
                            liveness: liveness, attributes: attributes)
    }
}
