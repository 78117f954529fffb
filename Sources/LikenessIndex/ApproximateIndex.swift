import CFaiss
import LikenessCore

/// A FAISS failure, with FAISS's own message.
public struct FaissError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { "FAISS: \(message)" }

    static func check(_ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws(FaissError) {
        var buffer = [CChar](repeating: 0, count: 512)
        let status = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        guard status != 0 else { return }
        let text = buffer.withUnsafeBufferPointer { String(decoding: $0.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        throw FaissError(message: text.isEmpty ? "status \(status)" : text)
    }
}

/// Approximate inner-product search through FAISS (HNSW, IVF-Flat, IVF-PQ, ...), for galleries
/// too large to scan. FAISS labels vectors by insertion order and these index types cannot
/// delete cheaply, so a replaced or removed face leaves a tombstone that searches skip;
/// `tombstoneRatio` tells when a rebuild is due.
public final class ApproximateIndex: VectorIndex, @unchecked Sendable {
    public let dimension: Int
    public let factoryDescription: String

    private let lock = ReadWriteLock()
    // Guarded by `lock`; FAISS searches are const and may run in parallel.
    private let native: OpaquePointer
    private var labels: [FaceID] = []          // label -> face id
    private var alive: [Bool] = []             // label -> not a tombstone
    private var labelOf: [FaceID: Int] = [:]   // face id -> live label
    private var tombstones = 0

    /// Creates an empty index from an index_factory description ("HNSW32", "IVF256,Flat",
    /// "IVF1024,PQ64", ...) and search parameters ("efSearch", "nprobe").
    public init(dimension: Int, description: String, parameters: [String: Double] = [:]) throws {
        NativeThreads.configure()
        var out: OpaquePointer?
        try FaissError.check { lfs_create(Int32(dimension), description, &out, $0, $1) }
        native = out!
        self.dimension = dimension
        self.factoryDescription = description
        // One configuration serves every kind: efSearch is HNSW's, nprobe IVF's; others must apply.
        let applicable = parameters.filter { name, _ in
            switch name {
            case "efSearch": description.contains("HNSW")
            case "nprobe": description.contains("IVF")
            default: true
            }
        }
        for (name, value) in applicable.sorted(by: { $0.key < $1.key }) {
            try FaissError.check { lfs_set_parameter(native, name, value, $0, $1) }
        }
    }

    deinit { lfs_free(native) }

    /// Changes a search parameter ("efSearch", "nprobe") of a built index.
    public func setParameter(_ name: String, _ value: Double) throws {
        try lock.write {
            try FaissError.check { lfs_set_parameter(native, name, value, $0, $1) }
        }
    }

    public var isTrained: Bool { lock.read { lfs_is_trained(native) != 0 } }

    /// Trains the coarse quantiser / codebooks (IVF, PQ); a no-op need for HNSW and Flat.
    public func train(_ vectors: UnsafeBufferPointer<Float>) throws {
        let n = vectors.count / dimension
        try lock.write {
            try FaissError.check { lfs_train(native, Int64(n), vectors.baseAddress, $0, $1) }
        }
    }

    public var count: Int { lock.read { labelOf.count } }
    public var tombstoneRatio: Double { lock.read { labels.isEmpty ? 0 : Double(tombstones) / Double(labels.count) } }

    public func contains(id: FaceID) -> Bool { lock.read { labelOf[id] != nil } }

    public func upsert(id: FaceID, vector: [Float]) throws {
        guard vector.count == dimension else { throw VectorIndexError.dimensionMismatch(expected: dimension, got: vector.count) }
        guard vector.allSatisfy(\.isFinite) else { throw VectorIndexError.notFinite }
        try lock.write {
            try vector.withUnsafeBufferPointer { try addLocked(ids: [id], vectors: $0) }
        }
    }

    /// Adds many vectors in one FAISS call (building from an exact index).
    public func add(ids: [FaceID], vectors: UnsafeBufferPointer<Float>) throws {
        try lock.write { try addLocked(ids: ids, vectors: vectors) }
    }

    private func addLocked(ids: [FaceID], vectors: UnsafeBufferPointer<Float>) throws {
        precondition(vectors.count == ids.count * dimension)
        try FaissError.check { lfs_add(native, Int64(ids.count), vectors.baseAddress, $0, $1) }
        for id in ids {
            if let old = labelOf[id] {
                alive[old] = false
                tombstones += 1
            }
            labelOf[id] = labels.count
            labels.append(id)
            alive.append(true)
        }
    }

    @discardableResult
    public func remove(id: FaceID) -> Bool {
        lock.write {
            guard let label = labelOf.removeValue(forKey: id) else { return false }
            alive[label] = false
            tombstones += 1
            return true
        }
    }

    public func search(_ query: [Float], k: Int, minScore: Float) throws -> [SearchHit] {
        try search(batch: [query], k: k, minScore: minScore)[0]
    }

    public func search(batch queries: [[Float]], k: Int, minScore: Float) throws -> [[SearchHit]] {
        guard k > 0 else { throw VectorIndexError.invalidK(k) }
        for q in queries where q.count != dimension {
            throw VectorIndexError.dimensionMismatch(expected: dimension, got: q.count)
        }
        guard !queries.isEmpty else { return [] }
        return try lock.read {
            let total = labels.count
            guard total > 0 else { return queries.map { _ in [] } }
            // Ask for enough extra results to make up for tombstones.
            let fetch = min(total, k + min(tombstones, 4 * k + 64))
            var scores = [Float](repeating: 0, count: queries.count * fetch)
            var found = [Int64](repeating: -1, count: queries.count * fetch)
            let packed = queries.flatMap { $0 }
            try FaissError.check { err, len in
                scores.withUnsafeMutableBufferPointer { s in
                    found.withUnsafeMutableBufferPointer { l in
                        lfs_search(native, Int64(queries.count), packed, Int64(fetch), s.baseAddress, l.baseAddress, err, len)
                    }
                }
            }
            return (0..<queries.count).map { qi in
                var top = TopK(k: k, minScore: minScore)
                for j in 0..<fetch {
                    let label = Int(found[qi * fetch + j])
                    guard label >= 0, label < total, alive[label] else { continue }
                    top.offer(id: labels[label], score: scores[qi * fetch + j])
                }
                return top.hits
            }
        }
    }
}

/// Pins FAISS's OpenMP threads once (see DESIGN.md: spin-waiting threads oversubscribe).
public enum NativeThreads {
    private static let once: Void = { lfs_set_threads(1) }()
    static func configure() { _ = once }

    /// Lets FAISS use `n` OpenMP threads from now on (bulk builds, benchmarks).
    public static func setFaissThreads(_ n: Int) {
        configure()
        lfs_set_threads(Int32(n))
    }
}
