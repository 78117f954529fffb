import CKernels
import Dispatch
import Foundation
import LikenessCore

/// How the exact index stores the vectors it scans. float16 and int8 scan 2x and 4x fewer
/// bytes, then re-rank their best candidates with the float32 vectors, which are always kept.
public enum ScanPrecision: String, Sendable, CaseIterable {
    case float32, float16, int8
}

/// Exact top-k inner-product search: every vector is scanned, with SIMD kernels for one
/// query and BLAS sgemm for a batch. Rows are contiguous; a removal moves the last row into
/// the hole.
public final class ExactIndex: VectorIndex, @unchecked Sendable {
    public let dimension: Int
    public let precision: ScanPrecision
    /// Candidates re-ranked in float32 per wanted hit, for float16 and int8 scans.
    public let rerankFactor: Int

    private let lock = ReadWriteLock()
    // All of the following are guarded by `lock`.
    private let rows: RowBuffer<Float>
    private let halves: RowBuffer<UInt16>?
    private let bytes: RowBuffer<Int8>?
    private let scales: RowBuffer<Float>?
    private var ids: [FaceID] = []
    private var slots: [FaceID: Int] = [:]

    /// Rows scored per kernel call: small enough for the scores to stay in L1.
    static let block = 1024
    /// Rows per sgemm call in batch search, bounding the score matrix's memory.
    static let gemmBlock = 8192

    public init(dimension: Int, precision: ScanPrecision = .float32, rerankFactor: Int = 8, capacity: Int = 1024) {
        precondition(dimension > 0, "dimension must be positive")
        self.dimension = dimension
        self.precision = precision
        self.rerankFactor = max(1, rerankFactor)
        rows = RowBuffer(width: dimension, capacity: capacity)
        halves = precision == .float16 ? RowBuffer(width: dimension, capacity: capacity) : nil
        bytes = precision == .int8 ? RowBuffer(width: dimension, capacity: capacity) : nil
        scales = precision == .int8 ? RowBuffer(width: 1, capacity: capacity) : nil
    }

    public var count: Int { lock.read { ids.count } }

    public func contains(id: FaceID) -> Bool { lock.read { slots[id] != nil } }

    /// Bytes held per vector, all copies included.
    public var bytesPerVector: Int {
        let codes = switch precision {
        case .float32: 0
        case .float16: dimension * 2
        case .int8: dimension + 4
        }
        return dimension * 4 + codes + 8 + 24  // vector, codes, id, and the id -> slot entry
    }

    public func upsert(id: FaceID, vector: [Float]) throws {
        try upsert(contentsOf: [(id, vector)])
    }

    /// Adds many vectors under one lock (rebuilds and snapshot replays).
    public func upsert(contentsOf items: [(FaceID, [Float])]) throws {
        for (_, v) in items { try validate(v) }
        lock.write {
            reserve(ids.count + items.count)
            for (id, vector) in items {
                vector.withUnsafeBufferPointer { put(id: id, $0.baseAddress!) }
            }
        }
    }

    /// Adds many vectors stored back to back in `rows` (`ids.count * dimension` values) under
    /// one lock; ids already present are replaced.
    public func upsert(ids newIDs: [FaceID], rows packed: UnsafeBufferPointer<Float>) throws {
        guard packed.count == newIDs.count * dimension else {
            throw VectorIndexError.dimensionMismatch(expected: newIDs.count * dimension, got: packed.count)
        }
        guard packed.allSatisfy(\.isFinite) else { throw VectorIndexError.notFinite }
        lock.write {
            reserve(ids.count + newIDs.count)
            for (i, id) in newIDs.enumerated() {
                let row = packed.baseAddress! + i * dimension
                put(id: id, row)
            }
        }
    }

    @discardableResult
    public func remove(id: FaceID) -> Bool {
        lock.write {
            guard let slot = slots.removeValue(forKey: id) else { return false }
            let last = ids.count - 1
            rows.removeBySwap(slot)
            halves?.removeBySwap(slot)
            bytes?.removeBySwap(slot)
            scales?.removeBySwap(slot)
            if slot != last {
                ids[slot] = ids[last]
                slots[ids[slot]] = slot
            }
            ids.removeLast()
            return true
        }
    }

