import ArgumentParser
import Foundation
import LikenessCore
import LikenessVision

/// The options every image command shares.
struct PipelineOptions: ParsableArguments {
    @Option(help: "Model directory (default: $LIKENESS_MODEL_DIR, $LIKENESS_DATA_DIR/models, ./data/models).")
    var modelDir: String?

    @Option(help: "Model pack: an installed pack's name or a pack file (default: the best installed; see `likeness models list`).")
    var pack: String?

    @Option(help: "Detector score threshold (default: the pack's).")
    var scoreThreshold: Float?

    @Flag(inversion: .prefixedNo, help: "Check liveness where the pack has anti-spoofing models.")
    var liveness = true

    @Flag(inversion: .prefixedNo, help: "Estimate age and gender where the pack has a model for it.")
    var attributes = true

    @Option(help: "Times the image is upsampled before HOG detection (0-4; dlib pack).")
    var upsample: Int = 1

    @Option(help: "Most pixels HOG scans, upsampling included; larger images are scanned with less upsampling, then downscaled (0: no bound, as dlib).")
    var maxCanvasPixels: Int = DlibFaceDetector.Options().maxCanvasPixels

    @Option(parsing: .unconditional, help: "Added to the HOG detector's threshold: below 0 finds more faces, and more false ones.")
    var adjustThreshold: Double = 0

    @Option(help: "Largest accepted file, in bytes.")
    var maxBytes: Int = ImageLimits.standard.maxBytes

    @Option(help: "Largest accepted image, in pixels (checked before decoding).")
    var maxPixels: Int = ImageLimits.standard.maxPixels

    @Option(help: "Faces smaller than this many pixels are ignored.")
    var minFaceSize: Double = 0

    @Option(help: "At most this many faces per image, largest first.")
    var maxFaces: Int = 64

    var resolvedModelDirectory: String { modelDir ?? ModelDirectory.resolve() }

    func resolvedPack() throws -> InstalledPack { try PackRegistry(modelDirectory: resolvedModelDirectory).resolve(pack) }

    func makePipeline() throws -> FacePipeline {
        var installed = try resolvedPack()
        let limits = ImageLimits(maxBytes: maxBytes, maxPixels: maxPixels)
        if installed.pack.detector.type == .dlibHog && installed.pack.recognizer.type == .dlibResnet {
            // The dlib detector's own knobs only exist on this path.
            if let problem = installed.verify().first { throw problem }
            return try FacePipeline.dlib(
                modelDirectory: (installed.directory as NSString).deletingLastPathComponent,
                detectorOptions: .init(upsample: upsample, adjustThreshold: adjustThreshold, maxCanvasPixels: maxCanvasPixels),
                limits: limits
            )
        }
        if let scoreThreshold { installed.pack.detector.scoreThreshold = scoreThreshold }
        return try FacePipeline.load(installed, limits: limits)
    }

    func analysisOptions(embed: Bool) -> AnalysisOptions {
        AnalysisOptions(embed: embed, maxFaces: maxFaces, minFaceSize: minFaceSize, liveness: liveness, attributes: attributes)
    }
}
