import LikenessCore
import LikenessIndex
import Testing

@Suite struct ApproximateIndexTests {
    /// Clustered data, like faces: several vectors near each identity's centre.
    static func gallery(_ people: Int, _ perPerson: Int, _ d: Int, seed: UInt64) -> [(FaceID, [Float])] {
        var gen = VectorGenerator(seed: seed)
        var out: [(FaceID, [Float])] = []
        for p in 0..<people {
            let centre = gen.unitVector(d)
            for j in 0..<perPerson {
                let noise = gen.unitVector(d)
                out.append((FaceID(p * perPerson + j), Embedding(recognizer: RecognizerID("t"), raw: zip(centre, noise).map { $0 + 0.5 * $1 }).vector))
            }
        }
        return out
    }

    func recallAt10(_ index: any VectorIndex, _ data: [(FaceID, [Float])], queries: Int = 50) throws -> Double {
        var gen = VectorGenerator(seed: 1234)
        var hits = 0
        for _ in 0..<queries {
            let q = data[Int(gen.next() % UInt64(data.count))].1
            let truth = Set(bruteForce(data, q, k: 10, minScore: -1).map(\.id))
            hits += try index.search(q, k: 10, minScore: -1).filter { truth.contains($0.id) }.count
        }
        return Double(hits) / Double(queries * 10)
    }

    @Test(arguments: [("HNSW32", false), ("IVF32,Flat", true), ("IVF32,PQ16np", true)])
    func recallAgainstExact(description: String, needsTraining: Bool) throws {
        let data = Self.gallery(400, 5, 64, seed: 3)
        let index = try ApproximateIndex(dimension: 64, description: description, parameters: ["efSearch": 64, "nprobe": 16])
        #expect(index.isTrained == !needsTraining)
        let clock = ContinuousClock()
        let t0 = clock.now
        let flat = data.flatMap(\.1)
        if needsTraining { try flat.withUnsafeBufferPointer { try index.train($0) } }
        let t1 = clock.now
        try flat.withUnsafeBufferPointer { try index.add(ids: data.map(\.0), vectors: $0) }
        let t2 = clock.now
        let recall = try recallAt10(index, data)
        print("\(description): recall@10 \(recall) train \(t1 - t0) add \(t2 - t1) search \(clock.now - t2)")
        #expect(recall >= (description.contains("PQ") ? 0.5 : 0.9))
    }

    @Test func tombstonesAreSkipped() throws {
        let data = Self.gallery(50, 4, 32, seed: 9)
        let index = try ApproximateIndex(dimension: 32, description: "HNSW16")
        for (id, v) in data { try index.upsert(id: id, vector: v) }
        #expect(index.remove(id: 0) && !index.remove(id: 0))
        try index.upsert(id: 1, vector: data[100].1)  // replaced: its old vector is a tombstone
        #expect(index.count == data.count - 1)
        #expect(abs(index.tombstoneRatio - 2.0 / Double(data.count + 1)) < 1e-9)
        let hits = try index.search(data[0].1, k: 5, minScore: -1)
        #expect(!hits.contains { $0.id == 0 })
        let replaced = try index.search(data[1].1, k: 3, minScore: -1)
        #expect(replaced.first?.id != 1)
        #expect(try index.search(data[100].1, k: 2, minScore: -1).map(\.id).sorted() == [1, 100])
    }

    @Test func badDescriptionsAndUntrainedAddsAreErrors() throws {
        #expect(throws: FaissError.self) { try ApproximateIndex(dimension: 32, description: "NoSuchIndex42") }
        let ivf = try ApproximateIndex(dimension: 8, description: "IVF4,Flat")
        #expect(throws: FaissError.self) { try ivf.upsert(id: 1, vector: [Float](repeating: 0.1, count: 8)) }
        #expect(throws: VectorIndexError.dimensionMismatch(expected: 8, got: 3)) { try ivf.upsert(id: 1, vector: [1, 2, 3]) }
        #expect(throws: FaissError.self) { try ApproximateIndex(dimension: 8, description: "HNSW8", parameters: ["noSuchParameter": 3]) }
    }

    @Test func cancelledBuildsStopAndSearchesStayExact() throws {
        let data = Self.gallery(300, 4, 32, seed: 12)
        let exact = ExactIndex(dimension: 32)
        try exact.upsert(contentsOf: data)
        let tiered = TieredIndex(exact: exact, configuration: IndexConfiguration(approximate: "HNSW16", approximateAbove: 100))
        tiered.cancelBuilds()
        #expect(throws: IndexBuildError.cancelled) { try tiered.maintain() }
        #expect(tiered.servingKind == "exact")
        let hits = try tiered.search(data[3].1, k: 1, minScore: -1)
        #expect(hits.first?.id == data[3].0)
    }

    @Test func tieredIndexSwitchesAboveThresholdAndReranks() throws {
        let data = Self.gallery(300, 4, 32, seed: 11)
        let exact = ExactIndex(dimension: 32)
        try exact.upsert(contentsOf: Array(data.prefix(500)))
        let tiered = TieredIndex(exact: exact, configuration: IndexConfiguration(approximate: "HNSW16", approximateAbove: 1000))
        #expect(try !tiered.maintain() && tiered.servingKind == "exact")
        for (id, v) in data.dropFirst(500) { try tiered.upsert(id: id, vector: v) }
        #expect(try tiered.maintain() && tiered.servingKind == "HNSW16")
        // Writes after the switch reach both indexes; results carry exact scores.
        let late = data[7].1
        try tiered.upsert(id: 99_999, vector: late)
        tiered.remove(id: 7)
        let hits = try tiered.search(late, k: 3, minScore: -1)
        #expect(hits.first?.id == 99_999 && abs(hits[0].score - 1) < 1e-4 && !hits.contains { $0.id == 7 })
        #expect(try recallAt10(tiered, data.filter { $0.0 != 7 } + [(99_999, late)]) >= 0.9)
    }
}