    public func removeAll() {
        lock.write {
            ids.removeAll()
            slots.removeAll()
            rows.removeAll()
            halves?.removeAll()
            bytes?.removeAll()
            scales?.removeAll()
        }
    }

    /// The stored float32 vector of `id`.
    public func vector(id: FaceID) -> [Float]? {
        lock.read {
            guard let slot = slots[id] else { return nil }
            return Array(UnsafeBufferPointer(start: rows.row(slot), count: dimension))
        }
    }

    // MARK: Search

    public func search(_ query: [Float], k: Int, minScore: Float = -.infinity) throws -> [SearchHit] {
        try validate(query)
        guard k > 0 else { throw VectorIndexError.invalidK(k) }
        return lock.read {
            query.withUnsafeBufferPointer { q in
                switch precision {
                case .float32:
                    return scanFloat32(q.baseAddress!, k: k, minScore: minScore)
                case .float16, .int8:
                    // Quantised scores are approximate: gather extra candidates with some slack
                    // below the minimum, then rank them exactly.
                    let candidates = scanQuantized(q.baseAddress!, k: k * rerankFactor, minScore: minScore - 0.02)
                    var top = TopK(k: k, minScore: minScore)
                    for hit in candidates {
                        let slot = slots[hit.id]!
                        var score: Float = 0
                        lk_dot_f32(q.baseAddress!, rows.row(slot), 1, dimension, &score)
                        top.offer(id: hit.id, score: score)
                    }
                    return top.hits
                }
            }
        }
    }

    public func search(batch queries: [[Float]], k: Int, minScore: Float = -.infinity) throws -> [[SearchHit]] {
        for q in queries { try validate(q) }
        guard k > 0 else { throw VectorIndexError.invalidK(k) }
        guard precision == .float32, queries.count > 1 else {
            return try queries.map { try search($0, k: k, minScore: minScore) }
        }
        let m = queries.count
        var packed = [Float]()
        packed.reserveCapacity(m * dimension)
        for q in queries { packed += q }
        return lock.read {
            var tops = (0..<m).map { _ in TopK(k: k, minScore: minScore) }
            let n = ids.count
            var scores = [Float](repeating: 0, count: m * min(Self.gemmBlock, max(n, 1)))
            var start = 0
            while start < n {
                let rowsHere = min(Self.gemmBlock, n - start)
                packed.withUnsafeBufferPointer { qp in
                    scores.withUnsafeMutableBufferPointer { sp in
                        lk_scores_gemm(qp.baseAddress!, m, rows.row(start), rowsHere, dimension, sp.baseAddress!)
                    }
                }
                for qi in 0..<m {
                    let line = qi * rowsHere
                    var floor = tops[qi].floor
                    for r in 0..<rowsHere where scores[line + r] >= floor {
                        tops[qi].offer(id: ids[start + r], score: scores[line + r])
                        floor = tops[qi].floor
                    }
                }
                start += rowsHere
            }
            return tops.map(\.hits)
        }
    }

    private func scanFloat32(_ q: UnsafePointer<Float>, k: Int, minScore: Float) -> [SearchHit] {
        scanParts(k: k, minScore: minScore) { range, top in
            scanBlocks(range) { start, n, scores in
                lk_dot_f32(q, rows.row(start), n, dimension, scores)
                offer(scores, n, start, into: &top)
            }
        }
    }

    private func scanQuantized(_ q: UnsafePointer<Float>, k: Int, minScore: Float) -> [SearchHit] {
        if let halves {
            return scanParts(k: k, minScore: minScore) { range, top in
                scanBlocks(range) { start, n, scores in
                    lk_dot_f16(q, halves.row(start), n, dimension, scores)
                    offer(scores, n, start, into: &top)
                }
            }
        } else if let bytes, let scales {
            var qCodes = [Int8](repeating: 0, count: dimension)
            let qScale = qCodes.withUnsafeMutableBufferPointer { lk_f32_to_i8(q, $0.baseAddress!, dimension) }
            return qCodes.withUnsafeBufferPointer { qc in
                scanParts(k: k, minScore: minScore) { range, top in
                    scanBlocks(range) { start, n, scores in
                        lk_dot_i8(qc.baseAddress!, qScale, bytes.row(start), scales.row(start), n, dimension, scores)
                        offer(scores, n, start, into: &top)
                    }
                }
            }
        }
        return []
    }

