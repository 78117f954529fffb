/// A file to fetch for a catalog entry: the file itself, or a zip archive to take files from.
public struct PackDownload: Sendable, Equatable {
    public var url: String
    public var sha256: String
    /// Archive member base name -> installed file name; empty when the download is the file.
    public var members: [String: String]
    /// The installed file name when the download is the file itself.
    public var saveAs: String?

    public init(url: String, sha256: String, saveAs: String) {
        self.url = url
        self.sha256 = sha256
        self.saveAs = saveAs
        self.members = [:]
    }

    public init(archive url: String, sha256: String, members: [String: String]) {
        self.url = url
        self.sha256 = sha256
        self.members = members
        self.saveAs = nil
    }

    public var fileName: String { String(url.split(separator: "/").last.map { $0.split(separator: "?").first ?? $0 } ?? "download") }
}

/// A pack (or add-on) that `likeness models install NAME` knows how to fetch.
public struct CatalogEntry: Sendable, Equatable {
    public var name: String
    public var summary: String
    /// Shown before downloading; where it restricts use, the user must confirm.
    public var licence: String
    public var restricted: Bool
    public var downloads: [PackDownload]
    /// Written as pack.json once the files are in place; nil for add-ons (model files other
    /// packs refer to, such as the anti-spoofing models).
    public var pack: ModelPack?

    public init(name: String, summary: String, licence: String, restricted: Bool, downloads: [PackDownload], pack: ModelPack?) {
        self.name = name
        self.summary = summary
        self.licence = licence
        self.restricted = restricted
        self.downloads = downloads
        self.pack = pack
    }
}

/// The packs Likeness can install, from their publishers' addresses, each pinned by sha256.
public enum PackCatalog {
    static let yunetURL = "https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/face_detection_yunet_2022mar.onnx"
    static let yunetSHA = "50ef07f702a31741ca46a4c0d947773b64143b9362780237bf0d427d6c79bab7"

    /// YuNet, the detector of the packs without one of their own.
    static let yunet = ModelPack.Detector(
        type: .yunet, model: .init(file: "face_detection_yunet_2022mar.onnx", sha256: yunetSHA, licence: "MIT"),
        inputSize: 640, minFaceSize: 32, scoreThreshold: 0.8, nmsThreshold: 0.3)

    /// The anti-spoofing add-on's files, referred to from the packs; optional at load time.
    static let liveness = ModelPack.Liveness(threshold: 0.7, models: [
        .init(model: .init(file: "../minifasnet/minifasnet_v2_2.7_80x80.onnx",
                           sha256: "23c35d6762dca2a07e17979b0f76263cc9ffea6e3d55c7ded23108a625bd79f7", licence: "Apache-2.0"),
              scale: 2.7, inputSize: 80),
        .init(model: .init(file: "../minifasnet/minifasnet_v1se_4.0_80x80.onnx",
                           sha256: "993e41cad1ca54f02ae4a67bb3f6f41e8091ebc5310f295fa823c51747649384", licence: "Apache-2.0"),
              scale: 4.0, inputSize: 80),
    ])

