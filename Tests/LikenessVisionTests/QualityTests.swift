import LikenessCore
import LikenessTestSupport
import LikenessVision
import Testing

/// Face quality measured on real photos: sharp frontal faces pass the enrolment requirements;
/// a blurred copy, a tiny face and a profile are refused, each for its own reason.
@Suite(.enabled(if: Fixtures.sharedAvailable, Fixtures.skipMessage))
struct QualityTests {
    static let packs = ["dlib", "yunet-mobilefacenet"]

    func pipeline(_ pack: String) throws -> FacePipeline {
        pack == "dlib" ? try Fixtures.dlibPipeline() : try Fixtures.packPipeline(pack)
    }

    func decoded(_ relative: String) throws -> Image { try ImageDecoder().decode(try Fixtures.bytes(relative)) }

    func largestQuality(_ image: Image, _ pack: String) throws -> FaceQuality {
        let analysis = try pipeline(pack).analyze(image: image, options: AnalysisOptions(embed: false))
        return try #require(analysis.faces.first?.quality, "no face found")
    }

    @Test(arguments: packs, ["face_recognition/obama-480p.jpg", "lfw-devtrain/AJ_Cook/AJ_Cook_0001.jpg",
                             "face_recognition/knn_examples/train/biden/biden.jpg"])
    func sharpFrontalFacesPass(pack: String, photo: String) throws {
        let q = try largestQuality(try decoded(photo), pack)
        #expect(QualityRequirements.enrollment.shortfall(q) == nil, "\(q)")
        #expect(q.overall > 0.3 && abs(q.yaw ?? 0) < 30 && abs(q.roll ?? 0) < 15, "\(q)")
        if pack != "dlib" { #expect(q.pitch != nil) }
    }

    @Test(arguments: packs)
    func blurredCopyIsRefused(pack: String) throws {
        let image = try decoded("face_recognition/obama-480p.jpg")
        let sharp = try largestQuality(image, pack)
        let blurred = try largestQuality(ImageEdits.blurred(image, radius: 4), pack)
        #expect(blurred.sharpness < sharp.sharpness / 5, "\(sharp.sharpness) -> \(blurred.sharpness)")
        #expect(QualityRequirements.enrollment.shortfall(blurred)?.reason == "blurred", "\(blurred)")
        #expect(blurred.overall < sharp.overall)
        // Through PNG encoding and the decoder, the same.
        let viaPNG = try pipeline(pack).analyzeNow(ImageEdits.png(ImageEdits.blurred(image, radius: 4)), options: AnalysisOptions(embed: false))
        #expect(viaPNG.faces.first?.quality == blurred)
    }

    /// Obama's face shrunk to about 25 pixels: YuNet still finds it, too small to enrol.
    @Test func tinyFaceIsRefused() throws {
        let image = ImageEdits.shrunk(try decoded("face_recognition/obama-480p.jpg"), by: 6)
        let q = try largestQuality(image, "yunet-mobilefacenet")
        #expect(q.size < 40, "\(q)")
        #expect(QualityRequirements.enrollment.shortfall(q)?.reason == "too_small", "\(q)")
    }

    /// A woman in profile behind the main subject of deepface's img54.jpg (its face at about
    /// x 1550-1715, y 795-1010).
    @Test func profileIsRefused() throws {
        let analysis = try pipeline("yunet-mobilefacenet").analyze(image: try decoded("deepface/img54.jpg"), options: AnalysisOptions(embed: false))
        let profile = try #require(analysis.faces.first { $0.detection.box.iou(BoundingBox(x: 1551, y: 795, width: 165, height: 213)) > 0.5 })
        let q = try #require(profile.quality)
        #expect(abs(q.yaw ?? 0) > 50, "\(q)")
        #expect(QualityRequirements.enrollment.shortfall(q)?.reason == "turned", "\(q)")
        // The photo's main subject faces the camera.
        let main = try #require(analysis.faces.first?.quality)
        #expect(abs(main.yaw ?? 90) < 30, "\(main)")
    }
}
