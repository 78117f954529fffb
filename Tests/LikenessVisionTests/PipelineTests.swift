import Foundation
import LikenessCore
import LikenessVision
import Testing

@Suite(.enabled(if: Fixtures.sharedAvailable, Fixtures.skipMessage))
struct PipelineTests {
    @Test(arguments: [
        ("face_recognition/two_people.jpg", 2),
        ("deepface/couple.jpg", 2),
        ("dlib/dogs.jpg", 0),
        ("nofaces/view.jpg", 0),
        ("insightface/t1.jpg", 6),
    ])
    func faceCounts(path: String, expected: Int) throws {
        let pipeline = try Fixtures.dlibPipeline()
        let analysis = try pipeline.analyzeNow(try Fixtures.bytes(path), options: AnalysisOptions(embed: false))
        #expect(analysis.faces.count == expected, "\(path)")
    }

    /// An image bomb within the pixel limit: HOG scans a bounded canvas (less upsampling, then a
    /// downscale) and the face is still found where it is, landmarks on the full image.
    @Test func largeImagesAreScannedOnABoundedCanvas() throws {
        let detector = try DlibFaceDetector(shapePredictorPath: Fixtures.modelDirectory + "/dlib/shape_predictor_5_face_landmarks.dat")
        #expect(detector.canvas(width: 1000, height: 1000) == (1, 1))
        #expect(detector.canvas(width: 2000, height: 2000) == (0, 1))
        let big = detector.canvas(width: 8000, height: 5000)
        #expect(big.upsample == 0 && abs(big.scale * big.scale * 40_000_000 - 8_000_000) < 1000)

        let small = try ImageDecoder().decode(try Fixtures.bytes("face_recognition/obama-240p.jpg"))
        let reference = try #require(try detector.detect(in: small).first)
        let factor = 12.0  // 240p -> about 2880 px high: 17 MP, so scanned downscaled
        let large = try ImageTransforms.resize(small, to: (Int(Double(small.width) * factor), Int(Double(small.height) * factor)))
        let found = try detector.detect(in: Image(width: large.width, height: large.height, bgr: large.bgr))
        let face = try #require(found.first)
        #expect(abs(face.box.center.x - reference.box.center.x * factor) < reference.box.width * factor * 0.15)
        #expect(abs(face.box.width - reference.box.width * factor) < reference.box.width * factor * 0.25)
        #expect(face.landmarks?.points.count == 5)
    }

