/// Identifies the model that produced an embedding. Embeddings of different recognizers live
/// in different spaces and must never be compared.
public struct RecognizerID: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// A unit-length face embedding and the recognizer that made it.
public struct Embedding: Sendable, Hashable {
    public let recognizer: RecognizerID
    public let vector: [Float]

    /// L2-normalises `raw`. A zero vector stays zero (its similarity to anything is 0).
    public init(recognizer: RecognizerID, raw: [Float]) {
        var sum: Float = 0
        for v in raw { sum += v * v }
        let norm = sum.squareRoot()
        self.recognizer = recognizer
        self.vector = norm > 0 ? raw.map { $0 / norm } : raw
    }

    /// For vectors already known to be unit length, such as those read back from storage.
    public init(recognizer: RecognizerID, normalized: [Float]) {
        self.recognizer = recognizer
        self.vector = normalized
    }

    public var dimension: Int { vector.count }

    /// Cosine similarity, or nil when the two come from different recognizers.
    public func similarity(to other: Embedding) -> Float? {
        guard recognizer == other.recognizer, vector.count == other.vector.count else { return nil }
        var dot: Float = 0
        for i in vector.indices { dot += vector[i] * other.vector[i] }
        return dot
    }
}
