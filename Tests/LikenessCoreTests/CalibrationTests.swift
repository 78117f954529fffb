import Foundation
import LikenessCore
import Testing

struct CalibrationTests {
    static let table = try! Calibration(points: [
        .init(cosine: 0.1, log10FalseMatchRate: 0, trueMatchRate: 1),
        .init(cosine: 0.3, log10FalseMatchRate: -2, trueMatchRate: 0.98),
        .init(cosine: 0.5, log10FalseMatchRate: -4, trueMatchRate: 0.9),
        .init(cosine: 0.6, log10FalseMatchRate: -6, trueMatchRate: 0.7),
    ], measuredLog10FalseMatchRate: -4)

    @Test func interpolatesInLogSpaceAndClampsAtTheEnds() {
        let c = Self.table
        #expect(abs(c.log10FalseMatchRate(at: 0.4) - -3) < 1e-6)
        #expect(abs(c.falseMatchRate(at: 0.3) - 0.01) < 1e-9)
        #expect(c.log10FalseMatchRate(at: -1) == 0 && c.log10FalseMatchRate(at: 0.99) == -6)
        #expect(abs(c.trueMatchRate(at: 0.4) - 0.94) < 1e-6)
        #expect(c.log10FalseMatchRate(at: .nan) == 0)
    }

    @Test func inverseMatchesForwardAndIsMonotone() {
        let c = Self.table
        var last: Float = -2
        for decade in stride(from: 0.0, through: 6.0, by: 0.25) {
            let cosine = c.cosine(forFalseMatchRate: pow(10, -decade))
            #expect(cosine >= last)
            last = cosine
            #expect(abs(c.log10FalseMatchRate(at: cosine) + decade) < 1e-4, "\(decade)")
        }
        #expect(c.cosine(forFalseMatchRate: 1e-12) == 0.6)
        #expect(c.cosine(forFalseMatchRate: 5) == 0.1)
    }

    @Test func confidenceIsTwentyPointsPerDecadeCappedAtOneHundred() {
        let c = Self.table
        #expect(abs(c.confidence(at: 0.3) - 40) < 1e-4)   // FMR 1e-2
        #expect(abs(c.confidence(at: 0.4) - 60) < 1e-4)   // FMR 1e-3
        #expect(c.confidence(at: 0.6) == 100 && c.confidence(at: 0.0) == 0)
        #expect(abs(Double(c.cosine(forConfidence: 60)) - 0.4) < 1e-4)
        var last = -1.0
        for i in 0...100 {
            let value = c.confidence(at: Float(i) / 100)
            #expect(value >= last)
            last = value
        }
    }

    @Test func extrapolationIsFlagged() {
        #expect(!Self.table.isExtrapolated(0.45))
        #expect(Self.table.isExtrapolated(0.55))
    }

    @Test func badTablesAreRefused() {
        #expect(throws: (any Error).self) { try Calibration(points: [.init(cosine: 0.1, log10FalseMatchRate: 0, trueMatchRate: 1)]) }
        #expect(throws: (any Error).self) {
            try Calibration(points: [.init(cosine: 0.3, log10FalseMatchRate: 0, trueMatchRate: 1), .init(cosine: 0.2, log10FalseMatchRate: -1, trueMatchRate: 1)])
        }
        #expect(throws: (any Error).self) {
            try Calibration(points: [.init(cosine: 0.1, log10FalseMatchRate: -1, trueMatchRate: 1), .init(cosine: 0.2, log10FalseMatchRate: 0, trueMatchRate: 1)])
        }
        let json = #"{"points": [[0.1, 0, 1], [0.1, -1, 0.9]]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Calibration.self, from: Data(json.utf8)) }
    }

    /// pack.json keeps each row as [cosine, log10 FMR, TMR].
    @Test func packJSONRoundTrip() throws {
        let json = #"{"source": "s", "points": [[0.1, 0.0, 1.0], [0.3, -2.0, 0.98]], "measured_log10_false_match_rate": -2}"#
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let c = try decoder.decode(Calibration.self, from: Data(json.utf8))
        #expect(c.points.count == 2 && c.points[1].cosine == 0.3 && c.measuredLog10FalseMatchRate == -2 && c.source == "s")
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        #expect(try decoder.decode(Calibration.self, from: try encoder.encode(c)) == c)
    }
}
