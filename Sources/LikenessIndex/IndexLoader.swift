import Logging
import LikenessCore

/// How an index was brought up to date at start-up.
public struct IndexLoadReport: Sendable, Equatable {
    public enum Origin: Sendable, Equatable {
        case snapshot
        /// The snapshot could not be used, for this reason; the index was rebuilt from the database.
        case rebuilt(reason: String)
    }

    public var origin: Origin
    /// The database position the index now reflects.
    public var position: Int64
    /// Changes replayed on top of the snapshot.
    public var replayed: Int
    public var count: Int
    /// The position the snapshot itself was written at, when one was loaded.
    public var snapshotPosition: Int64? = nil
}

/// Opens the exact index of one recognizer: loads its snapshot and replays the database's
/// changes since; or, when the snapshot is missing, broken or for another index, rebuilds from
/// the database and says why. Never fails because of the snapshot: the database is the truth.
public struct IndexLoader: Sendable {
    public var recognizer: RecognizerID
    public var dimension: Int
    public var precision: ScanPrecision
    public var snapshotPath: String
    public var logger: Logger

    public init(recognizer: RecognizerID, dimension: Int, precision: ScanPrecision = .float32,
                snapshotPath: String, logger: Logger = Logger(label: "likeness.index")) {
        self.recognizer = recognizer
        self.dimension = dimension
        self.precision = precision
        self.snapshotPath = snapshotPath
        self.logger = logger
    }

    public func open(source: any EmbeddingSource) throws -> (ExactIndex, IndexLoadReport) {
        let index = ExactIndex(dimension: dimension, precision: precision)
        do {
            let position = try Snapshot.load(snapshotPath, into: index, recognizer: recognizer)
            // Changes up to the watermark are gone from the log: an older snapshot (a restored
            // backup, say) cannot be brought up to date by replay.
            let pruned = try source.prunedThrough(recognizer: recognizer)
            guard position >= pruned else {
                throw SnapshotError.mismatch("snapshot at position \(position) is older than the change log, pruned through \(pruned)")
            }
            let changes = try source.changes(recognizer: recognizer, after: position)
            let reached = try apply(changes, to: index) ?? position
            logger.info("index loaded from snapshot", metadata: [
                "faces": "\(index.count)", "replayed": "\(changes.count)", "position": "\(reached)",
            ])
            return (index, IndexLoadReport(origin: .snapshot, position: reached, replayed: changes.count, count: index.count,
                                           snapshotPosition: position))
        } catch let error as SnapshotError {
            logger.warning("index snapshot not used, rebuilding from the database", metadata: [
                "reason": "\(error)", "path": "\(snapshotPath)",
            ])
            let position = try rebuild(index, from: source)
            return (index, IndexLoadReport(origin: .rebuilt(reason: error.description), position: position, replayed: 0, count: index.count))
        }
    }

    /// Empties the index and fills it from the database; answers the position it reflects.
    @discardableResult
    public func rebuild(_ index: ExactIndex, from source: any EmbeddingSource) throws -> Int64 {
        index.removeAll()
        var batch: [(FaceID, [Float])] = []
        batch.reserveCapacity(4096)
        let position = try source.forEachEmbedding(recognizer: recognizer) { id, vector in
            batch.append((id, vector))
            if batch.count == 4096 {
                try index.upsert(contentsOf: batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try index.upsert(contentsOf: batch)
        logger.info("index rebuilt from the database", metadata: ["faces": "\(index.count)", "position": "\(position)"])
        return position
    }

    /// Applies changes in order; answers the last position applied.
    public func apply(_ changes: [EmbeddingChange], to index: any VectorIndex) throws -> Int64? {
        for change in changes {
            switch change.kind {
            case let .upsert(vector): try index.upsert(id: change.id, vector: vector)
            case .delete: index.remove(id: change.id)
            }
        }
        return changes.last?.position
    }
}
