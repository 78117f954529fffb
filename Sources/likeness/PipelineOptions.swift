import ArgumentParser
import LikenessCore
import LikenessVision

/// The options every image command shares.
struct PipelineOptions: ParsableArguments {
    @Option(help: "Model directory (default: $LIKENESS_MODEL_DIR, $LIKENESS_DATA_DIR/models, ./data/models).")
    var modelDir: String?

    @Option(help: "Times the image is upsampled before HOG detection (0-4).")
    var upsample: Int = 1

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

    func makePipeline() throws -> FacePipeline {
        try FacePipeline.dlib(
            modelDirectory: resolvedModelDirectory,
            detectorOptions: .init(upsample: upsample, adjustThreshold: adjustThreshold),
            limits: ImageLimits(maxBytes: maxBytes, maxPixels: maxPixels)
        )
    }

    func analysisOptions(embed: Bool) -> AnalysisOptions {
        AnalysisOptions(embed: embed, maxFaces: maxFaces, minFaceSize: minFaceSize)
    }
}
