import Foundation
import LikenessCore
import LikenessIndex
import LikenessStore
import Synchronization

/// pgvector's HNSW in PostgreSQL against the in-process exact scans, on the same gallery-shaped
/// vectors (`Gallery`): load time, index build, memory and disk, search latency, searches per
/// second from two threads, and recall@10 against the exact float32 answer. `url` names an empty
/// PostgreSQL database with pgvector installed.
func pgvectorBench(url: String, n: Int, d: Int) async throws {
    let recognizer = RecognizerID("bench")
    let gallery = Gallery(n: n, d: d, queries: 200)
    let store = try SQLStore(url, connections: 4)
    report("== \(n) x \(d), \(try DatabaseURL(url).redacted)")

    // Load: one person and one face per vector, a thousand per transaction.
    var faceIDs: [FaceID] = []
    faceIDs.reserveCapacity(n)
    let loadMs = try await asyncMilliseconds {
        for start in stride(from: 0, to: n, by: 1000) {
            let items = (start..<min(n, start + 1000)).map { i in
                PersonWithFace(person: PersonImport(classID: "P\(i)", name: "P\(i)", info: ""),
                               face: NewFace(embedding: Embedding(recognizer: recognizer,
                                                                  normalized: Array(gallery.rows[(i * d)..<((i + 1) * d)])),
                                             box: BoundingBox(x: 0, y: 0, width: 100, height: 100), detectionScore: 1,
                                             imageSHA256: String(repeating: "0", count: 64)))
            }
            faceIDs += try await store.addPeopleWithFaces(items)
        }
    }
    report(String(format: "load %d faces (no vector index yet): %.1f s", n, loadMs / 1000))
    var rowOf: [FaceID: Int] = [:]
    for (i, id) in faceIDs.enumerated() { rowOf[id] = i }

    // The exact answers, and the in-process indexes' figures.
    var truth: [[SearchHit]] = []
    for precision in [ScanPrecision.float32, .int8] {
        let exact = ExactIndex(dimension: d, precision: precision, capacity: n)
        try gallery.rows.withUnsafeBufferPointer { try exact.upsert(ids: faceIDs, rows: $0) }
        let answers = try gallery.queries.map { try exact.search($0, k: 10) }
        if precision == .float32 { truth = answers }
        let latency = try gallery.queries.prefix(100).map { q in try milliseconds { _ = try exact.search(q, k: 10) } }
        let qps = try await searchesPerSecond(threads: 2, seconds: 3) { i in _ = try exact.search(gallery.queries[i % 200], k: 10) }
        report(String(format: "in-process exact %@: p50 %.2f ms, p99 %.2f ms, %.0f searches/s on 2 threads, recall@10 %.3f, memory %d MB",
                      "\(precision)", median(latency), percentile(latency, 0.99), qps, recallAt10(answers, truth),
                      n * d * (precision == .float32 ? 4 : 1) / 1_000_000))
    }

    // pgvector: the index is built over the loaded rows (faster than row by row).
    // (bench/pgvector_bench.sh gives the server the memory to build in, and prints the sizes.)
    var pg: PGVectorIndex?
    let buildMs = try milliseconds { pg = try PGVectorIndex(store: store, recognizer: recognizer, dimension: d, efSearch: 40) }
    report(String(format: "pgvector: vectors derived and HNSW (m 16, ef_construction 64) built in %.1f s", buildMs / 1000))
    for ef in [40, 100, 200] {
        let index = try PGVectorIndex(store: store, recognizer: recognizer, dimension: d, efSearch: ef)
        let answers = try gallery.queries.map { try index.search($0, k: 10, minScore: -1) }
        let latency = try gallery.queries.prefix(100).map { q in try milliseconds { _ = try index.search(q, k: 10, minScore: -1) } }
        let qps = try await searchesPerSecond(threads: 2, seconds: 3) { i in _ = try index.search(gallery.queries[i % 200], k: 10, minScore: -1) }
        report(String(format: "pgvector ef_search %d: p50 %.2f ms, p99 %.2f ms, %.0f searches/s on 2 threads, recall@10 %.3f",
                      ef, median(latency), percentile(latency, 0.99), qps, recallAt10(answers, truth)))
    }
    _ = pg
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : s[min(s.count - 1, Int(Double(s.count) * p))]
}

final class SearchCounter: Sendable {
    let value = Atomic<Int>(0)
}

/// Searches per second from `threads` threads calling `body` for `seconds` (plain threads:
/// the searches block).
func searchesPerSecond(threads: Int, seconds: Double, _ body: @escaping @Sendable (Int) throws -> Void) async throws -> Double {
    let done = SearchCounter()
    let deadline = Date().addingTimeInterval(seconds)
    let group = DispatchGroup()
    let failure = Mutex<(any Error)?>(nil)
    for t in 0..<threads {
        DispatchQueue.global().async(group: group) {
            var i = t * 7919
            do {
                while Date() < deadline {
                    try body(i)
                    i += 1
                    done.value.add(1, ordering: .relaxed)
                }
            } catch {
                failure.withLock { $0 = error }
            }
        }
    }
    await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in group.notify(queue: .global()) { finished.resume() } }
    if let error = failure.withLock({ $0 }) { throw error }
    return Double(done.value.load(ordering: .relaxed)) / seconds
}
