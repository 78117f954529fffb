import LikenessCore
import Prometheus

/// The parts the server talks to, all behind LikenessCore protocols: real ones from
/// `likeness serve`, fakes in the router tests.
public struct ServerServices: Sendable {
    public var analyzer: any FaceAnalyzer
    public var gallery: any GalleryStore
    public var accounts: any AccountStore
    public var index: any GalleryIndex
    /// Where swift-metrics records, served at `/metrics`; nil serves no metrics.
    public var metrics: PrometheusCollectorRegistry?
    /// The model pack's name, for build info.
    public var packName: String
    /// What the pack's files are and under which licence, for `/v1/system`.
    public var packFiles: [PackFileInfo]
    /// Model migration from the server (`POST /v1/index/migrate`): the database's migration rows
    /// and a way to load another pack by name or file; nil where the deployment has neither.
    public var migration: MigrationSupport?

    public init(analyzer: any FaceAnalyzer, gallery: any GalleryStore, accounts: any AccountStore, index: any GalleryIndex,
                metrics: PrometheusCollectorRegistry? = nil, packName: String = "unknown", packFiles: [PackFileInfo] = [],
                migration: MigrationSupport? = nil) {
        self.migration = migration
        self.analyzer = analyzer
        self.gallery = gallery
        self.accounts = accounts
        self.index = index
        self.metrics = metrics
        self.packName = packName
        self.packFiles = packFiles
    }
}

public struct MigrationSupport: Sendable {
    public var store: any EmbeddingMigrationStore
    /// Loads a pack's pipeline without liveness or age/gender (only embeddings are needed).
    public var loadPack: @Sendable (String) throws -> any FaceAnalyzer

    public init(store: any EmbeddingMigrationStore, loadPack: @escaping @Sendable (String) throws -> any FaceAnalyzer) {
        self.store = store
        self.loadPack = loadPack
    }
}

/// One model file of the serving pack.
public struct PackFileInfo: Sendable, Equatable {
    public var role: String
    public var file: String
    public var licence: String?
    /// The licence restricts use (InsightFace's weights: non-commercial research only).
    public var restricted: Bool

    public init(role: String, file: String, licence: String?, restricted: Bool) {
        self.role = role
        self.file = file
        self.licence = licence
        self.restricted = restricted
    }
}
