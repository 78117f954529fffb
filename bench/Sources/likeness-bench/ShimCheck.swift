import Foundation
import LikenessCore
import LikenessIndex

/// Exercises the FAISS shim, the scan kernels and the snapshot code, error paths included, on
/// small data: meant to run under valgrind (bench/leak_check.sh).
func shimCheck() throws {
    let g = Gallery(n: 3000, d: 64, queries: 10)
    for precision in ScanPrecision.allCases {
        let exact = ExactIndex(dimension: 64, precision: precision)
        try g.rows.withUnsafeBufferPointer { try exact.upsert(ids: g.ids, rows: $0) }
        _ = try exact.search(g.queries[0], k: 5, minScore: -1)
        _ = try exact.search(batch: g.queries, k: 5, minScore: -1)
        for id in 0..<100 as Range<FaceID> { exact.remove(id: id) }
        let path = NSTemporaryDirectory() + "likeness-shimcheck-\(getpid()).snap"
        try Snapshot.write(exact, recognizer: RecognizerID("check"), position: 1, to: path)
        try Snapshot.load(path, into: ExactIndex(dimension: 64, precision: precision), recognizer: RecognizerID("check"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 3] ^= 1
        try bytes.write(to: URL(fileURLWithPath: path))
        _ = try? Snapshot.load(path, into: ExactIndex(dimension: 64), recognizer: RecognizerID("check"))
        unlink(path)
    }
    for description in ["HNSW16", "IVF16,Flat", "IVF16,PQ8np"] {
        let index = try ApproximateIndex(dimension: 64, description: description, parameters: ["efSearch": 32, "nprobe": 4])
        if !index.isTrained { try g.rows.withUnsafeBufferPointer { try index.train($0) } }
        try g.rows.withUnsafeBufferPointer { try index.add(ids: g.ids, vectors: $0) }
        index.remove(id: 5)
        _ = try index.search(batch: g.queries, k: 5, minScore: -1)
    }
    // Error paths: each must come back as a Swift error with nothing left allocated.
    _ = try? ApproximateIndex(dimension: 64, description: "NotAnIndex")
    _ = try? ApproximateIndex(dimension: 64, description: "HNSW8", parameters: ["bogus": 1])
    let untrained = try ApproximateIndex(dimension: 64, description: "IVF8,Flat")
    _ = try? untrained.upsert(id: 1, vector: g.queries[0])
    print("shim check done")
}
