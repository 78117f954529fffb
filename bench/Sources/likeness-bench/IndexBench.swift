import CKernels
import Foundation
import LikenessCore
import LikenessIndex

/// Vectors shaped like a face gallery: embeddings of real faces lie near a low-dimensional
/// manifold, so each is a random point of a 32-dimensional latent space (people), plus a
/// per-face offset (pose, light), mapped into d dimensions by a fixed random matrix, with a
/// little isotropic noise, and normalised. Each person has four faces; queries are new faces
/// of gallery people. Uniformly random vectors would make every neighbour past the first few
/// a coin toss that no approximate index (nor a real gallery) has. Deterministic (SplitMix64).
struct Gallery {
    static let latent = 32
    let n: Int
    let d: Int
    var rows: [Float]
    var queries: [[Float]]

    init(n: Int, d: Int, queries q: Int, seed: UInt64 = 1) {
        self.n = n
        self.d = d
        var state = seed
        func uniform() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float(Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) * 2 - 1)
        }
        func normalise(_ v: UnsafeMutableBufferPointer<Float>) {
            var s: Float = 0
            for x in v { s += x * x }
            let inv = 1 / s.squareRoot()
            for i in v.indices { v[i] *= inv }
        }
        let l = Self.latent
        let projection = (0..<(d * l)).map { _ in uniform() }
        var latents = [Float](repeating: 0, count: (n + q) * l)
        var person = [Float](repeating: 0, count: l)
        for i in 0..<(n + q) {
            let who = i < n ? i / 4 : ((i - n) * 7919 % n) / 4
            var personState = UInt64(who) &* 0x2545_F491_4F6C_DD1D &+ seed
            swap(&state, &personState)
            for j in 0..<l { person[j] = uniform() }
            swap(&state, &personState)
            for j in 0..<l { latents[i * l + j] = person[j] + 0.35 * uniform() }
        }
        var mapped = [Float](repeating: 0, count: (n + q) * d)
        latents.withUnsafeBufferPointer { z in
            projection.withUnsafeBufferPointer { p in
                mapped.withUnsafeMutableBufferPointer { out in
                    lk_scores_gemm(z.baseAddress!, n + q, p.baseAddress!, d, l, out.baseAddress!)
                }
            }
        }
        mapped.withUnsafeMutableBufferPointer { all in
            for i in 0..<(n + q) {
                let row = UnsafeMutableBufferPointer(rebasing: all[(i * d)..<((i + 1) * d)])
                for j in 0..<d { row[j] += 0.8 * uniform() }
                normalise(row)
            }
        }
        self.queries = (0..<q).map { Array(mapped[((n + $0) * d)..<((n + $0 + 1) * d)]) }
        mapped.removeLast(q * d)
        self.rows = mapped
    }

    var ids: [FaceID] { (0..<n).map { FaceID($0) } }
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
}

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let (s, a) = (ContinuousClock.now - start).components
    return Double(s) * 1000 + Double(a) / 1e15
}

func recallAt10(_ got: [[SearchHit]], _ truth: [[SearchHit]]) -> Double {
    var hit = 0, total = 0
    for (g, t) in zip(got, truth) {
        let want = Set(t.prefix(10).map(\.id))
        hit += g.prefix(10).filter { want.contains($0.id) }.count
        total += want.count
    }
    return Double(hit) / Double(max(total, 1))
}

