import LikenessCore

/// Deterministic pseudo-random unit vectors (SplitMix64), so failures reproduce. The one
/// generator every test suite uses.
public struct VectorGenerator: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func unitVector(_ d: Int) -> [Float] {
        let raw = (0..<d).map { _ in Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) }
        return Embedding(recognizer: RecognizerID("t"), raw: raw).vector
    }
}

/// The unit vector of a seed: the same seed always gives the same vector.
public func unitVector(_ seed: Int, _ d: Int = 8) -> [Float] {
    var generator = VectorGenerator(seed: UInt64(bitPattern: Int64(seed)))
    return generator.unitVector(d)
}

/// A face to store: recognizer "r", the seed's vector, a fixed box.
public func newFace(_ seed: Int, d: Int = 8, crop: [UInt8]? = nil, recognizer: RecognizerID = RecognizerID("r")) -> NewFace {
    NewFace(embedding: Embedding(recognizer: recognizer, normalized: unitVector(seed, d)),
            box: BoundingBox(x: 1, y: 2, width: 30, height: 40), detectionScore: 0.9, quality: nil, crop: crop,
            imageSHA256: String(repeating: "ab", count: 32))
}
