import Foundation
import LikenessUseCases

/// The threshold a decision used, and why (`/v1` answers carry it as `threshold_applied`).
struct ThresholdDTO: Codable, Sendable {
    var cosine: Double
    var basis: String
    var reason: String
    var comparisons: Int
    var false_match_rate: Double?
    var false_positive_identification_rate: Double?
    var confidence: Double?
    var extrapolated: Bool

    init(_ t: AppliedThreshold) {
        cosine = rounded(t.cosine)
        basis = t.basis.rawValue
        reason = t.reason
        comparisons = t.comparisons
        false_match_rate = t.falseMatchRate.map(significant)
        false_positive_identification_rate = t.falsePositiveIdentificationRate.map(significant)
        confidence = t.confidence.map(tenth)
        extrapolated = t.extrapolated
    }
}

/// A face's quality measures and its one-figure summary.
struct QualityDTO: Codable, Sendable {
    var overall: Double
    var size: Double
    var sharpness: Double
    var brightness: Double
    var yaw: Double?
    var pitch: Double?
    var roll: Double?
    var detector_score: Double

    init(_ q: FaceQuality) {
        overall = (q.overall * 1000).rounded() / 1000
        size = tenth(q.size)
        sharpness = tenth(q.sharpness)
        brightness = (q.brightness * 1000).rounded() / 1000
        yaw = q.yaw.map(tenth)
        pitch = q.pitch.map(tenth)
        roll = q.roll.map(tenth)
        detector_score = (q.detectorScore * 10000).rounded() / 10000
    }
}

/// Why a face fell short of the quality requirements.
struct QualityRefusalDTO: Codable, Sendable {
    var reason: String
    var message: String

    init(_ s: QualityShortfall) {
        reason = s.reason
        message = s.message
    }
}

/// A face that looks like someone else's.
struct MislabelWarningDTO: Codable, Sendable {
    var code: String
    var message: String
    var other_class_id: String
    var other_similarity: Double
    var own_similarity: Double?

    init(_ w: MislabelWarning) {
        code = w.kind.rawValue
        message = w.message
        other_class_id = w.otherClassID
        other_similarity = rounded(w.otherSimilarity)
        own_similarity = w.ownSimilarity.map(rounded)
    }
}

func tenth(_ x: Double) -> Double { (x * 10).rounded() / 10 }

/// Three significant digits, for rates that span many decades.
func significant(_ x: Double) -> Double {
    guard x > 0, x.isFinite else { return x }
    let scale = pow(10, 2 - floor(log10(x)))
    return (x * scale).rounded() / scale
}
