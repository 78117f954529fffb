import Foundation
import LikenessCore
@testable import LikenessVision
import Testing

/// The detectors at the image's own size on ONNX Runtime: YuNet (its pinned input freed in
/// memory, OpenCV's decoding reproduced) against cv::FaceDetectorYN on the same canvas, and SCRFD.
@Suite(.enabled(if: Fixtures.sharedAvailable, Fixtures.skipMessage))
struct ImageSizedDetectorTests {
    static let model = Fixtures.sharedModels + "/face_detection_yunet_2022mar.onnx"

    /// A 250 x 250 photo: OpenCV at a 256 canvas, ONNX Runtime padded to 256 x 256, so both
    /// see the same pixels; the faces must agree to a thousandth of a pixel.
    @Test(arguments: ["lfw-devtrain/AJ_Cook/AJ_Cook_0001.jpg", "lfw-devtrain/Aaron_Peirsol/Aaron_Peirsol_0001.jpg",
                      "lfw-devtrain/Abdullah/Abdullah_0001.jpg"])
    func matchesFaceDetectorYN(photo: String) throws {
        let options = YuNetDetector.Options(scoreThreshold: 0.6, nmsThreshold: 0.3, inputSize: 256)
        let image = try ImageDecoder().decode(try Fixtures.bytes(photo))
        let opencv = try YuNetDetector(modelPath: Self.model, options: options).detect(in: image)
        let runtime = try YuNetRuntimeDetector(modelPath: Self.model, options: options).detect(in: image)
        #expect(opencv.count == runtime.count && !runtime.isEmpty)
        for (a, b) in zip(opencv, runtime) {
            let pairs = [(a.box.x, b.box.x), (a.box.y, b.box.y), (a.box.width, b.box.width), (a.box.height, b.box.height), (a.score, b.score)]
                + zip(a.landmarks!.points, b.landmarks!.points).flatMap { [($0.x, $1.x), ($0.y, $1.y)] }
            for (x, y) in pairs { #expect(abs(x - y) < 1e-3, "\(a) vs \(b)") }
        }
    }

    /// A minimum face size of 32 px detects a 250 x 250 photo at 160, exactly as an input size
    /// of 160 does; with no minimum the same photo runs at its own size and finds the same face.
    @Test func minimumFaceSizeShrinksTheCanvas() throws {
        let image = try ImageDecoder().decode(try Fixtures.bytes("lfw-devtrain/AJ_Cook/AJ_Cook_0001.jpg"))
        let byMinimum = try YuNetRuntimeDetector(modelPath: Self.model, options: .init(scoreThreshold: 0.8, inputSize: 640, minFaceSize: 32))
            .detect(in: image)
        let bySize = try YuNetRuntimeDetector(modelPath: Self.model, options: .init(scoreThreshold: 0.8, inputSize: 160)).detect(in: image)
        let native = try YuNetRuntimeDetector(modelPath: Self.model, options: .init(scoreThreshold: 0.8, inputSize: 640)).detect(in: image)
        #expect(byMinimum == bySize && byMinimum.count == 1)
        #expect(byMinimum.first?.box.iou(try #require(native.first).box) ?? 0 > 0.8)
        #expect(byMinimum != native)
    }

    @Test func canvasesArePaddedToMultiplesOf32() {
        #expect(YuNetRuntimeDetector.padded(1) == 64 && YuNetRuntimeDetector.padded(64) == 64 && YuNetRuntimeDetector.padded(65) == 96)
        #expect(YuNetRuntimeDetector.padded(250) == 256 && YuNetRuntimeDetector.padded(640) == 640)
        // OpenCV's priors line up with the network's outputs: 3760 candidates at 256 x 256.
        #expect(YuNetRuntimeDetector.priors(width: 256, height: 256).count == 3760)
    }

    /// Equal scores keep their order (a stable sort, as cv::dnn::NMSBoxes); overlapping boxes
    /// above the threshold go, the others stay.
    @Test func nmsIsOpenCVs() {
        let boxes = [(0, 0, 10, 10), (1, 1, 10, 10), (50, 50, 10, 10), (0, 0, 10, 10)]
        #expect(YuNetRuntimeDetector.nms(boxes: boxes, scores: [0.9, 0.95, 0.9, 0.9], threshold: 0.3) == [1, 2])
        #expect(YuNetRuntimeDetector.nms(boxes: boxes, scores: [0.9, 0.8, 0.7, 0.9], threshold: 0.9) == [0, 1, 2])
    }

    @Test func shapeEditorRefusesBrokenFilesAndKeepsTheRest() throws {
        #expect(throws: ONNXShapeEditor.Malformed.self) { try ONNXShapeEditor.freeingSpatialInput([0x3A, 0xFF]) }
        #expect(throws: ONNXShapeEditor.Malformed.self) { try ONNXShapeEditor.freeingSpatialInput([0x0B]) }
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.model)))
        let edited = try ONNXShapeEditor.freeingSpatialInput(original)
        // Only shapes change: the weights (most of the file) are copied as they were.
        #expect(abs(edited.count - original.count) < 2_000)
        let fields = try ONNXShapeEditor.parse(edited, path: "model")
        #expect(fields.map(\.number) == (try ONNXShapeEditor.parse(original, path: "model")).map(\.number))
        // A truncated model file is a load error naming the file, not a crash.
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(original.prefix(original.count / 2)).write(to: URL(fileURLWithPath: dir + "/cut.onnx"))
        #expect(throws: ModelLoadError.self) { try YuNetRuntimeDetector(modelPath: dir + "/cut.onnx") }
    }

    /// SCRFD on ONNX Runtime runs at the image's size too: 250 x 250 on a 256 canvas, large
    /// photos shrunk to the pack's input size on their longer side.
    @Test func scrfdRunsAtTheImageSize() throws {
        let installed = try InstalledPack.read(path: try Fixtures.packFile("scrfd500m-mobilefacenet"))
        let d = installed.pack.detector
        let detector = try SCRFDDetector(modelPath: installed.path(of: d.model), inputSize: d.inputSize ?? 640, outputs: d.outputs!)
        #expect(detector.sizedToImage == (ONNXEngine.preferred == .onnxRuntime))
        let photo = Image(width: 1280, height: 960, bgr: [UInt8](repeating: 0, count: 1280 * 960 * 3))
        #expect(ImageTransforms.shrunkSize(width: photo.width, height: photo.height, limit: 640) == (640, 480))
        #expect(SCRFDDetector.padded(250) == 256 && SCRFDDetector.padded(1) == 32)
        let face = try ImageDecoder().decode(try Fixtures.bytes("lfw-devtrain/AJ_Cook/AJ_Cook_0001.jpg"))
        #expect(ImageTransforms.shrunkSize(width: face.width, height: face.height, limit: 640) == (250, 250))
        #expect(try detector.detect(in: face).count == 1)
    }
}
