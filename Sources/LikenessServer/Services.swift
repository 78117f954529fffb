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

    public init(analyzer: any FaceAnalyzer, gallery: any GalleryStore, accounts: any AccountStore, index: any GalleryIndex,
                metrics: PrometheusCollectorRegistry? = nil, packName: String = "unknown") {
        self.analyzer = analyzer
        self.gallery = gallery
        self.accounts = accounts
        self.index = index
        self.metrics = metrics
        self.packName = packName
    }
}