    @Test func facesAreLargestFirstWithLandmarksAndUnitEmbeddings() throws {
        let pipeline = try Fixtures.dlibPipeline()
        let analysis = try pipeline.analyzeNow(try Fixtures.bytes("insightface/t1.jpg"))
        let areas = analysis.faces.map(\.detection.box.area)
        #expect(areas == areas.sorted(by: >))
        for face in analysis.faces {
            let box = face.detection.box
            #expect(box.x >= 0 && box.y >= 0 && box.x + box.width <= Double(analysis.width) && box.y + box.height <= Double(analysis.height))
            #expect(face.detection.landmarks?.points.count == 5)
            let e = try #require(face.embedding)
            #expect(e.dimension == 128 && e.recognizer == DlibPack.recognizer.id)
            #expect(abs(e.vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        }
        for stage in ["decode", "detect", "landmarks", "align", "embed", "quality"] {
            #expect(analysis.timings[stage] != nil, "missing timing \(stage)")
        }
    }

    @Test func maxFacesAndMinimumSize() throws {
        let pipeline = try Fixtures.dlibPipeline()
        let bytes = try Fixtures.bytes("insightface/t1.jpg")
        #expect(try pipeline.analyzeNow(bytes, options: AnalysisOptions(embed: false, maxFaces: 2)).faces.count == 2)
        let big = try pipeline.analyzeNow(bytes, options: AnalysisOptions(embed: false, minFaceSize: 100))
        #expect(big.faces.count == 5 && big.faces.allSatisfy { $0.detection.box.width >= 100 })
    }

    /// Recall of the ground-truth boxes in dlib's testing.xml (PASCAL VOC photos).
    @Test func recallOnDlibTestingSet() throws {
        let pipeline = try Fixtures.dlibPipeline()
        let truth = try GroundTruth.load(Fixtures.face("dlib/testing.xml"))
        var found = 0, total = 0, extra = 0
        for (file, boxes) in truth {
            let faces = try pipeline.analyzeNow(try Fixtures.bytes("dlib/" + file), options: AnalysisOptions(embed: false)).faces
            let matched = boxes.filter { box in faces.contains { $0.detection.box.iou(box) >= 0.4 } }.count
            found += matched
            total += boxes.count
            extra += max(0, faces.count - matched)
        }
        print("dlib testing.xml: recall \(found)/\(total), \(extra) unmatched detections")
        #expect(Double(found) / Double(total) >= 0.8)
    }

    /// Same/different decisions on deepface's labelled pairs at the recognizer's default threshold.
    @Test func deepfacePairs() throws {
        let pipeline = try Fixtures.dlibPipeline()
        let lines = try String(contentsOf: Fixtures.face("deepface/master.csv"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).dropFirst()
        var cache: [String: Embedding?] = [:]
        func embedding(_ file: String) throws -> Embedding? {
            if let hit = cache[file] { return hit }
            let e = try pipeline.analyzeNow(try Fixtures.bytes("deepface/" + file)).faces.first?.embedding
            cache[file] = e
            return e
        }
        var correct = 0, total = 0, skipped = 0
        for line in lines {
            let cols = line.split(separator: ",").map(String.init)
            guard cols.count == 3 else { continue }
            guard let a = try embedding(cols[0]), let b = try embedding(cols[1]) else {
                skipped += 1
                continue
            }
            let same = (a.similarity(to: b) ?? 0) >= DlibPack.recognizer.defaultThreshold
            total += 1
            if same == (cols[2] == "Yes") { correct += 1 }
        }
        let accuracy = Double(correct) / Double(total)
        print("deepface master.csv: \(correct)/\(total) correct (\(skipped) pairs without a face)")
        #expect(total >= 250 && accuracy >= 0.9)
    }

    /// An EXIF-rotated JPEG of a photo gives the same face and embedding as the upright one.
    @Test func exifRotatedPhotoMatchesUpright() throws {
        let pipeline = try Fixtures.dlibPipeline()
        let upright = try pipeline.decoder.decode(try Fixtures.bytes("face_recognition/obama-480p.jpg"))
        // Both copies go through the same lossy encoding so only the orientation differs.
        let straight = try ImageDecoder.encode(upright, as: ".jpg", quality: 100)
        let turned = ImageBuilders.jpegWithOrientation(
            try ImageDecoder.encode(ImageBuilders.rotatedCounterClockwise(upright), as: ".jpg", quality: 100), 6)
        let a = try pipeline.analyzeNow(straight)
        let b = try pipeline.analyzeNow(turned)
        #expect(b.width == a.width && b.height == a.height)
        try #require(a.faces.count == 1 && b.faces.count == 1)
        #expect(a.faces[0].detection.box.iou(b.faces[0].detection.box) > 0.9)
        let bEmbedding = try #require(b.faces[0].embedding)
        let similarity = try #require(a.faces[0].embedding?.similarity(to: bEmbedding))
        #expect(similarity > 0.99)
    }

    @Test func missingAndBrokenModelsNameTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-models-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("dlib"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect { try FacePipeline.dlib(modelDirectory: dir.path) } throws: { error in
            (error as? ModelLoadError)?.path.hasSuffix("shape_predictor_5_face_landmarks.dat") == true
        }
        // A truncated copy of the real file must fail to load cleanly, not crash.
        let real = try Data(contentsOf: URL(fileURLWithPath: DlibModelFiles(modelDirectory: Fixtures.modelDirectory).shapePredictor))
        let broken = dir.appendingPathComponent("dlib/shape_predictor_5_face_landmarks.dat")
        try real.prefix(real.count / 2).write(to: broken)
        #expect { try DlibFaceDetector(shapePredictorPath: broken.path) } throws: { error in
            (error as? ModelLoadError)?.path == broken.path
        }
        try Data("not a model".utf8).write(to: dir.appendingPathComponent("dlib/dlib_face_recognition_resnet_model_v1.dat"))
        #expect { try DlibFaceEmbedder(modelPath: dir.appendingPathComponent("dlib/dlib_face_recognition_resnet_model_v1.dat").path) } throws: { error in
            error is ModelLoadError
        }
    }

    @Test func analysisOnTwoExecutorThreadsMatches() async throws {
        let pipeline = try Fixtures.dlibPipeline()
        let bytes = try Fixtures.bytes("face_recognition/obama-240p.jpg")
        let executor = BlockingExecutor(name: "test-inference", threads: 2)
        async let first = executor.run { try pipeline.analyzeNow(bytes, options: AnalysisOptions()) }
        async let second = executor.run { try pipeline.analyzeNow(bytes, options: AnalysisOptions()) }
        let (a, b) = try await (first, second)
        #expect(a.faces.count == 1 && a.faces.first?.embedding == b.faces.first?.embedding)
    }
}

/// Face boxes from a dlib imglab XML file (one element a line, as dlib writes them).
enum GroundTruth {
    static func load(_ url: URL) throws -> [(String, [BoundingBox])] {
        var images: [(String, [BoundingBox])] = []
        for line in try String(contentsOf: url, encoding: .isoLatin1).split(whereSeparator: \.isNewline) {
            let attributes = Dictionary(line.matches(of: /(\w+)='([^']*)'/).map { (String($0.1), String($0.2)) }) { a, _ in a }
            if line.contains("<image ") {
                images.append((attributes["file"] ?? "", []))
            } else if line.contains("<box "), attributes["ignore"] != "1",
                      let top = attributes["top"].flatMap(Double.init), let left = attributes["left"].flatMap(Double.init),
                      let w = attributes["width"].flatMap(Double.init), let h = attributes["height"].flatMap(Double.init),
                      !images.isEmpty {
                images[images.count - 1].1.append(BoundingBox(x: left, y: top, width: w, height: h))
            }
        }
        return images
    }
}
