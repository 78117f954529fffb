import LikenessCore
import LikenessIndex
import Testing

@Suite struct ExactIndexTests {
    @Test(arguments: ScanPrecision.allCases, [7, 128, 512])
    func matchesBruteForce(precision: ScanPrecision, dimension: Int) throws {
        var gen = VectorGenerator(seed: UInt64(dimension))
        let data = (0..<3000).map { (FaceID($0 * 3 + 1), gen.unitVector(dimension)) }
        let index = ExactIndex(dimension: dimension, precision: precision)
        try index.upsert(contentsOf: data)
        #expect(index.count == 3000)
        for _ in 0..<20 {
            // Queries near a stored vector, so the top hits are well separated from the rest.
            let anchor = data[Int(gen.next() % 3000)].1
            let q = Embedding(recognizer: RecognizerID("t"), raw: zip(anchor, gen.unitVector(dimension)).map { $0 + 0.3 * $1 }).vector
            let expected = bruteForce(data, q, k: 10, minScore: -1)
            let got = try index.search(q, k: 10, minScore: -1)
            if precision == .float32 {
                #expect(agree(got, expected), "\(got.prefix(3)) vs \(expected.prefix(3))")
            } else {
                // Re-ranked in float32, so whatever is returned carries its exact score, and
                // the best hit is found.
                #expect(got.first?.id == expected.first?.id)
                let recall = Set(got.map(\.id)).intersection(expected.map(\.id)).count
                #expect(recall >= 9, "recall@10 \(recall) for \(precision)")
            }
        }
    }

    /// Large enough that a search is split over the cores (where there are several): at a large
    /// gallery's parts, and at the smaller ones of a lone request (the tests count no request in
    /// hand), with many equal scores across the parts' boundaries: the merge must give a single
    /// scan's order.
    @Test(arguments: ScanPrecision.allCases, [2 * ExactIndex.valuesPerPart, 3 * ExactIndex.valuesPerLonePart])
    func splitScanMatchesBruteForce(precision: ScanPrecision, values: Int) throws {
        let dimension = 128, n = values / dimension + 5
        var gen = VectorGenerator(seed: 99)
        let twins = gen.unitVector(dimension)
        let data = (0..<n).map { i in (FaceID(i + 1), i % 1000 == 7 ? twins : gen.unitVector(dimension)) }
        let index = ExactIndex(dimension: dimension, precision: precision)
        try index.upsert(contentsOf: data)
        let expected = bruteForce(data, twins, k: 20, minScore: -1)
        let got = try index.search(twins, k: 20, minScore: -1)
        // The twins tie at the top: every part holds some, and ties go to the lower id.
        #expect(got.map(\.id) == expected.map(\.id), "\(got.prefix(4)) vs \(expected.prefix(4))")
    }

    /// A lone request's search of 10,000 x 128 is split over the cores; under load, or for a
    /// small gallery, it is not; a large gallery is split either way.
    @Test func scansSplitForALoneRequestOrALargeGallery() {
        let two = min(ExactIndex.cores, 2)
        #expect(ExactIndex.parts(rows: 10_000, dimension: 128, demand: 1) == two)
        #expect(ExactIndex.parts(rows: 10_000, dimension: 128, demand: 0) == two)
        #expect(ExactIndex.parts(rows: 10_000, dimension: 128, demand: 4) == 1)
        #expect(ExactIndex.parts(rows: 1_000, dimension: 128, demand: 1) == 1)
        #expect(ExactIndex.parts(rows: 0, dimension: 128, demand: 1) == 1)
        #expect(ExactIndex.parts(rows: 1_000_000, dimension: 128, demand: 4) == ExactIndex.cores)
    }

    @Test func batchSearchEqualsSingleSearch() throws {
        var gen = VectorGenerator(seed: 42)
        let index = ExactIndex(dimension: 64)
        let data = (0..<20000).map { (FaceID($0), gen.unitVector(64)) }
        try index.upsert(contentsOf: data)
        let queries = (0..<17).map { _ in gen.unitVector(64) }
        let batch = try index.search(batch: queries, k: 5, minScore: 0.1)
        for (q, hits) in zip(queries, batch) {
            #expect(agree(hits, try index.search(q, k: 5, minScore: 0.1), tolerance: 1e-4))
        }
    }

