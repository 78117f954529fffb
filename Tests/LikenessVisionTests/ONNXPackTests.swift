import Dispatch
import Foundation
import LikenessCore
import LikenessVision
import Synchronization
import Testing

/// The ONNX packs on the real models of ../shared/models.
@Suite(.enabled(if: Fixtures.sharedAvailable, Fixtures.skipMessage))
struct ONNXPackTests {
    static let packs = ["yunet-mobilefacenet", "scrfd500m-mobilefacenet"]

    @Test(arguments: packs, [
        ("face_recognition/two_people.jpg", 2),
        ("deepface/couple.jpg", 2),
        ("nofaces/view.jpg", 0),
        ("insightface/t1.jpg", 6),
    ])
    func faceCounts(pack: String, image: (path: String, expected: Int)) throws {
        let pipeline = try Fixtures.packPipeline(pack)
        let analysis = try pipeline.analyzeNow(try Fixtures.bytes(image.path), options: AnalysisOptions(embed: false))
        #expect(analysis.faces.count == image.expected, "\(pack) \(image.path)")
        for face in analysis.faces {
            let box = face.detection.box
            #expect(box.x >= 0 && box.y >= 0 && box.x + box.width <= Double(analysis.width) + 1e-9
                    && box.y + box.height <= Double(analysis.height) + 1e-9)
            #expect(face.detection.landmarks?.scheme == .fivePoint && face.detection.landmarks?.points.count == 5)
        }
    }

    /// Same person above the recognizer's threshold, different people below it.
    @Test(arguments: packs)
    func verification(pack: String) throws {
        let pipeline = try Fixtures.packPipeline(pack)
        func embedding(_ path: String) throws -> Embedding {
            try #require(try pipeline.analyzeNow(try Fixtures.bytes(path)).faces.first?.embedding)
        }
        let obama1 = try embedding("face_recognition/knn_examples/train/obama/obama.jpg")
        let obama2 = try embedding("face_recognition/obama-480p.jpg")
        let biden = try embedding("face_recognition/knn_examples/train/biden/biden.jpg")
        let threshold = pipeline.recognizer.defaultThreshold
        #expect(obama1.dimension == 128 && obama1.recognizer == RecognizerID("mobilefacenet_128"))
        #expect(abs(obama1.vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        let same = try #require(obama1.similarity(to: obama2)), different = try #require(obama1.similarity(to: biden))
        #expect(same >= threshold, "same person \(same)")
        #expect(different < threshold, "different people \(different)")
    }

    /// Several faces in one forward pass give the same embeddings as one at a time.
    @Test func batchingMatchesSingleFaces() throws {
        let pipeline = try Fixtures.packPipeline("scrfd500m-mobilefacenet")
        let image = try ImageDecoder().decode(try Fixtures.bytes("insightface/t1.jpg"))
        let faces = try pipeline.detector.detect(in: image)
        let batched = try pipeline.embedder.embed(faces: faces, in: image)
        for (i, face) in faces.enumerated() {
            let single = try pipeline.embedder.embed(faces: [face], in: image)[0]
            #expect((batched[i].similarity(to: single) ?? 0) > 0.99999)
        }
    }

    /// The spoof photos are stored rotated (EXIF orientation 6); the decoder turns them upright.
    @Test(arguments: packs, [("spoof/image_F1.jpg", false), ("spoof/image_F2.jpg", false), ("spoof/image_T1.jpg", true)])
    func antiSpoofing(pack: String, image: (path: String, real: Bool)) throws {
        let pipeline = try Fixtures.packPipeline(pack)
        #expect(pipeline.capabilities.liveness)
        let analysis = try pipeline.analyzeNow(try Fixtures.bytes(image.path), options: AnalysisOptions(embed: false, liveness: true))
        #expect(analysis.width < analysis.height, "the photo was not turned upright")
        let liveness = try #require(analysis.faces.first?.liveness)
        #expect(liveness.isReal == image.real, "\(pack) \(image.path): score \(liveness.score)")
        #expect(analysis.timings["liveness"] != nil)
    }

    @Test func livenessOnlyWhenAsked() throws {
        let pipeline = try Fixtures.packPipeline("yunet-mobilefacenet")
        let analysis = try pipeline.analyzeNow(try Fixtures.bytes("spoof/image_T1.jpg"), options: AnalysisOptions(embed: false))
        #expect(analysis.faces.first?.liveness == nil && analysis.faces.first?.attributes == nil)
    }

    /// Missing anti-spoofing files: the pack still loads and says liveness is unavailable.
    @Test func missingLivenessModelsLeaveTheRestWorking() throws {
        let dir = try Fixtures.temporaryDirectory()
        var installed = try InstalledPack.read(path: try Fixtures.packFile("yunet-mobilefacenet"))
        installed.pack.liveness?.models[0].model.file = dir + "/absent.onnx"
        #expect(installed.missingExtras().count == 1)
        let pipeline = try FacePipeline.load(installed)
        #expect(!pipeline.capabilities.liveness)
        let analysis = try pipeline.analyzeNow(try Fixtures.bytes("spoof/image_T1.jpg"), options: AnalysisOptions(liveness: true))
        #expect(analysis.faces.count == 1 && analysis.faces[0].embedding != nil && analysis.faces[0].liveness == nil)
    }

    @Test func scoreThresholdAndMinimumSize() throws {
        var installed = try InstalledPack.read(path: try Fixtures.packFile("scrfd500m-mobilefacenet"))
        installed.pack.detector.scoreThreshold = 0.99
        let strict = try FacePipeline.load(installed)
        let bytes = try Fixtures.bytes("insightface/t1.jpg")
        #expect(try strict.analyzeNow(bytes, options: AnalysisOptions(embed: false)).faces.isEmpty)
        let pipeline = try Fixtures.packPipeline("scrfd500m-mobilefacenet")
        let big = try pipeline.analyzeNow(bytes, options: AnalysisOptions(embed: false, minFaceSize: 110))
        #expect(!big.faces.isEmpty && big.faces.count < 6 && big.faces.allSatisfy { min($0.detection.box.width, $0.detection.box.height) >= 110 })
    }

    /// A face cut by the image border is still found, with its box clipped to the image.
    @Test(arguments: packs)
    func faceAtTheEdge(pack: String) throws {
        let pipeline = try Fixtures.packPipeline(pack)
        let full = try ImageDecoder().decode(try Fixtures.bytes("face_recognition/obama-480p.jpg"))
        let face = try #require(try pipeline.detector.detect(in: full).max { $0.box.area < $1.box.area })
        // Crop so the left quarter of the face falls outside.
        let cut = Int(face.box.x + face.box.width / 4)
        let width = full.width - cut
        var bgr = [UInt8](repeating: 0, count: width * full.height * 3)
        for y in 0..<full.height {
            for x in 0..<(width * 3) { bgr[y * width * 3 + x] = full.bgr[y * full.width * 3 + cut * 3 + x] }
        }
        let cropped = Image(width: width, height: full.height, bgr: bgr)
        let found = try pipeline.analyze(image: cropped, options: AnalysisOptions(embed: true)).faces
        let first = try #require(found.first)
        // YuNet extends the box past the border (clipped to 0); SCRFD boxes the visible part.
        #expect(first.detection.box.x < 2)
        #expect(first.embedding != nil)
    }

    /// Any size and aspect ratio: tiny, very wide, very tall, and bigger than YuNet's max side.
    @Test(arguments: packs)
    func extremeImageSizes(pack: String) throws {
        let pipeline = try Fixtures.packPipeline(pack)
        for (w, h) in [(1, 1), (2000, 1), (1, 2000), (3000, 200), (17, 4000), (2600, 1900)] {
            let image = Image(width: w, height: h, bgr: [UInt8](repeating: 90, count: w * h * 3))
            let analysis = try pipeline.analyze(image: image, options: AnalysisOptions(liveness: true))
            #expect(analysis.faces.isEmpty, "\(pack) \(w)x\(h)")
        }
        // A real face in a large, wide canvas is still found at its place.
        let face = try ImageDecoder().decode(try Fixtures.bytes("face_recognition/obama-720p.jpg"))
        let w = 3200, h = 900
        var bgr = [UInt8](repeating: 40, count: w * h * 3)
        for y in 0..<face.height {
            for x in 0..<(face.width * 3) { bgr[((y + 100) * w + 1800) * 3 + x] = face.bgr[y * face.width * 3 + x] }
        }
        let found = try pipeline.analyze(image: Image(width: w, height: h, bgr: bgr), options: AnalysisOptions()).faces
        let first = try #require(found.first)
        #expect(first.detection.box.x > 1800 && first.detection.box.y > 100 && first.embedding != nil)
    }

    /// OpenCV 4.6's FaceDetectorYN, set to a new input size, can answer with faces that depend on
    /// the sizes before (a plain grey strip "had faces" after 98 of 225 size pairs); the detector
    /// must give the same answer for an image whatever came before it.
    @Test func yunetDoesNotDependOnEarlierImageSizes() throws {
        let installed = try InstalledPack.read(path: try Fixtures.packFile("yunet-mobilefacenet"))
        let detector = try YuNetDetector(modelPath: installed.path(of: installed.pack.detector.model),
                                         options: .init(scoreThreshold: 0.8))
        let photo = try ImageDecoder().decode(try Fixtures.bytes("insightface/t1.jpg"))
        let reference = try detector.detect(in: photo)
        #expect(reference.count == 6)
        let grey = Image(width: 3000, height: 200, bgr: [UInt8](repeating: 90, count: 3000 * 200 * 3))
        for (w, h) in [(1, 1), (2000, 1), (1, 2000), (17, 4000), (250, 250), (128, 128), (2600, 1900)] {
            _ = try detector.detect(in: Image(width: w, height: h, bgr: [UInt8](repeating: 30, count: w * h * 3)))
            #expect(try detector.detect(in: grey).isEmpty, "after \(w)x\(h)")
            #expect(try detector.detect(in: photo) == reference, "after \(w)x\(h)")
        }
    }

    /// Several threads sharing a pipeline (as the server's workers do) get exactly the answers
    /// one thread gets: each takes its own copy of a network, and no copy changes shape.
    @Test(arguments: packs)
    func concurrentAnalysesMatchSequentialOnes(pack: String) throws {
        let pipeline = try Fixtures.packPipeline(pack)
        let paths = ["insightface/t1.jpg", "deepface/couple.jpg", "face_recognition/obama-240p.jpg", "spoof/image_F1.jpg",
                     "face_recognition/two_people.jpg", "deepface/img1.jpg", "nofaces/view.jpg", "spoof/image_T1.jpg"]
        let images = try paths.map { try Fixtures.bytes($0) }
        let options = AnalysisOptions(liveness: true)
        @Sendable func signature(_ a: ImageAnalysis) -> [[Double]] {
            a.faces.map { f in [f.detection.box.x, f.detection.box.y, f.detection.score, f.liveness?.score ?? -1]
                + (f.embedding?.vector.map(Double.init) ?? []) }
        }
        let expected = try images.map { signature(try pipeline.analyzeNow($0, options: options)) }
        let results = Mutex<[Int: [[Double]]]>([:])
        let jobs = Array(images.indices) + Array(images.indices.reversed())
        DispatchQueue.concurrentPerform(iterations: jobs.count) { j in
            let i = jobs[j]
            if let analysis = try? pipeline.analyzeNow(images[i], options: options) {
                let s = signature(analysis)
                results.withLock { all in
                    if let seen = all[i], seen != s { all[-1 - i] = s } else { all[i] = s }
                }
            }
        }
        let all = results.withLock { $0 }
        for i in images.indices {
            #expect(all[i] == expected[i], "\(paths[i]) differs when run concurrently")
            #expect(all[-1 - i] == nil, "\(paths[i]) gave two different answers")
        }
    }
}