func report(_ line: String) {
    // Unbuffered so progress shows while a long step runs.
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func indexBench(outDir: String, sizes: [Int], dims: [Int], flags: Set<String>) throws {
    try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
    report("kernels: \(String(cString: lk_kernel_name()))")
    var results: [[String: Any]] = []
    for n in sizes {
        for d in dims {
            var r: [String: Any] = ["n": n, "d": d]
            let gallery = Gallery(n: n, d: d, queries: 100)
            let singles = Array(gallery.queries.prefix(30))
            let bytes = n * d * 4
            report("\n== \(n) x \(d) (\(bytes / 1_000_000) MB of float32)")

            // Floor: a plain sequential read of the same bytes, best of 5.
            var sink: UInt64 = 0
            let readMs = gallery.rows.withUnsafeBytes { raw in
                (0..<5).map { _ in milliseconds { sink ^= lk_read_all(raw.baseAddress, raw.count) } }.min()!
            }
            let bandwidth = Double(bytes) / (readMs / 1000) / 1e9
            report(String(format: "read bandwidth %.1f GB/s (checksum %llx)", bandwidth, sink & 0xF))
            r["bandwidth_gbs"] = bandwidth

            var truth: [[SearchHit]] = []
            for precision in ScanPrecision.allCases {
                let index = ExactIndex(dimension: d, precision: precision, capacity: n)
                let build = try gallery.rows.withUnsafeBufferPointer { rows in
                    try milliseconds { try index.upsert(ids: gallery.ids, rows: rows) }
                }
                var times: [Double] = []
                for q in singles { times.append(try milliseconds { _ = try index.search(q, k: 5, minScore: -1) }) }
                let scanned = precision == .float32 ? bytes : (precision == .float16 ? bytes / 2 : bytes / 4 + n * 4)
                let floor = Double(scanned) / (bandwidth * 1e9) * 1000
                let med = median(times)
                report(String(format: "exact %@: top-5 median %.2f ms (floor %.2f ms, %.2fx), build %.0f ms, %d B/vector",
                              precision.rawValue, med, floor, med / floor, build, index.bytesPerVector))
                r["exact_\(precision.rawValue)_ms"] = med
                r["exact_\(precision.rawValue)_floor_ms"] = floor
                if precision == .float32 {
                    truth = try index.search(batch: gallery.queries, k: 10, minScore: -1)
                    var batchTimes: [Double] = []
                    for _ in 0..<3 {
                        batchTimes.append(try milliseconds { _ = try index.search(batch: gallery.queries, k: 5, minScore: -1) })
                    }
                    let b = median(batchTimes)
                    report(String(format: "exact float32 batch of 100 (sgemm): %.0f ms, %.0f queries/s", b, 100_000 / b))
                    r["exact_batch100_ms"] = b
                    if n == sizes.max(), d == dims.max() {
                        try snapshotBench(index, outDir: outDir, into: &r)
                    }
                } else {
                    let got = try gallery.queries.map { try index.search($0, k: 10, minScore: -1) }
                    report(String(format: "exact %@ recall@10 vs float32: %.4f", precision.rawValue, recallAt10(got, truth)))
                }
            }

            try faissBench("Flat", gallery, singles: singles, truth: truth, into: &r, label: "faiss_flat")
            let hnswAllowed = !(flags.contains("--no-hnsw-512") && d >= 512 && n >= 1_000_000)
            if hnswAllowed {
                try faissBench("HNSW32", gallery, singles: singles, truth: truth, into: &r, label: "hnsw",
                               parameters: ["efSearch": 128], sweep: ("efSearch", [16, 32, 64, 256]))
            }
            try faissBench("IVF1024,PQ\(d / 8)np", gallery, singles: singles, truth: truth, into: &r, label: "ivfpq",
                           parameters: ["nprobe": 32], sweep: ("nprobe", [8, 128]))

            // Export for the Python faiss-cpu comparison.
            let base = "\(outDir)/\(n)_\(d)"
            try gallery.rows.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: base + ".base.f32")) }
            try gallery.queries.flatMap { $0 }.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: base + ".queries.f32")) }
            results.append(r)
        }
    }
    let json = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
    try json.write(to: URL(fileURLWithPath: outDir + "/swift_results.json"))
}