    @Test func tiesAreOrderedByID() throws {
        let index = ExactIndex(dimension: 4)
        let v: [Float] = [0.5, 0.5, 0.5, 0.5]
        for id in [9, 3, 7, 1] as [FaceID] { try index.upsert(id: id, vector: v) }
        try index.upsert(id: 5, vector: [1, 0, 0, 0])
        #expect(try index.search(v, k: 3, minScore: -1).map(\.id) == [1, 3, 7])
    }

    @Test func minScoreFiltersAndKLimits() throws {
        let index = ExactIndex(dimension: 2)
        try index.upsert(id: 1, vector: [1, 0])
        try index.upsert(id: 2, vector: [0.6, 0.8])
        try index.upsert(id: 3, vector: [0, 1])
        let hits = try index.search([1, 0], k: 10, minScore: 0.5)
        #expect(hits.map(\.id) == [1, 2])
        #expect(try index.search([1, 0], k: 1, minScore: -1).map(\.id) == [1])
        #expect(throws: VectorIndexError.invalidK(0)) { try index.search([1, 0], k: 0, minScore: 0) }
        #expect(throws: VectorIndexError.dimensionMismatch(expected: 2, got: 3)) { try index.search([1, 0, 0], k: 1, minScore: 0) }
        #expect(throws: VectorIndexError.notFinite) { try index.upsert(id: 4, vector: [.nan, 0]) }
    }

    @Test(arguments: ScanPrecision.allCases)
    func removeAndReplace(precision: ScanPrecision) throws {
        var gen = VectorGenerator(seed: 7)
        let index = ExactIndex(dimension: 32, precision: precision, capacity: 2)
        var data: [FaceID: [Float]] = [:]
        for id in 0..<500 as Range<FaceID> {
            data[id] = gen.unitVector(32)
            try index.upsert(id: id, vector: data[id]!)
        }
        for id in stride(from: 0, to: 500, by: 3) as StrideTo<FaceID> {
            #expect(index.remove(id: id))
            data[id] = nil
        }
        #expect(!index.remove(id: 0))
        for id in stride(from: 1, to: 500, by: 5) as StrideTo<FaceID> where data[id] != nil {
            data[id] = gen.unitVector(32)
            try index.upsert(id: id, vector: data[id]!)
        }
        #expect(index.count == data.count)
        for (id, v) in data {
            #expect(index.vector(id: id) == v)
            #expect(try index.search(v, k: 1, minScore: 0.99).first?.id == id)
        }
        #expect(!index.contains(id: 3) && index.contains(id: 1))
    }

    @Test func emptyIndexFindsNothing() throws {
        let index = ExactIndex(dimension: 8)
        #expect(try index.search([Float](repeating: 0.1, count: 8), k: 5, minScore: -1).isEmpty)
        #expect(try index.search(batch: [[Float](repeating: 0.1, count: 8), [Float](repeating: 0.2, count: 8)], k: 5, minScore: -1) == [[], []])
    }

    /// Searches run while writers replace and remove vectors. Every vector ever stored under
    /// an id is that id's pattern, so a hit for a half-written or moved row would score
    /// differently from its id's pattern.
    @Test func concurrentSearchesWithWriters() async throws {
        let d = 64
        let index = ExactIndex(dimension: d)
        func pattern(_ id: FaceID) -> [Float] {
            var gen = VectorGenerator(seed: UInt64(id) + 1000)
            return gen.unitVector(d)
        }
        try index.upsert(contentsOf: (0..<2000).map { ($0, pattern($0)) })
        let bad = try await withThrowingTaskGroup(of: Int.self) { group in
            for w in 0..<2 {
                group.addTask {
                    for round in 0..<300 {
                        let id = FaceID((round * 7 + w * 13) % 2500)
                        if round % 3 == 0 { index.remove(id: id) } else { try index.upsert(id: id, vector: pattern(id)) }
                    }
                    return 0
                }
            }
            for r in 0..<4 {
                group.addTask {
                    var wrong = 0
                    for i in 0..<200 {
                        let id = FaceID((i * 11 + r) % 2000)
                        let q = pattern(id)
                        for hit in try index.search(q, k: 3, minScore: -1) {
                            let expected = zip(pattern(hit.id), q).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                            if abs(expected - hit.score) > 1e-4 { wrong += 1 }
                        }
                    }
                    return wrong
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(bad == 0)
    }
}
