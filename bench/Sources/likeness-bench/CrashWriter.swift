import Foundation
import LikenessCore
import LikenessIndex
import LikenessStore

/// The same vectors as the crash test's (Tests/LikenessStoreTests/CrashTests.swift).
func crashVector(seed: Int, dimension: Int = 16) -> [Float] {
    var state = UInt64(seed) &+ 0x9E37_79B9_7F4A_7C15
    let raw = (0..<dimension).map { _ -> Float in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 1000
    }
    return Embedding(recognizer: RecognizerID("crash"), raw: raw).vector
}

/// Enrolls faces from several concurrent clients until killed, printing a line for each
/// acknowledged write: `ACK face class seed` or `DEL face`; `DELETING face` comes before a
/// deletion is attempted, so a kill between the two leaves that face's fate open. The database is written first, then
/// the index catches up, then the write is acknowledged, as the server does.
func crashWriter(url: String, snapshot: String, clients: Int) async throws {
    let store = try SQLStore(url, connections: clients)
    let live = try LiveIndex(loader: IndexLoader(recognizer: RecognizerID("crash"), dimension: 16, snapshotPath: snapshot), source: store)
    for c in 0..<clients where try await store.person(classID: "C\(c)") == nil {
        _ = try? await store.createPerson(classID: "C\(c)", name: "Client \(c)", info: "")
    }
    let out = FileHandle.standardOutput
    try await withThrowingTaskGroup(of: Void.self) { group in
        for c in 0..<clients {
            group.addTask {
                var mine: [FaceID] = []
                for i in 0... {
                    let seed = Int.random(in: 1..<Int(Int32.max))
                    let face = NewFace(embedding: Embedding(recognizer: RecognizerID("crash"), normalized: crashVector(seed: seed)),
                                       box: BoundingBox(x: 0, y: 0, width: 10, height: 10), detectionScore: 1,
                                       imageSHA256: String(repeating: "0", count: 64))
                    let record = try await store.addFace(face, classID: "C\(c)")
                    try live.catchUp()
                    out.write(Data("ACK \(record.id) C\(c) \(seed)\n".utf8))
                    mine.append(record.id)
                    if i % 7 == 6, let victim = mine.randomElement() {
                        out.write(Data("DELETING \(victim)\n".utf8))
                        try await store.deleteFace(id: victim)
                        try live.catchUp()
                        mine.removeAll { $0 == victim }
                        out.write(Data("DEL \(victim)\n".utf8))
                    }
                    if c == 0 && i % 20 == 19 { try live.snapshot() }
                }
            }
        }
        try await group.waitForAll()
    }
}
