import Foundation
import LikenessCore
import LikenessIndex
import LikenessStore
import Synchronization
import Testing

/// The index following the real database: enroll, delete, snapshot, restart, corruption.
@Suite struct LiveIndexTests {
    let recognizer = RecognizerID("r")

    /// A snapshot prunes the change log behind it; an older snapshot (a restored backup) can no
    /// longer be replayed, so it is rebuilt instead of missing the pruned deletions.
    @Test(arguments: Backend.available)
    func snapshotsPruneTheChangeLogAndOldSnapshotsRebuild(backend: Backend) async throws {
        let url = try backend.freshURL()
        let store = try SQLStore(url: url)
        let snapshot = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-prune-\(UUID().uuidString)").path
        defer { unlink(snapshot); unlink(snapshot + ".old") }
        let loader = IndexLoader(recognizer: recognizer, dimension: 8, snapshotPath: snapshot)
        let live = try LiveIndex(loader: loader, source: store)
        _ = try await store.createPerson(classID: "A", name: "Alice", info: "")
        _ = try await store.createPerson(classID: "B", name: "Bob", info: "")
        let a = try await store.addFace(newFace(1), classID: "A")
        try live.catchUp()
        try live.snapshot()
        #expect(try store.changes(recognizer: recognizer, after: 0).isEmpty)
        #expect(try store.prunedThrough(recognizer: recognizer) == live.position)
        try FileManager.default.copyItem(atPath: snapshot, toPath: snapshot + ".old")

        let b = try await store.addFace(newFace(2), classID: "B")
        try await store.deleteFace(id: a.id)
        try live.catchUp()
        try live.snapshot()
        #expect(try store.changes(recognizer: recognizer, after: 0).isEmpty)

        // Restore the older snapshot: its replay would miss the pruned delete of `a`.
        unlink(snapshot)
        try FileManager.default.copyItem(atPath: snapshot + ".old", toPath: snapshot)
        let restarted = try LiveIndex(loader: loader, source: SQLStore(url: url))
        guard case .rebuilt = restarted.report.origin else { Issue.record("an old snapshot must be rebuilt"); return }
        #expect(!restarted.index.contains(id: a.id) && restarted.index.contains(id: b.id))
    }

    @Test(arguments: Backend.available)
    func followsTheDatabaseAcrossRestarts(backend: Backend) async throws {
        let url = try backend.freshURL()
        let store = try SQLStore(url: url)
        let snapshot = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-live-\(UUID().uuidString)").path
        defer { unlink(snapshot) }
        let loader = IndexLoader(recognizer: recognizer, dimension: 8, snapshotPath: snapshot)

        let live = try LiveIndex(loader: loader, source: store)
        guard case .rebuilt = live.report.origin else { Issue.record("a first start rebuilds"); return }
        _ = try await store.createPerson(classID: "A", name: "Alice", info: "")
        _ = try await store.createPerson(classID: "B", name: "Bob", info: "")
        let a = try await store.addFace(newFace(1), classID: "A")
        let b = try await store.addFace(newFace(2), classID: "B")
        #expect(try live.catchUp() == 2)
        #expect(try live.index.search(unitVector(1), k: 1, minScore: 0.99).first?.id == a.id)
        try live.snapshot()

        // After the snapshot: a new face, a deleted person. A restart replays both.
        let a2 = try await store.addFace(newFace(3), classID: "A")
        _ = try await store.deletePerson(classID: "B")
        let restarted = try LiveIndex(loader: loader, source: SQLStore(url: url))
        #expect(restarted.report.origin == .snapshot && restarted.report.replayed == 2)
        #expect(restarted.index.contains(id: a2.id) && !restarted.index.contains(id: b.id))
        #expect(try restarted.index.search(unitVector(2), k: 3, minScore: 0.99).isEmpty)

        // A corrupted snapshot is rebuilt from the database, with the same contents.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: snapshot))
        bytes[40] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: snapshot))
        let rebuilt = try LiveIndex(loader: loader, source: store)
        guard case .rebuilt = rebuilt.report.origin else { Issue.record("corruption must rebuild"); return }
        #expect(rebuilt.index.count == 2 && rebuilt.index.contains(id: a.id) && rebuilt.index.contains(id: a2.id))
        #expect(rebuilt.position == restarted.position)
    }
}

/// Rebuilds and kind switches on the real database while faces are enrolled and searched.
@Suite struct OnlineRebuildTests {
    let recognizer = RecognizerID("r")

    @Test(arguments: Backend.available)
    func kindsSwitchOnlineAndLoseNoAcknowledgedFace(backend: Backend) async throws {
        let store = try SQLStore(url: try backend.freshURL())
        let snapshot = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-online-\(UUID().uuidString)").path
        defer { unlink(snapshot) }
        let live = try LiveIndex(loader: IndexLoader(recognizer: recognizer, dimension: 8, snapshotPath: snapshot), kind: .exact, source: store)
        _ = try await store.createPerson(classID: "A", name: "Alice", info: "")
        // Enough faces for IVF to train (1,000); each seed's vector is distinct.
        var acknowledged: [(FaceID, Int)] = []
        for seed in 1...1100 {
            acknowledged.append((try await store.addFace(newFace(seed), classID: "A").id, seed))
        }
        try live.catchUp()
        let run = SharedRun(acknowledged)

        // A reader: each search must find a face acknowledged before it started.
        let reader = Task.detached { [live, run] () -> Int in
            var gen = VectorGenerator(seed: 3)
            var searches = 0
            while !run.stop.load(ordering: .relaxed) {
                let (id, seed) = run.faces.withLock { $0[Int(gen.next() % UInt64($0.count))] }
                do {
                    let hit = try live.search(unitVector(seed), k: 1, minScore: 0.999).first
                    if hit?.id != id { run.failures.withLock { $0.append("face \(id) missing (kind \(live.kind))") } }
                } catch {
                    run.failures.withLock { $0.append("search failed: \(error)") }
                }
                searches += 1
            }
            return searches
        }
        // A writer: enrol, catch up (acknowledge), publish.
        let writer = Task { [live, run, store] in
            var seed = 5000
            while !run.stop.load(ordering: .relaxed) {
                seed += 1
                let face = try await store.addFace(newFace(seed), classID: "A")
                try live.catchUp()
                run.faces.withLock { $0.append((face.id, seed)) }
            }
        }
        for (kind, serving) in [(IndexKind.hnsw, "HNSW32"), (.ivf, "IVF"), (.exactI8, "exact-int8"), (.exact, "exact")] {
            try await Task.detached { try live.rebuild(kind: kind) }.value
            #expect(live.kind.hasPrefix(serving) && live.details.setting == kind)
        }
        run.stop.store(true, ordering: .relaxed)
        try await writer.value
        let searches = await reader.value
        #expect(run.failures.withLock { $0 }.isEmpty, "\(run.failures.withLock { $0.prefix(5) })")
        #expect(searches > 0)
        for (id, seed) in run.faces.withLock({ $0 }) {
            #expect(try live.search(unitVector(seed), k: 1, minScore: 0.999).first?.id == id)
        }
        let databasePosition = try store.currentPosition()
        #expect(live.count == run.faces.withLock { $0.count } && live.position == databasePosition)
    }
}

/// What the concurrent tasks of a test share.
private final class SharedRun: Sendable {
    let faces: Mutex<[(FaceID, Int)]>
    let stop = Atomic(false)
    let failures = Mutex<[String]>([])

    init(_ faces: [(FaceID, Int)]) { self.faces = Mutex(faces) }
}
