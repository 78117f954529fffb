import Foundation
import Logging
import LikenessCore
import Synchronization

/// The index as the server uses it: it follows the database's change log, in log order.
///
/// Writes go to the database first; then `catchUp()` applies every change after the index's
/// position, in order, and only then is the write acknowledged. So the index never holds a face
/// the database does not (no ghosts), an acknowledged face is in the database and is replayed
/// after a crash, and two concurrent writes to one face can never be applied out of order.
///
/// A rebuild (reset_index, a kind switch) fills a new index beside the serving one, replays the
/// changes made meanwhile and swaps it in: searches never see a half-built index, and writes
/// acknowledged during the rebuild are in the new one.
public final class LiveIndex: @unchecked Sendable {
    public let recognizer: RecognizerID
    public let report: IndexLoadReport
    private let source: any EmbeddingSource
    private let logger: Logger
    /// Serialises changes to the serving index: catch-ups, snapshots, swaps.
    private let lock = NSLock()
    // Guarded by `lock`.
    private var applied: Int64
    private var loader: IndexLoader
    private var setting: IndexKind
    /// The serving index; read without `lock` by searches, swapped under both.
    private let serving: Mutex<TieredIndex>
    private let state = Mutex(Progress())

    private struct Progress {
        var rebuilding: IndexKind?
        var snapshotPosition: Int64?
        var snapshotAt: Date?
        var lastBuildError: String?
    }

    /// Loads the snapshot (or rebuilds) and catches up with the database.
    public init(loader: IndexLoader, kind: IndexKind = .exact, source: any EmbeddingSource) throws {
        var loader = loader
        loader.precision = kind.configuration(dimension: loader.dimension).precision
        let (exact, report) = try loader.open(source: source)
        self.serving = Mutex(TieredIndex(exact: exact, configuration: kind.configuration(dimension: loader.dimension)))
        self.recognizer = loader.recognizer
        self.report = report
        self.source = source
        self.loader = loader
        self.logger = loader.logger
        self.setting = kind
        self.applied = report.position
        if let written = report.snapshotPosition {
            let modified = (try? FileManager.default.attributesOfItem(atPath: loader.snapshotPath))?[.modificationDate] as? Date
            state.withLock {
                $0.snapshotPosition = written
                $0.snapshotAt = modified
            }
        }
        try catchUp()
        // No approximate build here: at a million faces it takes minutes, and start-up must
        // not wait for it. The exact index serves until the maintenance service builds one.
    }

    /// The tiered index serving searches now.
    public var index: TieredIndex { serving.withLock { $0 } }

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
    /// the change log behind it so the log does not grow for the life of the gallery. While a
    /// rebuild runs nothing is pruned: the rebuild replays the log from where it read the
    /// database.
    public func snapshot() throws {
        let written = try lock.withLock {
            try Snapshot.write(index.exact, recognizer: recognizer, position: applied, to: loader.snapshotPath)
            return applied
        }
        let rebuilding = state.withLock {
            $0.snapshotPosition = written
            $0.snapshotAt = Date()
            return $0.rebuilding != nil
        }
        guard !rebuilding else { return }
        // Best effort: rows left behind by a failed prune are pruned with the next snapshot.
        _ = try? source.pruneChanges(recognizer: recognizer, through: written)
    }

    /// Rebuilds from the database beside the serving index (the original's reset_index), with
    /// another kind if given; one rebuild at a time.
    public func rebuild(kind: IndexKind? = nil) throws {
        let (target, base, current) = lock.withLock { (kind ?? setting, loader, setting) }
        guard target.inProcess else { throw IndexRebuildError.notSwitchable(from: current, to: target) }
        try state.withLock { s in
            if let running = s.rebuilding { throw IndexRebuildError.alreadyRunning(running) }
            s.rebuilding = target
        }
        defer { state.withLock { $0.rebuilding = nil } }
        let configuration = target.configuration(dimension: base.dimension)
        var fresh = base
        fresh.precision = configuration.precision
        let exact = ExactIndex(dimension: base.dimension, precision: configuration.precision)
        var position = try fresh.rebuild(exact, from: source)
        let tiered = TieredIndex(exact: exact, configuration: configuration)
        try build(tiered, force: true)
        try lock.withLock {
            let changes = try source.changes(recognizer: recognizer, after: position)
            if let last = try fresh.apply(changes, to: tiered) { position = last }
            serving.withLock { $0 = tiered }
            applied = position
            loader = fresh
            setting = target
        }
        logger.info("index rebuilt", metadata: ["kind": "\(target.rawValue)", "serving": "\(tiered.servingKind)",
                                                "faces": "\(tiered.count)", "position": "\(position)"])
    }

    /// Builds, retrains or drops the approximate index as the gallery's size asks.
    @discardableResult
    public func maintain() throws -> Bool {
        try build(index, force: false)
    }

    @discardableResult
    private func build(_ tiered: TieredIndex, force: Bool) throws -> Bool {
        do {
            let changed = try tiered.maintain(force: force)
            state.withLock { $0.lastBuildError = nil }
            return changed
        } catch let error as IndexBuildError {
            // Not fatal: the exact index keeps answering, a little slower.
            logger.warning("approximate index not built", metadata: ["reason": "\(error)"])
            state.withLock { $0.lastBuildError = error.description }
            return false
        }
    }
}

extension LiveIndex: GalleryIndex {
    public var dimension: Int { index.dimension }
    public var count: Int { index.count }
    public var kind: String { index.servingKind }

    public var details: IndexDetails {
        let tiered = index
        let setting = lock.withLock { self.setting }
        return state.withLock { s in
            IndexDetails(setting: setting, serving: tiered.servingKind, memoryBytes: tiered.memoryBytes, snapshotPosition: s.snapshotPosition,
                         snapshotAt: s.snapshotAt, rebuilding: s.rebuilding, lastBuildError: s.lastBuildError)
        }
    }

    public func search(_ vector: [Float], k: Int, minScore: Float) throws -> [SearchHit] {
        try index.search(vector, k: k, minScore: minScore)
    }

    public func cancelBuilds() { index.cancelBuilds() }

    public func reserveCapacity(_ count: Int) { index.exact.reserveCapacity(count) }
}
