import LikenessCore
import LikenessUseCases
import Prometheus

/// The parts the server talks to, all behind LikenessCore protocols: real ones from
/// `likeness serve`, fakes in the router tests.
public struct ServerServices: Sendable {
    /// The analyzer, index and pack in service; replaced when the gallery is switched to another pack.
    public let serving: ServingModel
    public var gallery: any GalleryStore
    public var accounts: any AccountStore
    /// Where swift-metrics records, served at `/metrics`; nil serves no metrics.
    public var metrics: PrometheusCollectorRegistry?
    /// Model migration from the server (`POST /v1/index/migrate`): the database's migration rows
    /// and a way to load another pack by name or file; nil where the deployment has neither.
    public var migration: MigrationSupport?

    public init(serving: ServingModel, gallery: any GalleryStore, accounts: any AccountStore,
                metrics: PrometheusCollectorRegistry? = nil, migration: MigrationSupport? = nil) {
        self.serving = serving
        self.gallery = gallery
        self.accounts = accounts
        self.metrics = metrics
        self.migration = migration
    }

    public init(analyzer: any FaceAnalyzer, gallery: any GalleryStore, accounts: any AccountStore, index: any GalleryIndex,
                metrics: PrometheusCollectorRegistry? = nil, packName: String = "unknown", packFiles: [PackFileInfo] = [],
                migration: MigrationSupport? = nil) {
        self.init(serving: ServingModel(.init(analyzer: analyzer, index: index, packName: packName, packFiles: packFiles)),
                  gallery: gallery, accounts: accounts, metrics: metrics, migration: migration)
    }
}

public struct MigrationSupport: Sendable {
    public var store: any EmbeddingMigrationStore
    /// Loads a pack's pipeline without liveness or age/gender (only embeddings are needed).
    public var loadPack: @Sendable (String) throws -> any FaceAnalyzer
    /// Loads a pack for service, with the index of its recognizer's faces as the database holds
    /// them now; nil where this server cannot switch packs while it runs.
    public var loadServing: (@Sendable (String) throws -> ServingModel.Current)?

    public init(store: any EmbeddingMigrationStore, loadPack: @escaping @Sendable (String) throws -> any FaceAnalyzer,
                loadServing: (@Sendable (String) throws -> ServingModel.Current)? = nil) {
        self.store = store
        self.loadPack = loadPack
        self.loadServing = loadServing
    }
}
