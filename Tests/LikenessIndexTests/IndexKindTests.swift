import Foundation
import LikenessCore
@testable import LikenessIndex
import Synchronization
import Testing

@Suite struct IndexKindTests {
    @Test func settingsNameKindsOursAndTheOriginals() {
        #expect(IndexKind(setting: "IndexFlatIP") == .exact)
        #expect(IndexKind(setting: "exact-i8") == .exactI8 && IndexKind(setting: " HNSW ") == .hnsw && IndexKind(setting: "IndexIVFFlat") == .ivf)
        #expect(IndexKind(setting: "auto") == .auto && IndexKind(setting: "kd-tree") == nil)
        #expect(IndexKind.exactF16.configuration(dimension: 128).precision == .float16)
        // auto: exact until a scan reads the budget's floats.
        #expect(IndexKind.auto.configuration(dimension: 128).approximateAbove == IndexKind.autoScanBudget / 128)
    }

    @Test func ivfListsFollowTheGallerysSize() {
        let ivf = IndexKind.ivf.configuration(dimension: 16)
        #expect(ivf.description(for: 1000) == "IVF25,Flat")  // capped at 39 training vectors per list
        #expect(ivf.description(for: 1_000_000) == "IVF4000,Flat")
        #expect(!TieredIndex.listsOutgrown("IVF4000,Flat", count: 1_500_000))
        #expect(TieredIndex.listsOutgrown("IVF25,Flat", count: 1_000_000) && !TieredIndex.listsOutgrown("HNSW32", count: 10))
    }

    /// The approximate index is built while writers and readers go on: writes made during the
    /// build are in it when it is swapped in, and no search fails or misses a written face.
    @Test func approximateIndexBuildsBesideTheServingOne() async throws {
        let data = ApproximateIndexTests.gallery(400, 10, 32, seed: 5)
        let exact = ExactIndex(dimension: 32)
        try exact.upsert(contentsOf: data)
        let tiered = TieredIndex(exact: exact, configuration: IndexConfiguration(approximate: "HNSW16", approximateAbove: 100))
        let written = Mutex<[(FaceID, [Float])]>([])
        let building = Task.detached { try tiered.maintain() }
        var gen = VectorGenerator(seed: 77)
        for i in 0..<300 {
            let id = FaceID(100_000 + i)
            let v = gen.unitVector(32)
            try tiered.upsert(id: id, vector: v)
            tiered.remove(id: FaceID(i))  // the first faces go
            written.withLock { $0.append((id, v)) }
            let (probeID, probe) = written.withLock { $0[Int(gen.next() % UInt64($0.count))] }
            #expect(try tiered.search(probe, k: 1, minScore: 0.99).first?.id == probeID)
        }
        #expect(try await building.value && tiered.servingKind == "HNSW16")
        for (id, v) in written.withLock({ $0 }) {
            #expect(try tiered.search(v, k: 1, minScore: 0.99).first?.id == id)
        }
        for (id, v) in data.prefix(300) {
            #expect(try tiered.search(v, k: 3, minScore: -1).allSatisfy { $0.id != id })
        }
        #expect(tiered.memoryBytes > tiered.count * 32 * 4 * 2)
    }
}

/// A source whose enumeration waits at a gate once armed: a rebuild held in progress.
private final class GatedSource: EmbeddingSource, @unchecked Sendable {
    let armed = Atomic(false)
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)

    func currentPosition() throws -> Int64 { 0 }
    func changes(recognizer: RecognizerID, after position: Int64) throws -> [EmbeddingChange] { [] }
    func forEachEmbedding(recognizer: RecognizerID, _ body: (FaceID, [Float]) throws -> Void) throws -> Int64 {
        if armed.load(ordering: .relaxed) {
            entered.signal()
            release.wait()
        }
        return 0
    }
}

@Suite struct RebuildExclusionTests {
    @Test func aSecondRebuildWhileOneRunsIsRefusedAndTheFirstStillSwaps() async throws {
        let source = GatedSource()
        let live = try LiveIndex(loader: IndexLoader(recognizer: RecognizerID("r"), dimension: 8, snapshotPath: "/nonexistent/likeness"),
                                 source: source)
        source.armed.store(true, ordering: .relaxed)
        let first = Task.detached { try live.rebuild(kind: .exactF16) }
        source.entered.wait()
        #expect(live.details.rebuilding == .exactF16 && live.kind == "exact")
        #expect(throws: IndexRebuildError.alreadyRunning(.exactF16)) { try live.rebuild(kind: .exact) }
        source.release.signal()
        try await first.value
        #expect(live.kind == "exact-float16" && live.details.rebuilding == nil)
    }
}