    static let insightfaceLicence = "InsightFace pretrained weights: non-commercial research only (https://github.com/deepinsight/insightface#license)"
    static let arcfaceNormalization = PixelNormalization(rgb: true, mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5])
    static let genderage = ModelPack.Attributes(
        type: "genderage", model: .init(file: "genderage.onnx", licence: "InsightFace: non-commercial research only"),
        inputSize: 96, normalization: PixelNormalization(rgb: true, mean: [0, 0, 0], std: [1, 1, 1]))

    /// An InsightFace archive's own SCRFD detector, as InsightFace runs it (score 0.5, NMS 0.4),
    /// at the image's size on ONNX Runtime (its input size is dynamic, which OpenCV 4.6 cannot
    /// load). The output names are those of the same networks in ../shared/models, which were
    /// only pinned to 640 x 640.
    static func scrfd(_ file: String, outputs: SCRFDDetector.OutputNames) -> ModelPack.Detector {
        ModelPack.Detector(type: .scrfd, model: .init(file: file, licence: "InsightFace: non-commercial research only"),
                           inputSize: 640, scoreThreshold: 0.5, nmsThreshold: 0.4, outputs: outputs)
    }

    static let det500m = scrfd("det_500m.onnx", outputs: .init(scores: ["443", "468", "493"], boxes: ["446", "471", "496"],
                                                              keypoints: ["449", "474", "499"]))
    static let det2_5g = scrfd("det_2.5g.onnx", outputs: .init(scores: ["446", "466", "486"], boxes: ["449", "469", "489"],
                                                              keypoints: ["452", "472", "492"]))

    static func buffalo(_ size: String, sha256: String, detector: ModelPack.Detector, recognizer: String, id: String,
                        summary: String) -> CatalogEntry {
        CatalogEntry(
            name: "insightface-buffalo_\(size)", summary: summary, licence: insightfaceLicence, restricted: true,
            downloads: [
                PackDownload(archive: "https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_\(size).zip",
                             sha256: sha256, members: [detector.model.file: detector.model.file, recognizer: recognizer,
                                                       "genderage.onnx": "genderage.onnx"]),
            ],
            pack: ModelPack(
                name: "insightface-buffalo_\(size)", description: summary, detector: detector,
                recognizer: .init(type: .arcface, id: id,
                                  model: .init(file: recognizer, licence: "InsightFace: non-commercial research only"),
                                  inputSize: 112, embeddingSize: 512, normalization: arcfaceNormalization, threshold: 0.3, batch: true),
                liveness: liveness, attributes: genderage))
    }

    public static let known: [CatalogEntry] = [
        buffalo("m", sha256: "d98264bd8f2dc75cbc2ddce2a14e636e02bb857b3051c234b737bf3b614edca9", detector: det2_5g,
                recognizer: "w600k_r50.onnx", id: "insightface_w600k_r50",
                summary: "InsightFace SCRFD-2.5G + ArcFace IResNet-50 (WebFace600K, 512-d) + genderage"),
        buffalo("s", sha256: "d85a87f503f691807cd8bb97128bdf7a0660326cd9cd02657127fa978bab8b5e", detector: det500m,
                recognizer: "w600k_mbf.onnx", id: "insightface_w600k_mbf",
                summary: "InsightFace SCRFD-500M + ArcFace MobileFaceNet (WebFace600K, 512-d) + genderage"),
        CatalogEntry(
            name: "opencv-yunet-sface", summary: "OpenCV zoo: YuNet 2022mar + SFace 2021dec (128-d)",
            licence: "YuNet: MIT; SFace: Apache-2.0", restricted: false,
            downloads: [
                PackDownload(url: yunetURL, sha256: yunetSHA, saveAs: "face_detection_yunet_2022mar.onnx"),
                PackDownload(url: "https://github.com/opencv/opencv_zoo/raw/main/models/face_recognition_sface/face_recognition_sface_2021dec.onnx",
                             sha256: "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79",
                             saveAs: "face_recognition_sface_2021dec.onnx"),
            ],
            pack: ModelPack(
                name: "opencv-yunet-sface", description: "OpenCV zoo: YuNet 2022mar + SFace 2021dec (128-d)", detector: yunet,
                recognizer: .init(type: .arcface, id: "opencv_sface_2021dec",
                                  model: .init(file: "face_recognition_sface_2021dec.onnx", licence: "Apache-2.0"),
                                  inputSize: 112, embeddingSize: 128,
                                  normalization: PixelNormalization(rgb: true, mean: [0, 0, 0], std: [1, 1, 1]),
                                  // OpenCV's published cosine threshold for SFace.
                                  threshold: 0.363, batch: true),
                liveness: liveness)),
        CatalogEntry(
            name: "minifasnet",
            summary: "Anti-spoofing add-on: Silent-Face MiniFASNetV2 (2.7x) + MiniFASNetV1SE (4.0x), used by the packs above",
            licence: "Apache-2.0 (Silent-Face-Anti-Spoofing; ONNX exports)", restricted: false,
            downloads: [
                PackDownload(url: "https://github.com/yakhyo/face-anti-spoofing/releases/download/weights/MiniFASNetV2.onnx",
                             sha256: "23c35d6762dca2a07e17979b0f76263cc9ffea6e3d55c7ded23108a625bd79f7",
                             saveAs: "minifasnet_v2_2.7_80x80.onnx"),
                PackDownload(url: "https://github.com/yakhyo/face-anti-spoofing/releases/download/weights/MiniFASNetV1SE.onnx",
                             sha256: "993e41cad1ca54f02ae4a67bb3f6f41e8091ebc5310f295fa823c51747649384",
                             saveAs: "minifasnet_v1se_4.0_80x80.onnx"),
            ],
            pack: nil),
    ]

    public static func entry(named name: String) -> CatalogEntry? { known.first { $0.name == name } }
}
