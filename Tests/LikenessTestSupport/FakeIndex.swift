import Foundation
import LikenessCore
import Synchronization

/// A brute-force index following the gallery's log.
public final class FakeIndex: GalleryIndex, @unchecked Sendable {
    public func cancelBuilds() {}

    public let recognizer: RecognizerID
    public let dimension = 4
    public let kind = "exact"
    private let source: any EmbeddingSource
    private let state = Mutex((vectors: [FaceID: [Float]](), position: Int64(0)))

    public init(source: any EmbeddingSource, recognizer: RecognizerID = RecognizerID("fake")) {
        self.source = source
        self.recognizer = recognizer
    }

    public var count: Int { state.withLock { $0.vectors.count } }
    public var position: Int64 { state.withLock { $0.position } }

    public func search(_ vector: [Float], k: Int, minScore: Float) throws -> [SearchHit] {
        state.withLock { s in
            s.vectors.map { SearchHit(id: $0.key, score: zip($0.value, vector).reduce(0) { $0 + $1.0 * $1.1 }) }
                .filter { $0.score >= minScore }.sorted(by: ranksBefore).prefix(k).map { $0 }
        }
    }

    public func catchUp() throws -> Int {
        let changes = try source.changes(recognizer: recognizer, after: position)
        state.withLock { s in
            for c in changes {
                switch c.kind {
                case let .upsert(v): s.vectors[c.id] = v
                case .delete: s.vectors[c.id] = nil
                }
                s.position = c.position
            }
        }
        return changes.count
    }

    public var details: IndexDetails { IndexDetails(setting: .exact, serving: kind, memoryBytes: count * dimension * 4) }

    public func rebuild(kind: IndexKind?) throws {
        state.withLock { $0 = ([:], 0) }
        _ = try catchUp()
    }

    public func maintain() throws -> Bool { false }

    public func snapshot() throws {}
}