    /// Values one part of a split scan reads at least: below this, starting threads costs more
    /// than the scan.
    public static let valuesPerPart = 4 * 1024 * 1024
    /// The same for the search of a request alone in the server (`InferenceDemand`), whose other
    /// cores are idle: a 10,000 x 128 scan (about 0.5 ms on one core) is split too. Under load
    /// the other cores are busy with other requests, and a split would only queue behind them.
    public static let valuesPerLonePart = 512 * 1024
    public static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// How many parts a scan of `rows` rows is split into.
    public static func parts(rows: Int, dimension: Int, demand: Int = InferenceDemand.shared.current) -> Int {
        let values = rows * dimension
        let perPart = demand <= 1 ? valuesPerLonePart : valuesPerPart
        return max(1, min(cores, values / perPart))
    }

    /// Runs `body` over the rows, split into parts on all cores when the gallery is large (or
    /// mid-sized and the request alone: `parts(rows:dimension:demand:)`), each
    /// part with its own top-k, then merges. One scan reads at one core's memory bandwidth; a
    /// lone search of a large gallery gets the machine's this way (1,000,000 x 128 float32: 47
    /// -> 25 ms on 2 cores). Merging keeps the order a single scan gives, ties by lower id.
    private func scanParts(k: Int, minScore: Float, _ body: (Range<Int>, inout TopK) -> Void) -> [SearchHit] {
        let n = ids.count
        let parts = Self.parts(rows: n, dimension: dimension)
        guard parts > 1 else {
            var top = TopK(k: k, minScore: minScore)
            body(0..<n, &top)
            return top.hits
        }
        let tops = UnsafeMutableBufferPointer<TopK>.allocate(capacity: parts)
        defer {
            _ = tops.deinitialize()
            tops.deallocate()
        }
        let share = (n + parts - 1) / parts
        withoutActuallyEscaping(body) { body in
            // Each part writes only its own slot, and concurrentPerform returns after all of them.
            nonisolated(unsafe) let body = body, tops = tops
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                var top = TopK(k: k, minScore: minScore)
                body(min(n, i * share)..<min(n, (i + 1) * share), &top)
                (tops.baseAddress! + i).initialize(to: top)
            }
        }
        var merged = TopK(k: k, minScore: minScore)
        for top in tops { for hit in top.hits { merged.offer(id: hit.id, score: hit.score) } }
        return merged.hits
    }

    @inline(__always)
    private func offer(_ scores: UnsafeMutablePointer<Float>, _ n: Int, _ start: Int, into top: inout TopK) {
        var floor = top.floor
        for r in 0..<n where scores[r] >= floor {
            top.offer(id: ids[start + r], score: scores[r])
            floor = top.floor
        }
    }

    /// Calls `body(start, rows, scores)` for consecutive blocks of rows, with a scratch buffer.
    private func scanBlocks(_ range: Range<Int>, _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: Self.block) { scratch in
            var start = range.lowerBound
            while start < range.upperBound {
                let here = min(Self.block, range.upperBound - start)
                body(start, here, scratch.baseAddress!)
                start += here
            }
        }
    }

    // MARK: Storage (callers hold the write lock)

    private func validate(_ vector: [Float]) throws {
        guard vector.count == dimension else { throw VectorIndexError.dimensionMismatch(expected: dimension, got: vector.count) }
        guard vector.allSatisfy(\.isFinite) else { throw VectorIndexError.notFinite }
    }

    /// Makes room for at least `rows` vectors at once, for a load whose size is known: growing
    /// by doubling would hold the old and the new buffers together at the end (1.5x the index).
    /// When it must grow it leaves an eighth to spare, so the enrolments that follow a load do
    /// not copy everything again at once.
    public func reserveCapacity(_ rows: Int) {
        lock.write { reserve(rows, atLeast: rows + rows / 8) }
    }

    /// Room for `n` rows, growing every buffer to at least `grown` when it must grow. Growth is
    /// geometric by default: reserving exactly one more row per enrolment would copy the whole
    /// gallery on every write (quadratic; a 100,000-face load took minutes). A batch larger
    /// than that (a rebuild, a snapshot) gets exactly what it asks.
    private func reserve(_ n: Int, atLeast grown: Int? = nil) {
        guard n > rows.capacity else { return }
        let n = max(n, grown ?? rows.capacity * 2)
        rows.reserve(n)
        halves?.reserve(n)
        bytes?.reserve(n)
        scales?.reserve(n)
    }

    /// Replaces the row of `id`, or appends one.
    private func put(id: FaceID, _ vector: UnsafePointer<Float>) {
        if let slot = slots[id] { store(vector, at: slot) } else { appendRow(id: id, vector) }
    }

    private func appendRow(id: FaceID, _ vector: UnsafePointer<Float>) {
        let slot = ids.count
        rows.append { _ in }
        halves?.append { _ in }
        bytes?.append { _ in }
        scales?.append { _ in }
        store(vector, at: slot)
        ids.append(id)
        slots[id] = slot
    }

    private func store(_ v: UnsafePointer<Float>, at slot: Int) {
        rows.row(slot).update(from: v, count: dimension)
        if let halves { lk_f32_to_f16(v, halves.row(slot), dimension) }
        if let bytes, let scales { scales.row(slot).pointee = lk_f32_to_i8(v, bytes.row(slot), dimension) }
    }

    // MARK: Snapshot access

    /// Reads ids and float32 rows under the read lock (for writing a snapshot).
    func withContents<T>(_ body: ([FaceID], UnsafePointer<Float>) throws -> T) rethrows -> T {
        try lock.read { try body(ids, rows.base) }
    }

    /// The ids held now, for building a second index beside this one a chunk at a time.
    func identifiers() -> [FaceID] { lock.read { ids } }

    /// The float32 rows of those of `wanted` still held, packed, with their ids.
    func rows(of wanted: ArraySlice<FaceID>) -> (ids: [FaceID], rows: [Float]) {
        lock.read {
            var found: [FaceID] = []
            var packed: [Float] = []
            found.reserveCapacity(wanted.count)
            packed.reserveCapacity(wanted.count * dimension)
            for id in wanted {
                guard let slot = slots[id] else { continue }
                found.append(id)
                packed.append(contentsOf: UnsafeBufferPointer(start: rows.row(slot), count: dimension))
            }
            return (found, packed)
        }
    }

    /// Replaces the contents with `ids` and rows that `fill` writes into the buffer (loading a
    /// snapshot). Duplicate ids are refused.
    func replaceContents(ids newIDs: [FaceID], fill: (UnsafeMutablePointer<Float>) throws -> Void) throws -> Bool {
        try lock.write {
            var newSlots = [FaceID: Int](minimumCapacity: newIDs.count)
            for (slot, id) in newIDs.enumerated() {
                guard newSlots.updateValue(slot, forKey: id) == nil else { return false }
            }
            rows.removeAll()
            rows.reserve(newIDs.count)
            try fill(rows.base)
            rows.setCount(newIDs.count)
            halves?.removeAll()
            bytes?.removeAll()
            scales?.removeAll()
            reserve(newIDs.count)
            for slot in 0..<newIDs.count {
                halves?.append { lk_f32_to_f16(rows.row(slot), $0, dimension) }
                if let bytes, let scales {
                    var scale: Float = 0
                    bytes.append { scale = lk_f32_to_i8(rows.row(slot), $0, dimension) }
                    scales.append { $0.pointee = scale }
                }
            }
            ids = newIDs
            slots = newSlots
            return true
        }
    }
}
