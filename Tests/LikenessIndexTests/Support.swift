import LikenessCore
import LikenessIndex
@_exported import LikenessTestSupport

/// The obvious answer: score everything in Double, sort by the index's ranking rule.
func bruteForce(_ data: [(FaceID, [Float])], _ q: [Float], k: Int, minScore: Float) -> [SearchHit] {
    data.map { id, v in
        SearchHit(id: id, score: Float(zip(v, q).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }))
    }
    .filter { $0.score >= minScore }
    .sorted(by: ranksBefore)
    .prefix(k)
    .map { $0 }
}

/// Results agree when the ids match, except that hits whose scores are within float rounding
/// of each other may swap places.
func agree(_ a: [SearchHit], _ b: [SearchHit], tolerance: Float = 1e-5) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) where x.id != y.id {
        guard abs(x.score - y.score) <= tolerance else { return false }
    }
    return zip(a, b).allSatisfy { abs($0.score - $1.score) <= tolerance }
}

/// A change log in memory: the shape the database presents to the index.
final class MemoryEmbeddingSource: EmbeddingSource, @unchecked Sendable {
    private(set) var log: [EmbeddingChange] = []
    let recognizer: RecognizerID

    init(recognizer: RecognizerID) { self.recognizer = recognizer }

    func upsert(_ id: FaceID, _ v: [Float]) { log.append(EmbeddingChange(position: Int64(log.count + 1), id: id, kind: .upsert(v))) }
    func delete(_ id: FaceID) { log.append(EmbeddingChange(position: Int64(log.count + 1), id: id, kind: .delete)) }

    var live: [FaceID: [Float]] {
        var state: [FaceID: [Float]] = [:]
        for c in log {
            switch c.kind {
            case let .upsert(v): state[c.id] = v
            case .delete: state[c.id] = nil
            }
        }
        return state
    }

    func currentPosition() throws -> Int64 { Int64(log.count) }

    func forEachEmbedding(recognizer: RecognizerID, _ body: (FaceID, [Float]) throws -> Void) throws -> Int64 {
        for (id, v) in live.sorted(by: { $0.key < $1.key }) { try body(id, v) }
        return Int64(log.count)
    }

    func changes(recognizer: RecognizerID, after position: Int64) throws -> [EmbeddingChange] {
        Array(log.filter { $0.position > position })
    }
}
