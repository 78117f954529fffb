import LikenessCore

/// The parts the server talks to, all behind LikenessCore protocols: real ones from
/// `likeness serve`, fakes in the router tests.
public struct ServerServices: Sendable {
    public var analyzer: any FaceAnalyzer
    public var gallery: any GalleryStore
    public var accounts: any AccountStore
    public var index: any GalleryIndex

    public init(analyzer: any FaceAnalyzer, gallery: any GalleryStore, accounts: any AccountStore, index: any GalleryIndex) {
        self.analyzer = analyzer
        self.gallery = gallery
        self.accounts = accounts
        self.index = index
    }
}
