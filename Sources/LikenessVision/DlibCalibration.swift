import LikenessCore

// Written by `CALIBRATE_WRITE=1 bench/calibrate.sh "--pack dlib"`: do not edit by hand.
extension DlibPack {
    /// bench/calibrate.py: LFW DevTrain + deepface, 2341 genuine / 5839203 impostor pairs.
    static let calibration = try! Calibration(source: "bench/calibrate.py: LFW DevTrain + deepface, 2341 genuine / 5839203 impostor pairs", points: [
        .init(cosine: 0.6465, log10FalseMatchRate: 0.0, trueMatchRate: 1.0),
        .init(cosine: 0.8292, log10FalseMatchRate: -0.25, trueMatchRate: 0.9991),
        .init(cosine: 0.8517, log10FalseMatchRate: -0.5, trueMatchRate: 0.9991),
        .init(cosine: 0.8666, log10FalseMatchRate: -0.75, trueMatchRate: 0.9983),
        .init(cosine: 0.8779, log10FalseMatchRate: -1.0, trueMatchRate: 0.9979),
        .init(cosine: 0.887, log10FalseMatchRate: -1.25, trueMatchRate: 0.997),
        .init(cosine: 0.8947, log10FalseMatchRate: -1.5, trueMatchRate: 0.9953),
        .init(cosine: 0.9014, log10FalseMatchRate: -1.75, trueMatchRate: 0.9932),
        .init(cosine: 0.9073, log10FalseMatchRate: -2.0, trueMatchRate: 0.9897),
        .init(cosine: 0.9127, log10FalseMatchRate: -2.25, trueMatchRate: 0.9816),
        .init(cosine: 0.9177, log10FalseMatchRate: -2.5, trueMatchRate: 0.9757),
        .init(cosine: 0.9223, log10FalseMatchRate: -2.75, trueMatchRate: 0.9594),
        .init(cosine: 0.9266, log10FalseMatchRate: -3.0, trueMatchRate: 0.9359),
        .init(cosine: 0.9308, log10FalseMatchRate: -3.25, trueMatchRate: 0.9099),
        .init(cosine: 0.9345, log10FalseMatchRate: -3.5, trueMatchRate: 0.8757),
        .init(cosine: 0.9381, log10FalseMatchRate: -3.75, trueMatchRate: 0.8381),
        .init(cosine: 0.9415, log10FalseMatchRate: -4.0, trueMatchRate: 0.7958),
        .init(cosine: 0.9447, log10FalseMatchRate: -4.25, trueMatchRate: 0.7364),
        .init(cosine: 0.9473, log10FalseMatchRate: -4.5, trueMatchRate: 0.6848),
        .init(cosine: 0.9499, log10FalseMatchRate: -4.75, trueMatchRate: 0.6262),
        .init(cosine: 0.9533, log10FalseMatchRate: -5.0, trueMatchRate: 0.5476),
        .init(cosine: 0.9562, log10FalseMatchRate: -5.25, trueMatchRate: 0.4848),
        .init(cosine: 0.9589, log10FalseMatchRate: -5.5, trueMatchRate: 0.4105),
        .init(cosine: 0.9616, log10FalseMatchRate: -5.75, trueMatchRate: 0.3396),
        .init(cosine: 0.9643, log10FalseMatchRate: -6.0, trueMatchRate: 0.2751),
        .init(cosine: 0.9668, log10FalseMatchRate: -6.25, trueMatchRate: 0.2196),
        .init(cosine: 0.9694, log10FalseMatchRate: -6.5, trueMatchRate: 0.1666),
        .init(cosine: 0.9718, log10FalseMatchRate: -6.75, trueMatchRate: 0.123),
        .init(cosine: 0.9742, log10FalseMatchRate: -7.0, trueMatchRate: 0.0914),
        .init(cosine: 0.9766, log10FalseMatchRate: -7.25, trueMatchRate: 0.0594),
        .init(cosine: 0.9789, log10FalseMatchRate: -7.5, trueMatchRate: 0.0436),
        .init(cosine: 0.9812, log10FalseMatchRate: -7.75, trueMatchRate: 0.0273),
        .init(cosine: 0.9835, log10FalseMatchRate: -8.0, trueMatchRate: 0.0158),
    ], measuredLog10FalseMatchRate: -4.75)
}
