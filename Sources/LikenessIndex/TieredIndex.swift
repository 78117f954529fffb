import Foundation
import LikenessCore
import Synchronization

/// Which index serves searches. Exact by default; an approximate FAISS index takes over above
/// a configurable size, if one is configured (`IndexKind.configuration` makes these).
public struct IndexConfiguration: Sendable, Equatable {
    public var precision: ScanPrecision
    /// An index_factory description ("HNSW32", "IVF1024,PQ64", ...), or nil to stay exact;
    /// `{nlist}` is replaced by a list count suited to the gallery's size when it is built.
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

/// Why an approximate index was not built.
public enum IndexBuildError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Building it would need more memory than the machine has available.
    case notEnoughMemory(needed: Int, available: Int)
    /// Stopped between chunks because the server is shutting down.
    case cancelled

    public var description: String {
        switch self {
        case .cancelled: "the approximate index build was stopped (shutting down); searches stay exact"
        case let .notEnoughMemory(needed, available):
            "building the approximate index needs about \(needed >> 20) MiB and \(available >> 20) MiB are available; searches stay exact"
        }
    }
}

/// The exact index, always kept (it is what snapshots hold and what re-ranks), plus an
/// approximate index for searches once the gallery is large enough.
///
/// The approximate index is built beside the one serving, a chunk at a time, while searches
/// and writes go on; writes made meanwhile are recorded and replayed into it before it is
/// swapped in, so it misses nothing.
public final class TieredIndex: VectorIndex, @unchecked Sendable {
    public let exact: ExactIndex
    public let configuration: IndexConfiguration
    private let lock = ReadWriteLock()
    // Guarded by `lock`.
    private var approximate: ApproximateIndex?
    /// Writes made while an approximate index is being built (nil vector: a removal).
    private var pending: [(FaceID, [Float]?)]?
    /// One build at a time.
    private let building = NSLock()

    /// Vectors copied into a new approximate index per chunk, between which writers may run.
    static let buildChunk = 16_384
    /// Set on shutdown: a build of a large gallery takes minutes and must not hold the exit.
    private let stopping = Atomic<Bool>(false)

    /// Stops a build in progress at its next chunk, and any later one.
    public func cancelBuilds() { stopping.store(true, ordering: .relaxed) }

    public init(exact: ExactIndex, configuration: IndexConfiguration) {
        self.exact = exact
        self.configuration = configuration
    }

    public var dimension: Int { exact.dimension }
    public var count: Int { exact.count }
    public func contains(id: FaceID) -> Bool { exact.contains(id: id) }

    /// "exact" (with its scan precision) or the FAISS description now serving searches.
    public var servingKind: String {
        lock.read { approximate?.factoryDescription ?? (exact.precision == .float32 ? "exact" : "exact-\(exact.precision.rawValue)") }
    }

    /// Bytes the vectors take: the exact copy, plus an estimate of the approximate index.
    public var memoryBytes: Int {
        lock.read {
            let n = exact.count
            var bytes = n * exact.bytesPerVector
            if let approximate { bytes += Self.approximateBytes(approximate.factoryDescription, count: n, dimension: dimension) }
            return bytes
        }
    }

    /// FAISS's own layout: the vectors again, HNSW's links (2M on layer 0, about M/(M-1)
    /// more above), and a label per vector on our side.
    static func approximateBytes(_ description: String, count: Int, dimension: Int) -> Int {
        var perVector = dimension * 4 + 8 + 8
        if let m = description.split(separator: ",").first.flatMap({ $0.hasPrefix("HNSW") ? Int($0.dropFirst(4)) : nil }) {
            perVector += m * 2 * 4 + m * 4 / max(1, m - 1) + 16
        }
        return count * perVector
    }

    public func upsert(id: FaceID, vector: [Float]) throws {
        try lock.write {
            try exact.upsert(id: id, vector: vector)
            try approximate?.upsert(id: id, vector: vector)
            pending?.append((id, vector))
        }
    }

    @discardableResult
    public func remove(id: FaceID) -> Bool {
        lock.write {
            approximate?.remove(id: id)
            pending?.append((id, nil))
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
    /// it when tombstones pile up (or IVF's lists no longer suit the gallery's size); drops it
    /// if the gallery shrank. `force` rebuilds it regardless. Searches and writes go on
    /// meanwhile. Answers whether it changed anything.
    @discardableResult
    public func maintain(force: Bool = false) throws -> Bool {
        guard configuration.approximate != nil else { return false }
        return try building.withLock {
            let n = exact.count
            if n < configuration.approximateAbove {
                return lock.write {
                    defer { approximate = nil }
                    return approximate != nil
                }
            }
            guard let description = configuration.description(for: n) else { return false }
            let current = lock.read { approximate.map { ($0.factoryDescription, $0.tombstoneRatio) } }
            if !force, let (serving, tombstones) = current, tombstones < configuration.rebuildTombstoneRatio,
               !Self.listsOutgrown(serving, count: n) {
                return false
            }
            try checkMemory(description, count: n)
            let fresh = try ApproximateIndex(dimension: dimension, description: description, parameters: configuration.parameters)
            let ids: [FaceID] = lock.write {
                pending = []
                return exact.identifiers()
            }
            do {
                try fill(fresh, with: ids)
                try lock.write {
                    for (id, vector) in pending ?? [] {
                        if let vector { try fresh.upsert(id: id, vector: vector) } else { fresh.remove(id: id) }
                    }
                    pending = nil
                    approximate = fresh
                }
            } catch {
                lock.write { pending = nil }
                throw error
            }
            return true
        }
    }

    /// IVF's list count is fixed when it is trained: retrain once the gallery has grown (or
    /// shrunk) 4x from what the lists were made for.
    static func listsOutgrown(_ description: String, count: Int) -> Bool {
        guard description.hasPrefix("IVF"), let lists = Int(description.dropFirst(3).prefix { $0.isNumber }), lists > 0 else { return false }
        let suited = max(1, Int(4 * Double(count).squareRoot()))
        return suited > lists * 2 || suited * 2 < lists
    }

    /// Trains on an evenly spread sample, then adds every vector, a chunk at a time.
    private func fill(_ fresh: ApproximateIndex, with ids: [FaceID]) throws {
        if !fresh.isTrained {
            let sample = min(ids.count, configuration.trainingSample)
            let step = max(1, ids.count / max(1, sample))
            let chosen = stride(from: 0, to: ids.count, by: step).prefix(sample).map { ids[$0] }
            let (_, training) = exact.rows(of: chosen[...])
            try training.withUnsafeBufferPointer { try fresh.train($0) }
        }
        for start in stride(from: 0, to: ids.count, by: Self.buildChunk) {
            if stopping.load(ordering: .relaxed) { throw IndexBuildError.cancelled }
            let (found, rows) = exact.rows(of: ids[start..<min(ids.count, start + Self.buildChunk)])
            try rows.withUnsafeBufferPointer { try fresh.add(ids: found, vectors: $0) }
        }
    }

    /// Refuses a build that would push the machine into swap: the new index must fit in half
    /// of the memory available now.
    private func checkMemory(_ description: String, count: Int) throws {
        let needed = Self.approximateBytes(description, count: count, dimension: dimension)
        guard let available = SystemMemory.availableBytes(), needed > available / 2 else { return }
        throw IndexBuildError.notEnoughMemory(needed: needed, available: available)
    }
}

/// The kernel's estimate of memory available without swapping (Linux's MemAvailable).
enum SystemMemory {
    static func availableBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return nil
    }
}