func faissBench(_ description: String, _ g: Gallery, singles: [[Float]], truth: [[SearchHit]],
                into r: inout [String: Any], label: String, parameters: [String: Double] = [:],
                sweep: (name: String, values: [Double])? = nil) throws {
    // Building may use both cores; searching is measured single-threaded like the exact scan.
    NativeThreads.setFaissThreads(ProcessInfo.processInfo.activeProcessorCount)
    let before = residentMegabytes()
    let index = try ApproximateIndex(dimension: g.d, description: description, parameters: parameters)
    var trainMs = 0.0
    if !index.isTrained {
        let sample = min(g.n, 40_000)  // FAISS asks for 39 training points per IVF list
        trainMs = try g.rows.withUnsafeBufferPointer { rows in
            try milliseconds { try index.train(UnsafeBufferPointer(rebasing: rows[0..<(sample * g.d)])) }
        }
    }
    let addMs = try g.rows.withUnsafeBufferPointer { rows in try milliseconds { try index.add(ids: g.ids, vectors: rows) } }
    let memory = (residentMegabytes() - before) * 1_048_576 / Double(g.n)
    NativeThreads.setFaissThreads(1)
    var times: [Double] = []
    for q in singles { times.append(try milliseconds { _ = try index.search(q, k: 5, minScore: -1) }) }
    let got = try g.queries.map { try index.search($0, k: 10, minScore: -1) }
    let recall = recallAt10(got, truth)
    // What the tiered index serves: 4x the candidates, re-ranked with the exact vectors.
    let reranked = try g.queries.map { q in
        try index.search(q, k: 40, minScore: -1).map { hit in
            SearchHit(id: hit.id, score: (0..<g.d).reduce(Float(0)) { $0 + q[$1] * g.rows[Int(hit.id) * g.d + $1] })
        }.sorted(by: ranksBefore)
    }
    let rerankedRecall = recallAt10(reranked, truth)
    let med = median(times)
    let exact = r["exact_float32_ms"] as? Double ?? .nan
    report(String(format: "faiss %@: top-5 median %.2f ms (exact/this %.1fx), recall@10 %.4f (%.4f re-ranked from 40), train %.0f ms, add %.0f ms, ~%.0f B/vector",
                  description, med, exact / med, recall, rerankedRecall, trainMs, addMs, memory))
    r["\(label)_recall10_reranked"] = rerankedRecall
    r["\(label)_ms"] = med
    r["\(label)_recall10"] = recall
    r["\(label)_build_ms"] = trainMs + addMs
    // The speed/recall trade-off of the search parameter, on the same built index.
    if let sweep {
        for value in sweep.values {
            try index.setParameter(sweep.name, value)
            var t: [Double] = []
            for q in singles { t.append(try milliseconds { _ = try index.search(q, k: 5, minScore: -1) }) }
            let rec = recallAt10(try g.queries.map { try index.search($0, k: 10, minScore: -1) }, truth)
            let m = median(t)
            report(String(format: "  %@ %@=%.0f: top-5 median %.2f ms (exact/this %.1fx), recall@10 %.4f",
                          description, sweep.name, value, m, exact / m, rec))
            r["\(label)_\(sweep.name)_\(Int(value))_ms"] = m
            r["\(label)_\(sweep.name)_\(Int(value))_recall10"] = rec
        }
    }
}

func snapshotBench(_ index: ExactIndex, outDir: String, into r: inout [String: Any]) throws {
    let path = outDir + "/bench.snapshot"
    let recognizer = RecognizerID("bench")
    let writeMs = try milliseconds { try Snapshot.write(index, recognizer: recognizer, position: 42, to: path) }
    // Drop the page cache's copy? Not possible without root privileges on every machine; this
    // measures a load from the cache, as after a normal restart.
    let loaded = ExactIndex(dimension: index.dimension)
    let loadMs = try milliseconds { try Snapshot.load(path, into: loaded, recognizer: recognizer) }
    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    report(String(format: "snapshot %d MB: write (with fsync) %.0f ms, load (validated) %.0f ms, %d vectors back",
                  size / 1_000_000, writeMs, loadMs, loaded.count))
    r["snapshot_write_ms"] = writeMs
    r["snapshot_load_ms"] = loadMs
    try FileManager.default.removeItem(atPath: path)
}
