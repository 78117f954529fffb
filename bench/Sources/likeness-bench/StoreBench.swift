import Foundation
import LikenessCore
import LikenessIndex
import LikenessStore

/// Enrollment writes per second (face insert + change log, one transaction each, from 4
/// concurrent clients) and start-up time (open the store, load or rebuild the index, catch up)
/// at `faces` faces of 128 dimensions.
func storeBench(url: String, faces: Int) async throws {
    let recognizer = RecognizerID("bench")
    let store = try SQLStore(url, connections: 4)
    let people = max(1, faces / 5)
    report("backend \(try DatabaseURL(url).redacted): \(faces) faces for \(people) people")
    var rows: [PersonImport] = []
    for p in 0..<people { rows.append(PersonImport(classID: "P\(p)", name: "Person \(p)", info: "")) }
    let importMs = try await asyncMilliseconds { _ = try await store.importPeople(rows) }
    report(String(format: "import %d people (one transaction): %.0f ms", people, importMs))
    let clients = 4
    let perClient = faces / clients
    let enrollMs = try await asyncMilliseconds {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                group.addTask {
                    for i in 0..<perClient {
                        let n = c * perClient + i
                        let face = NewFace(embedding: Embedding(recognizer: recognizer, normalized: crashVector(seed: n, dimension: 128)),
                                           box: BoundingBox(x: 0, y: 0, width: 100, height: 100), detectionScore: 1,
                                           imageSHA256: String(repeating: "0", count: 64))
                        _ = try await store.addFace(face, classID: "P\(n % people)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }
    report(String(format: "enrollment: %d faces in %.1f s = %.0f writes/s (%d clients, each a durable transaction)",
                  clients * perClient, enrollMs / 1000, Double(clients * perClient) / (enrollMs / 1000), clients))
    let snapshot = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-store-bench-\(UUID().uuidString)").path
    defer { unlink(snapshot) }
    let loader = IndexLoader(recognizer: recognizer, dimension: 128, snapshotPath: snapshot)
    var live: LiveIndex?
    let rebuildMs = try milliseconds { live = try LiveIndex(loader: loader, source: try SQLStore(url, connections: 2)) }
    report(String(format: "start-up without a snapshot (open + rebuild %d faces from the database): %.0f ms", live?.index.count ?? 0, rebuildMs))
    try live?.snapshot()
    for n in 0..<1000 {
        let face = NewFace(embedding: Embedding(recognizer: recognizer, normalized: crashVector(seed: faces + n, dimension: 128)),
                           box: BoundingBox(x: 0, y: 0, width: 100, height: 100), detectionScore: 1,
                           imageSHA256: String(repeating: "0", count: 64))
        _ = try await store.addFace(face, classID: "P\(n % people)")
    }
    let loadMs = try milliseconds { live = try LiveIndex(loader: loader, source: try SQLStore(url, connections: 2)) }
    report(String(format: "start-up with a snapshot (open + load + replay %d changes): %.0f ms, %d faces",
                  live?.report.replayed ?? 0, loadMs, live?.index.count ?? 0))
}

func asyncMilliseconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let (s, a) = (ContinuousClock.now - start).components
    return Double(s) * 1000 + Double(a) / 1e15
}
