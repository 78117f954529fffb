import LikenessCore

/// Which index serves searches. Exact by default; an approximate FAISS index takes over above
/// a configurable size, if one is configured.
public struct IndexConfiguration: Sendable, Equatable {
    public var precision: ScanPrecision
    /// An index_factory description ("HNSW32", "IVF1024,PQ64", ...), or nil to stay exact.
    public var approximate: String?
    /// Below this many vectors searches stay exact even with `approximate` set.
    public var approximateAbove: Int
    /// FAISS search parameters, such as "efSearch" (HNSW) or "nprobe" (IVF).
    public var parameters: [String: Double]
    /// Vectors used to train IVF and PQ.
    public var trainingSample: Int
    /// The approximate index is rebuilt when this share of its entries are tombstones.
    public var rebuildTombstoneRatio: Double
    /// Approximate candidates re-ranked with the exact vectors, per wanted hit.
    public var rerankFactor: Int

    public init(precision: ScanPrecision = .float32, approximate: String? = nil, approximateAbove: Int = 500_000,
                parameters: [String: Double] = ["efSearch": 128, "nprobe": 16], trainingSample: Int = 100_000,
                rebuildTombstoneRatio: Double = 0.2, rerankFactor: Int = 4) {
        self.precision = precision
        self.approximate = approximate
        self.approximateAbove = approximateAbove
        self.parameters = parameters
        self.trainingSample = trainingSample
        self.rebuildTombstoneRatio = rebuildTombstoneRatio
        self.rerankFactor = rerankFactor
    }
}

/// The exact index, always kept (it is what snapshots hold and what re-ranks), plus an
/// approximate index for searches once the gallery is large enough.
public final class TieredIndex: VectorIndex, @unchecked Sendable {
    public let exact: ExactIndex
    public let configuration: IndexConfiguration
    private let lock = ReadWriteLock()
    private var approximate: ApproximateIndex?  // guarded by `lock`

    public init(exact: ExactIndex, configuration: IndexConfiguration) {
        self.exact = exact
        self.configuration = configuration
    }

    public var dimension: Int { exact.dimension }
    public var count: Int { exact.count }
    public func contains(id: FaceID) -> Bool { exact.contains(id: id) }

    /// "exact" or the FAISS description now serving searches.
    public var servingKind: String { lock.read { approximate?.factoryDescription ?? "exact" } }

    public func upsert(id: FaceID, vector: [Float]) throws {
        try lock.write {
            try exact.upsert(id: id, vector: vector)
            try approximate?.upsert(id: id, vector: vector)
        }
    }

    @discardableResult
    public func remove(id: FaceID) -> Bool {
        lock.write {
            approximate?.remove(id: id)
            return exact.remove(id: id)
        }
    }

    public func search(_ query: [Float], k: Int, minScore: Float) throws -> [SearchHit] {
        try search(batch: [query], k: k, minScore: minScore)[0]
    }

    public func search(batch queries: [[Float]], k: Int, minScore: Float) throws -> [[SearchHit]] {
        try lock.read {
            guard let approximate else { return try exact.search(batch: queries, k: k, minScore: minScore) }
            // Approximate scores (PQ) can be off; rank the candidates by their exact scores.
            let candidates = try approximate.search(batch: queries, k: k * configuration.rerankFactor, minScore: minScore - 0.05)
            return zip(queries, candidates).map { query, hits in
                var top = TopK(k: k, minScore: minScore)
                for hit in hits {
                    guard let v = exact.vector(id: hit.id) else { continue }
                    top.offer(id: hit.id, score: zip(v, query).reduce(0) { $0 + $1.0 * $1.1 })
                }
                return top.hits
            }
        }
    }

    /// Builds the approximate index when the gallery has grown past the threshold, or rebuilds
    /// it when tombstones pile up; drops it if the gallery shrank. Writers wait meanwhile, so
    /// the new index misses nothing. Answers whether it changed anything.
    /// `force` rebuilds it regardless (after the exact index was refilled behind its back).
    @discardableResult
    public func maintain(force: Bool = false) throws -> Bool {
        guard let description = configuration.approximate else { return false }
        return try lock.write {
            let n = exact.count
            if n < configuration.approximateAbove {
                defer { approximate = nil }
                return approximate != nil
            }
            if !force, let current = approximate, current.tombstoneRatio < configuration.rebuildTombstoneRatio { return false }
            let fresh = try ApproximateIndex(dimension: dimension, description: description, parameters: configuration.parameters)
            try exact.withContents { ids, rows in
                if !fresh.isTrained {
                    // An evenly spread sample of the gallery trains IVF and PQ.
                    let sample = min(n, configuration.trainingSample)
                    let step = max(1, n / sample)
                    var training = [Float]()
                    training.reserveCapacity(sample * dimension)
                    for i in stride(from: 0, to: n, by: step).prefix(sample) {
                        training.append(contentsOf: UnsafeBufferPointer(start: rows + i * dimension, count: dimension))
                    }
                    try training.withUnsafeBufferPointer { try fresh.train($0) }
                }
                try fresh.add(ids: ids, vectors: UnsafeBufferPointer(start: rows, count: n * dimension))
            }
            approximate = fresh
            return true
        }
    }
}
