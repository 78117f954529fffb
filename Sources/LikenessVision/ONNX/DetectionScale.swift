/// The longer side at which a photo is detected, for the detectors that run at the image's
/// own size (YuNet and SCRFD on ONNX Runtime): the smallest that still finds the pack's
/// smallest wanted face, never above the pack's input size, never below `smallestSide`.
///
/// Without a minimum face size a 250 x 250 photo is detected on a 256 canvas; with 32 px it is
/// shrunk to 160, which costs 40% of the pixels and, on LFW's 3,443 DevTrain photos, finds more
/// faces at YuNet's 0.8 threshold (all but 1, against all but 21 at 256) and scores pairs the
/// same (99.18% against 99.14% at the best threshold: bench/lfw.sh). Below 160 YuNet starts
/// to miss large faces (128: 128 photos without a face), so that is the floor.
public enum DetectionScale {
    /// The face size, in pixels at the detector's input, that YuNet and SCRFD still find
    /// reliably (their smallest anchors are 10 and 16 px).
    public static let reliableFace = 20.0
    /// Canvases smaller than this lose the context the detectors need for large faces.
    public static let smallestSide = 160

    /// The limit for `ImageTransforms.shrunkSize`: `inputSize`, lowered so that a face of
    /// `minFaceSize` pixels in the photo is still `reliableFace` pixels at the detector.
    /// The parity reference (bench/parity_onnx.py) applies the same rule.
    public static func limit(width: Int, height: Int, inputSize: Int, minFaceSize: Double?) -> Int {
        guard let minFaceSize, minFaceSize > 0 else { return inputSize }
        let longer = Double(max(width, height))
        let keeping = Int((longer * reliableFace / minFaceSize).rounded(.up))
        return min(inputSize, max(smallestSide, keeping))
    }
}
