import Foundation
import Logging
import LikenessCore

/// The index as the server uses it: it follows the database's change log, in log order.
///
/// Writes go to the database first; then `catchUp()` applies every change after the index's
/// position, in order, and only then is the write acknowledged. So the index never holds a face
/// the database does not (no ghosts), an acknowledged face is in the database and is replayed
/// after a crash, and two concurrent writes to one face can never be applied out of order.
public final class LiveIndex: @unchecked Sendable {
    public let index: TieredIndex
    public let recognizer: RecognizerID
    public let report: IndexLoadReport
    private let source: any EmbeddingSource
    private let loader: IndexLoader
    private let lock = NSLock()
    private var applied: Int64  // guarded by `lock`

    /// Loads the snapshot (or rebuilds) and catches up with the database.
    public init(loader: IndexLoader, configuration: IndexConfiguration = .init(), source: any EmbeddingSource) throws {
        let (exact, report) = try loader.open(source: source)
        self.index = TieredIndex(exact: exact, configuration: configuration)
        self.recognizer = loader.recognizer
        self.report = report
        self.source = source
        self.loader = loader
        self.applied = report.position
        try catchUp()
        try index.maintain()
    }

    /// The change-log position the index reflects.
    public var position: Int64 { lock.withLock { applied } }

    /// Applies the database's changes after the index's position; answers how many.
    @discardableResult
    public func catchUp() throws -> Int {
        try lock.withLock {
            let changes = try source.changes(recognizer: recognizer, after: applied)
            if let last = try loader.apply(changes, to: index) { applied = last }
            return changes.count
        }
    }

    /// Writes a snapshot of the index at its position (atomically; see `Snapshot`), then prunes
    /// the change log behind it so the log does not grow for the life of the gallery.
    public func snapshot() throws {
        let written = try lock.withLock {
            try Snapshot.write(index.exact, recognizer: recognizer, position: applied, to: loader.snapshotPath)
            return applied
        }
        // Best effort: rows left behind by a failed prune are pruned with the next snapshot.
        _ = try? source.pruneChanges(recognizer: recognizer, through: written)
    }

    /// Drops the index and rebuilds it from the database (the original's reset_index).
    public func rebuild() throws {
        try lock.withLock {
            applied = try loader.rebuild(index.exact, from: source)
            _ = try index.maintain(force: true)
        }
    }
}

extension LiveIndex: GalleryIndex {
    public var dimension: Int { index.dimension }
    public var count: Int { index.count }
    public var kind: String { index.servingKind }

    public func search(_ vector: [Float], k: Int, minScore: Float) throws -> [SearchHit] {
        try index.search(vector, k: k, minScore: minScore)
    }
}
