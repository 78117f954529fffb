import Foundation
import LikenessCore
import LikenessUseCases
import LikenessVision
import Testing

/// The calibrated decision: one confidence scale across packs, and a threshold that tightens
/// as the gallery grows.
struct ThresholdTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func benchPack(_ name: String) throws -> RecognizerInfo {
        let pack = try InstalledPack.read(path: repoRoot.appendingPathComponent("bench/packs/\(name).json").path).pack
        return RecognizerInfo(id: RecognizerID(pack.recognizer.id), dimension: pack.recognizer.embeddingSize,
                              defaultThreshold: pack.recognizer.threshold, calibration: pack.recognizer.calibration)
    }

    /// Each shipped calibration (the dlib pack's and the bench packs') is valid and says the
    /// same thing at the same false match rate: equal confidence, at each pack's own cosine.
    @Test func confidenceIsEqualAcrossPacksAtTheSameFalseMatchRate() throws {
        let recognizers = [DlibPack.recognizer] + (try ["yunet-mobilefacenet", "scrfd500m-mobilefacenet", "scrfd2.5g-mobilefacenet"].map(Self.benchPack))
        let calibrations = try recognizers.map { try #require($0.calibration, "\($0.id) has no calibration") }
        for fmr in [1e-1, 1e-2, 1e-3, 1e-4, 1e-5] {
            let cosines = calibrations.map { $0.cosine(forFalseMatchRate: fmr) }
            let confidences = zip(calibrations, cosines).map { $0.confidence(at: $1) }
            for c in confidences { #expect(abs(c - confidences[0]) < 0.01, "FMR \(fmr): \(confidences)") }
            #expect(abs(confidences[0] - -log10(fmr) * 20) < 0.01)
            // The packs' cosine scales differ: dlib's 0.9-ish against MobileFaceNet's 0.3-ish.
            #expect(cosines[0] - cosines[1] > 0.4, "FMR \(fmr): \(cosines)")
        }
    }

    @Test func galleryThresholdTightensAsTheGalleryGrows() throws {
        let resolver = ThresholdResolver(recognizer: try Self.benchPack("yunet-mobilefacenet"), policy: .identificationRate(0.01))
        var last: Float = -1
        for n in [1, 10, 100, 1_000, 10_000, 100_000] {
            let t = try resolver.resolve(.policy, comparisons: n)
            #expect(t.basis == .falsePositiveIdentificationRate && t.comparisons == n)
            #expect(t.cosine > last)
            last = t.cosine
            #expect(abs((t.falseMatchRate ?? 0) * Double(n) - 0.01) < 0.001, "\(n): \(t)")
            #expect(abs((t.falsePositiveIdentificationRate ?? 0) - 0.01) < 0.001)
            #expect(t.reason.contains(n == 1 ? "1 enrolled face:" : "\(n) enrolled faces:"))
        }
        #expect(try resolver.resolve(.policy, comparisons: 100_000).extrapolated)
        #expect(!(try resolver.resolve(.policy, comparisons: 10).extrapolated))
    }

    @Test func requestsAndFixedPolicies() throws {
        let yunet = try Self.benchPack("yunet-mobilefacenet")
        let policy = ThresholdResolver(recognizer: yunet, policy: .identificationRate(0.01))
        let cosine = try policy.resolve(.cosine(0.42), comparisons: 500)
        #expect(cosine.cosine == 0.42 && cosine.basis == .requestThreshold && cosine.falseMatchRate != nil)
        let confident = try policy.resolve(.minConfidence(60), comparisons: 500)
        #expect(confident.basis == .requestMinConfidence && abs((confident.falseMatchRate ?? 0) - 1e-3) < 1e-5)
        #expect(throws: DomainError.self) { try policy.resolve(.minConfidence(101), comparisons: 1) }
        #expect(throws: DomainError.self) { try policy.resolve(.cosine(.nan), comparisons: 1) }
        let fixed = try ThresholdResolver(recognizer: yunet, policy: .cosine(0.3)).resolve(.policy, comparisons: 5_000)
        #expect(fixed.cosine == 0.3 && fixed.basis == .fixedCosine)
        let fmr = try ThresholdResolver(recognizer: yunet, policy: .falseMatchRate(1e-4)).resolve(.policy, comparisons: 5_000)
        #expect(fmr.basis == .falseMatchRate && abs((fmr.falseMatchRate ?? 0) - 1e-4) < 1e-6 && (fmr.falsePositiveIdentificationRate ?? 0) > 0.3)
    }

    /// A pack nobody fitted keeps its own default cosine, and says so; min_confidence cannot apply.
    @Test func uncalibratedPacksUseTheirDefault() throws {
        let bare = RecognizerInfo(id: RecognizerID("bare"), dimension: 4, defaultThreshold: 0.8)
        let resolver = ThresholdResolver(recognizer: bare, policy: .identificationRate(0.01))
        let t = try resolver.resolve(.policy, comparisons: 1_000)
        #expect(t.cosine == 0.8 && t.basis == .packDefault && t.falseMatchRate == nil && t.confidence == nil)
        #expect(throws: DomainError.unprocessable(code: "not_calibrated",
                                                  message: "the recognizer bare has no calibration: send 'threshold' (a cosine) instead")) {
            try resolver.resolve(.minConfidence(50), comparisons: 1)
        }
    }
}
