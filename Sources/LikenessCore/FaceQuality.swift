import Foundation

/// How usable a detected face is for recognition, measured on the image.
public struct FaceQuality: Sendable, Equatable {
    /// The box's shorter side, in pixels of the upright image.
    public var size: Double
    /// Variance of the Laplacian over the face resampled to 112 x 112 grey levels: low for
    /// blurred or out-of-focus faces, comparable across image sizes.
    public var sharpness: Double
    /// Mean grey level of the face, 0 (black) to 1 (white).
    public var brightness: Double
    /// Head pose in degrees, estimated from the 5 landmarks (rough: about 10-15 degrees);
    /// nil where the landmarks cannot tell (dlib's 5 points have no mouth, so no pitch).
    public var yaw: Double?
    public var pitch: Double?
    public var roll: Double?
    /// The detector's own score (its scale depends on the detector).
    public var detectorScore: Double

    public init(size: Double, sharpness: Double, brightness: Double, yaw: Double?, pitch: Double?, roll: Double?,
                detectorScore: Double) {
        self.size = size
        self.sharpness = sharpness
        self.brightness = brightness
        self.yaw = yaw
        self.pitch = pitch
        self.roll = roll
        self.detectorScore = detectorScore
    }

    /// One figure, 0 (unusable) to 1: the product of each measure's own 0-1 score, so any one
    /// bad measure pulls it down. Size counts from 16 up to 80 px, sharpness on a log scale
    /// from 10 to 100, pose down to 0 at 90 degrees of yaw or 60 of pitch, brightness away
    /// from mid-grey. LFW's faces: median 0.6, 5% below 0.3.
    public var overall: Double {
        let sizeScore = clamp((size - 16) / (80 - 16))
        let sharpScore = clamp(log(max(sharpness, 1) / 10) / log(10))
        let yawScore = yaw.map { clamp(1 - abs($0) / 90) } ?? 1
        let pitchScore = pitch.map { clamp(1 - abs($0) / 60) } ?? 1
        let lightScore = clamp(1 - pow(abs(brightness - 0.5) / 0.45, 2))
        return sizeScore * sharpScore * yawScore * pitchScore * lightScore
    }

    private func clamp(_ x: Double) -> Double { x.isFinite ? min(1, max(0, x)) : 0 }
}

/// The least a face must offer to be enrolled (or, behind a setting, searched). Any of them
/// may be nil to not check it.
public struct QualityRequirements: Sendable, Equatable {
    public var minSize: Double?
    public var minSharpness: Double?
    public var maxYaw: Double?
    public var maxPitch: Double?
    public var minBrightness: Double?
    public var maxBrightness: Double?
    public var minDetectorScore: Double?

    public init(minSize: Double? = nil, minSharpness: Double? = nil, maxYaw: Double? = nil, maxPitch: Double? = nil,
                minBrightness: Double? = nil, maxBrightness: Double? = nil, minDetectorScore: Double? = nil) {
        self.minSize = minSize
        self.minSharpness = minSharpness
        self.maxYaw = maxYaw
        self.maxPitch = maxPitch
        self.minBrightness = minBrightness
        self.maxBrightness = maxBrightness
        self.minDetectorScore = minDetectorScore
    }

    /// Enrolment defaults, checked on a third of LFW DevTrain: they refuse 1-2% of its faces
    /// (mostly turned more than 45 degrees), and the blurred, tiny and profile faces of the tests.
    public static let enrollment = QualityRequirements(minSize: 40, minSharpness: 15, maxYaw: 45, maxPitch: 35,
                                                       minBrightness: 0.12, maxBrightness: 0.92)

    /// Why a face falls short, or nil when it meets every requirement.
    public func shortfall(_ q: FaceQuality) -> QualityShortfall? {
        if let m = minSize, q.size < m { return .init(reason: "too_small", message: "the face is \(Int(q.size)) px, less than \(Int(m)) px") }
        if let m = minSharpness, q.sharpness < m {
            return .init(reason: "blurred", message: String(format: "the face is blurred (sharpness %.1f, at least %.1f needed)", q.sharpness, m))
        }
        if let m = maxYaw, let yaw = q.yaw, abs(yaw) > m {
            return .init(reason: "turned", message: String(format: "the face is turned %.0f degrees sideways (at most %.0f)", abs(yaw), m))
        }
        if let m = maxPitch, let pitch = q.pitch, abs(pitch) > m {
            return .init(reason: "tilted", message: String(format: "the face is tilted %.0f degrees up or down (at most %.0f)", abs(pitch), m))
        }
        if let m = minBrightness, q.brightness < m {
            return .init(reason: "too_dark", message: String(format: "the face is too dark (brightness %.2f, at least %.2f)", q.brightness, m))
        }
        if let m = maxBrightness, q.brightness > m {
            return .init(reason: "too_bright", message: String(format: "the face is overexposed (brightness %.2f, at most %.2f)", q.brightness, m))
        }
        if let m = minDetectorScore, q.detectorScore < m {
            return .init(reason: "low_detector_score", message: String(format: "the detector's score %.3f is below %.3f", q.detectorScore, m))
        }
        return nil
    }
}

/// A face below a requirement: `reason` is stable (`too_small`, `blurred`, `turned`, ...).
public struct QualityShortfall: Sendable, Equatable {
    public var reason: String
    public var message: String
}
