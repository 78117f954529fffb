import Foundation

/// How the server decides "same person" when a request does not say.
public enum ThresholdPolicy: Sendable, Equatable {
    /// At most this share of strangers may be accepted by one search (the false positive
    /// identification rate). A search over N faces gives a stranger N chances, so the per-pair
    /// false match rate is this divided by N: the cosine tightens as the gallery grows.
    case identificationRate(Double)
    /// This false match rate per comparison, whatever the gallery's size.
    case falseMatchRate(Double)
    /// This raw cosine (the original system's behaviour).
    case cosine(Float)
}

/// What a request asked for.
public enum ThresholdRequest: Sendable, Equatable {
    case policy
    /// A raw cosine of the pack (the original's `threshold`).
    case cosine(Float)
    /// A confidence on the shared 0-100 scale (`/v1`'s `min_confidence`).
    case minConfidence(Double)
}

/// The threshold a decision used, and why: every answer carries it.
public struct AppliedThreshold: Sendable, Equatable {
    public enum Basis: String, Sendable {
        case requestThreshold = "request_threshold"
        case requestMinConfidence = "request_min_confidence"
        case falsePositiveIdentificationRate = "false_positive_identification_rate"
        case falseMatchRate = "false_match_rate"
        case fixedCosine = "fixed_cosine"
        /// The pack has no calibration: its own default cosine.
        case packDefault = "pack_default"
    }

    public var cosine: Float
    public var basis: Basis
    /// Faces the decision compared the query with (the gallery, or one person's faces).
    public var comparisons: Int
    /// Per comparison, at this cosine; nil without a calibration.
    public var falseMatchRate: Double?
    /// Expected share of strangers accepted over `comparisons` faces (about N x FMR).
    public var falsePositiveIdentificationRate: Double?
    public var confidence: Double?
    /// The FMR lies below what the calibration's pairs could measure.
    public var extrapolated: Bool

    /// One sentence for people reading the answer.
    public var reason: String {
        let fmr = falseMatchRate.map { String(format: "%.1e", $0) } ?? "unknown"
        let fpir = falsePositiveIdentificationRate.map { String(format: "%.2g%%", $0 * 100) } ?? "unknown"
        let tail = extrapolated ? " (beyond the calibration's measured range: extrapolated)" : ""
        let faces = comparisons == 1 ? "1 enrolled face" : "\(comparisons) enrolled faces"
        switch basis {
        case .requestThreshold: return "the request's cosine threshold; false match rate \(fmr) per face\(tail)"
        case .requestMinConfidence: return "the request's min_confidence; false match rate \(fmr) per face\(tail)"
        case .falsePositiveIdentificationRate:
            return "at most \(fpir) of strangers accepted over \(faces): false match rate \(fmr) per face\(tail)"
        case .falseMatchRate: return "the configured false match rate \(fmr) per face; \(fpir) of strangers over \(faces)\(tail)"
        case .fixedCosine: return "the configured fixed cosine; false match rate \(fmr) per face\(tail)"
        case .packDefault: return "the pack's default cosine: the pack has no calibration"
        }
    }
}

/// Turns a policy, a request and a gallery size into a cosine.
public struct ThresholdResolver: Sendable {
    public var recognizer: RecognizerInfo
    public var policy: ThresholdPolicy

    public init(recognizer: RecognizerInfo, policy: ThresholdPolicy) {
        self.recognizer = recognizer
        self.policy = policy
    }

    public func resolve(_ request: ThresholdRequest, comparisons: Int) throws -> AppliedThreshold {
        let n = max(1, comparisons)
        let calibration = recognizer.calibration
        let (cosine, basis): (Float, AppliedThreshold.Basis)
        switch request {
        case let .cosine(value):
            guard value.isFinite else { throw DomainError.invalid(code: "invalid_parameter", message: "'threshold' must be a number") }
            (cosine, basis) = (value, .requestThreshold)
        case let .minConfidence(value):
            guard value.isFinite, (0...100).contains(value) else {
                throw DomainError.invalid(code: "invalid_parameter", message: "'min_confidence' must be a number in 0...100")
            }
            guard let calibration else {
                throw DomainError.unprocessable(code: "not_calibrated",
                                                message: "the recognizer \(recognizer.id) has no calibration: send 'threshold' (a cosine) instead")
            }
            (cosine, basis) = (calibration.cosine(forConfidence: value), .requestMinConfidence)
        case .policy:
            switch (policy, calibration) {
            case let (.cosine(value), _): (cosine, basis) = (value, .fixedCosine)
            case let (.identificationRate(rate), calibration?):
                (cosine, basis) = (calibration.cosine(forFalseMatchRate: rate / Double(n)), .falsePositiveIdentificationRate)
            case let (.falseMatchRate(rate), calibration?): (cosine, basis) = (calibration.cosine(forFalseMatchRate: rate), .falseMatchRate)
            case (_, nil): (cosine, basis) = (recognizer.defaultThreshold, .packDefault)
            }
        }
        let fmr = calibration?.falseMatchRate(at: cosine)
        return AppliedThreshold(
            cosine: cosine, basis: basis, comparisons: n, falseMatchRate: fmr,
            // Each of the n faces is one chance for a stranger: 1 - (1 - FMR)^n, about n x FMR.
            falsePositiveIdentificationRate: fmr.map { 1 - pow(1 - $0, Double(n)) },
            confidence: calibration?.confidence(at: cosine), extrapolated: calibration?.isExtrapolated(cosine) ?? false)
    }
}
