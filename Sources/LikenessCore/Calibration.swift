import Foundation

/// What a recognizer's cosine similarity means: the false match rate (share of pairs of
/// different people scoring at least that cosine) and the true match rate (share of pairs of
/// the same person), fitted offline on labelled pairs by bench/calibrate.py and stored with
/// the pack. Every pack speaks its own cosine scale; this is what makes them comparable.
public struct Calibration: Sendable, Equatable, Codable {
    /// One row of the table: at `cosine`, log10 of the false match rate and the true match rate.
    public struct Point: Sendable, Equatable, Codable {
        public var cosine: Float
        public var log10FalseMatchRate: Double
        public var trueMatchRate: Double

        public init(cosine: Float, log10FalseMatchRate: Double, trueMatchRate: Double) {
            self.cosine = cosine
            self.log10FalseMatchRate = log10FalseMatchRate
            self.trueMatchRate = trueMatchRate
        }

        // pack.json keeps the table compact: [cosine, log10 FMR, TMR].
        public init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            cosine = try c.decode(Float.self)
            log10FalseMatchRate = try c.decode(Double.self)
            trueMatchRate = try c.decode(Double.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(cosine)
            try c.encode(log10FalseMatchRate)
            try c.encode(trueMatchRate)
        }
    }

    public var source: String?
    /// Cosine rising, false match rate falling.
    public var points: [Point]
    /// The lowest log10 FMR the fitting pairs could measure; below it the table is extrapolated.
    public var measuredLog10FalseMatchRate: Double?

    public init(source: String? = nil, points: [Point], measuredLog10FalseMatchRate: Double? = nil) throws {
        self.source = source
        self.points = points
        self.measuredLog10FalseMatchRate = measuredLog10FalseMatchRate
        try validate()
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decodeIfPresent(String.self, forKey: .source)
        points = try c.decode([Point].self, forKey: .points)
        measuredLog10FalseMatchRate = try c.decodeIfPresent(Double.self, forKey: .measuredLog10FalseMatchRate)
        do {
            try validate()
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "\(error)"))
        }
    }

    private enum CodingKeys: String, CodingKey { case source, points, measuredLog10FalseMatchRate }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Interpolation needs at least two rows, cosines strictly rising and FMR never rising.
    private func validate() throws {
        guard points.count >= 2 else { throw Invalid(description: "a calibration needs at least two points") }
        for (a, b) in zip(points, points.dropFirst()) {
            guard a.cosine < b.cosine, a.log10FalseMatchRate >= b.log10FalseMatchRate,
                  [Double(a.cosine), a.log10FalseMatchRate, a.trueMatchRate].allSatisfy(\.isFinite) else {
                throw Invalid(description: "calibration points must have rising cosines and falling false match rates")
            }
        }
    }

    // MARK: cosine -> rates

    /// log10 FMR at a cosine: linear between rows, the end rows' values beyond them.
    public func log10FalseMatchRate(at cosine: Float) -> Double {
        interpolate(cosine, \.log10FalseMatchRate)
    }

    public func falseMatchRate(at cosine: Float) -> Double { pow(10, log10FalseMatchRate(at: cosine)) }

    public func trueMatchRate(at cosine: Float) -> Double { interpolate(cosine, \.trueMatchRate) }

    /// Whether a cosine lies past the measured part of the table.
    public func isExtrapolated(_ cosine: Float) -> Bool {
        guard let measured = measuredLog10FalseMatchRate else { return false }
        return log10FalseMatchRate(at: cosine) < measured - 1e-9
    }

    private func interpolate(_ cosine: Float, _ value: KeyPath<Point, Double>) -> Double {
        guard cosine.isFinite else { return cosine > 0 ? points.last![keyPath: value] : points[0][keyPath: value] }
        if cosine <= points[0].cosine { return points[0][keyPath: value] }
        guard let upper = points.firstIndex(where: { $0.cosine >= cosine }) else { return points.last![keyPath: value] }
        let a = points[upper - 1], b = points[upper]
        let t = Double((cosine - a.cosine) / (b.cosine - a.cosine))
        return a[keyPath: value] + t * (b[keyPath: value] - a[keyPath: value])
    }

    // MARK: rates -> cosine

    /// The lowest cosine whose false match rate is at most `rate` (clamped to the table).
    public func cosine(forFalseMatchRate rate: Double) -> Float {
        let target = log10(max(rate, .leastNormalMagnitude))
        if target >= points[0].log10FalseMatchRate { return points[0].cosine }
        guard let upper = points.firstIndex(where: { $0.log10FalseMatchRate <= target }) else { return points.last!.cosine }
        let a = points[upper - 1], b = points[upper]
        guard a.log10FalseMatchRate != b.log10FalseMatchRate else { return b.cosine }
        let t = (a.log10FalseMatchRate - target) / (a.log10FalseMatchRate - b.log10FalseMatchRate)
        return a.cosine + Float(t) * (b.cosine - a.cosine)
    }

    // MARK: confidence

    /// Confidence points per decade of false match rate: 0 at FMR 1, 40 at 1%, 60 at 0.1%,
    /// 100 at 1e-5 and beyond. One scale for every pack: a confidence means the same FMR
    /// whichever recognizer produced the similarity.
    public static let pointsPerDecade = 20.0

    public static func confidence(log10FalseMatchRate: Double) -> Double {
        min(100, max(0, -log10FalseMatchRate * pointsPerDecade))
    }

    public static func falseMatchRate(confidence: Double) -> Double {
        pow(10, -min(100, max(0, confidence)) / pointsPerDecade)
    }

    /// 0-100, monotone in the cosine.
    public func confidence(at cosine: Float) -> Double {
        Self.confidence(log10FalseMatchRate: log10FalseMatchRate(at: cosine))
    }

    public func cosine(forConfidence confidence: Double) -> Float {
        cosine(forFalseMatchRate: Self.falseMatchRate(confidence: confidence))
    }
}
