import Foundation
import LikenessCore

/// What a synthetic load added.
public struct SyntheticLoad: Sendable, Equatable {
    public var added: Int
    public var firstFaceID: FaceID?
    public var total: Int
}

extension GalleryService {
    /// Largest synthetic load one request may ask for.
    public static let maxSyntheticLoad = 5_000_000

    /// Adds `count` people with one random unit vector each (the original stack's benchmark
    /// `bulk_vectors`): distractors that grow the gallery to a production size without photos.
    /// They are real rows, stored and indexed like any face, so snapshots, rebuilds and the
    /// change log treat them as the gallery they are; class ids are `SYN<seed>_<n>`.
    /// Written in batches of `batch`, each one transaction followed by the index.
    public func addSyntheticPeople(count: Int, seed: UInt64, batch: Int = 10_000) async throws -> SyntheticLoad {
        guard (1...Self.maxSyntheticLoad).contains(count) else {
            throw DomainError.invalid(code: "invalid_count", message: "n must be 1-\(Self.maxSyntheticLoad)")
        }
        if let limit = settings.maxVectors, index.count + count > limit {
            throw DomainError.full(code: "index_full", message: "the index holds \(index.count) faces; \(count) more would pass its limit (MAX_VECTORS) of \(limit)")
        }
        let recognizer = index.recognizer, dimension = index.dimension
        index.reserveCapacity(index.count + count)
        var generator = SplitMix64(seed: seed)
        var first: FaceID?
        for start in stride(from: 0, to: count, by: batch) {
            try Task.checkCancellation()
            let items = (start..<min(count, start + batch)).map { j in
                let classID = "SYN\(seed)_" + String(format: "%07d", j)
                let face = NewFace(embedding: Embedding(recognizer: recognizer, normalized: generator.unitVector(dimension)),
                                   box: BoundingBox(x: 0, y: 0, width: 0, height: 0), detectionScore: 0, imageSHA256: "")
                return PersonWithFace(person: PersonImport(classID: classID, name: "synthetic \(seed)/\(j)", info: "bulk_vectors"), face: face)
            }
            do {
                let ids = try await gallery.addPeopleWithFaces(items)
                if first == nil { first = ids.first }
            } catch StoreError.conflict {
                throw DomainError.conflict("synthetic people of seed \(seed) exist already: use another seed")
            }
            try await catchUp()
        }
        return SyntheticLoad(added: count, firstFaceID: first, total: index.count)
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64): the same seed gives
/// the same gallery on every machine.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    mutating func uniform() -> Double { (Double(next() >> 11) + 1) / 9_007_199_254_740_992 }

    /// A direction drawn uniformly on the sphere: normal coordinates (Box-Muller), normalised.
    mutating func unitVector(_ dimension: Int) -> [Float] {
        var v = [Float](repeating: 0, count: dimension)
        var i = 0
        while i < dimension {
            let r = (-2 * Foundation.log(uniform())).squareRoot(), a = 2 * Double.pi * uniform()
            v[i] = Float(r * cos(a))
            if i + 1 < dimension { v[i + 1] = Float(r * sin(a)) }
            i += 2
        }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }
}
