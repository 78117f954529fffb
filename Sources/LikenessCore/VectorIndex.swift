import Foundation

/// The database id of a stored face; the vector index is keyed by it.
public typealias FaceID = Int64

/// One search result: a face and its inner product with the query (the cosine similarity,
/// since stored and query vectors are unit length).
public struct SearchHit: Sendable, Hashable {
    public var id: FaceID
    public var score: Float

    public init(id: FaceID, score: Float) {
        self.id = id
        self.score = score
    }
}

public enum VectorIndexError: Error, Sendable, Equatable {
    case dimensionMismatch(expected: Int, got: Int)
    case invalidK(Int)
    case notFinite
}

/// Top-k inner-product search over face embeddings of one recognizer. Implementations are
/// safe to search from many threads while others write; a search never sees a half-written
/// vector.
public protocol VectorIndex: AnyObject, Sendable {
    var dimension: Int { get }
    var count: Int { get }

    /// Adds the vector, or replaces the one stored under `id`.
    func upsert(id: FaceID, vector: [Float]) throws
    /// Removes `id`; answers whether it was there.
    @discardableResult func remove(id: FaceID) -> Bool
    func contains(id: FaceID) -> Bool

    /// The `k` best hits with a score of at least `minScore`, best first; equal scores in
    /// ascending id order, so results are deterministic.
    func search(_ query: [Float], k: Int, minScore: Float) throws -> [SearchHit]
    func search(batch queries: [[Float]], k: Int, minScore: Float) throws -> [[SearchHit]]
}

/// The ordering every index uses: higher score first, then lower id.
@inlinable
public func ranksBefore(_ a: SearchHit, _ b: SearchHit) -> Bool {
    a.score != b.score ? a.score > b.score : a.id < b.id
}

/// A change to the stored embeddings of one recognizer, at a position of the database's
/// change log. The index replays these after loading a snapshot.
public struct EmbeddingChange: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case upsert([Float])
        case delete
    }

    public var position: Int64
    public var id: FaceID
    public var kind: Kind

    public init(position: Int64, id: FaceID, kind: Kind) {
        self.position = position
        self.id = id
        self.kind = kind
    }
}

/// Where the index comes from: the database, the source of truth.
public protocol EmbeddingSource: Sendable {
    /// The current change-log position.
    func currentPosition() throws -> Int64
    /// Calls `body` with every stored embedding of the recognizer; answers the position the
    /// enumeration reflects.
    func forEachEmbedding(recognizer: RecognizerID, _ body: (FaceID, [Float]) throws -> Void) throws -> Int64
    /// Changes after `position`, oldest first.
    func changes(recognizer: RecognizerID, after position: Int64) throws -> [EmbeddingChange]
    /// The position through which the recognizer's changes were pruned: a snapshot older than
    /// this cannot be replayed and must be rebuilt.
    func prunedThrough(recognizer: RecognizerID) throws -> Int64
    /// Deletes the recognizer's changes at or before `position` (a snapshot holds them now);
    /// answers how many.
    func pruneChanges(recognizer: RecognizerID, through position: Int64) throws -> Int
}

extension EmbeddingSource {
    public func prunedThrough(recognizer: RecognizerID) throws -> Int64 { 0 }
    public func pruneChanges(recognizer: RecognizerID, through position: Int64) throws -> Int { 0 }
}

/// A second rebuild asked for while one runs.
public enum IndexRebuildError: Error, Sendable, Equatable, CustomStringConvertible {
    case alreadyRunning(IndexKind)
    /// In-process kinds and pgvector are chosen at start-up, not switched between.
    case notSwitchable(from: IndexKind, to: IndexKind)

    public var description: String {
        switch self {
        case let .alreadyRunning(kind): "an index rebuild (\(kind.rawValue)) is already running"
        case let .notSwitchable(from, to):
            "the index cannot switch from \(from.rawValue) to \(to.rawValue) while the server runs: pgvector is chosen at start-up (--index pgvector)"
        }
    }
}

/// What an index holds and how it serves, for status pages and metrics.
public struct IndexDetails: Sendable, Equatable {
    /// The configured kind (`--index`).
    public var setting: IndexKind
    /// What serves searches now: "exact", "exact-float16", or a FAISS description.
    public var serving: String
    public var memoryBytes: Int
    /// The last snapshot written or loaded: its change-log position and when.
    public var snapshotPosition: Int64?
    public var snapshotAt: Date?
    /// A rebuild running now, with the kind it builds.
    public var rebuilding: IndexKind?
    /// Why the last approximate build was refused, if it was.
    public var lastBuildError: String?

    public init(setting: IndexKind, serving: String, memoryBytes: Int, snapshotPosition: Int64? = nil, snapshotAt: Date? = nil,
                rebuilding: IndexKind? = nil, lastBuildError: String? = nil) {
        self.setting = setting
        self.serving = serving
        self.memoryBytes = memoryBytes
        self.snapshotPosition = snapshotPosition
        self.snapshotAt = snapshotAt
        self.rebuilding = rebuilding
        self.lastBuildError = lastBuildError
    }
}

/// The index as the server sees it: searches over one recognizer's gallery, kept in step with
/// the database (writes are acknowledged only after `catchUp`).
public protocol GalleryIndex: Sendable {
    var recognizer: RecognizerID { get }
    var dimension: Int { get }
    var count: Int { get }
    /// The database change-log position the index reflects.
    var position: Int64 { get }
    /// "exact", or the approximate index serving searches.
    var kind: String { get }
    var details: IndexDetails { get }
    func search(_ vector: [Float], k: Int, minScore: Float) throws -> [SearchHit]
    /// A search that reflects the database at least up to change-log position `atLeast` (the
    /// caller's own writes); nil: as the index is.
    func search(_ vector: [Float], k: Int, minScore: Float, atLeast: Int64?) throws -> [SearchHit]
    /// Applies the database's changes the index has not seen yet; answers how many.
    @discardableResult func catchUp() throws -> Int
    /// Rebuilds from the database beside the serving index, which answers until the new one
    /// is swapped in; `kind` switches the index kind (nil keeps it).
    func rebuild(kind: IndexKind?) throws
    /// Builds, retrains or drops the approximate index as the gallery's size asks; answers
    /// whether it changed anything.
    @discardableResult func maintain() throws -> Bool
    /// Writes a snapshot.
    func snapshot() throws
    /// Stops index builds in progress (shutdown); searches and writes go on.
    func cancelBuilds()
    /// Room for `count` faces in all, before a load of known size; a hint.
    func reserveCapacity(_ count: Int)
}

extension GalleryIndex {
    public func reserveCapacity(_ count: Int) {}

    /// An index that follows the change log catches up first when it is behind the caller.
    public func search(_ vector: [Float], k: Int, minScore: Float, atLeast: Int64?) throws -> [SearchHit] {
        if let atLeast, position < atLeast { try catchUp() }
        return try search(vector, k: k, minScore: minScore)
    }
}
