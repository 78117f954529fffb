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

    public init(analyzer: any FaceAnalyzer, gallery: any GalleryStore, accounts: any AccountStore, index: any GalleryIndex,
                metrics: PrometheusCollectorRegistry? = nil, packName: String = "unknown", packFiles: [PackFileInfo] = []) {
        self.analyzer = analyzer
        self.gallery = gallery
        self.accounts = accounts
        self.index = index
        self.metrics = metrics
        self.packName = packName
        self.packFiles = packFiles
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
