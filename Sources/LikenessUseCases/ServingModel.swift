import LikenessCore
import Synchronization

/// The pack a server answers with: its analyzer and the index of its recognizer's faces, replaced
/// together when the gallery is switched to another model while the server runs. A request that
/// spans a switch finds its embedding's recognizer differs from the index's and is answered
/// "try again" (`DomainError.switching`) rather than searched against the wrong model.
public final class ServingModel: Sendable {
    public struct Current: Sendable {
        public var analyzer: any FaceAnalyzer
        public var index: any GalleryIndex
        /// The pack's name and files, for status pages.
        public var packName: String
        public var packFiles: [PackFileInfo]

        public init(analyzer: any FaceAnalyzer, index: any GalleryIndex, packName: String, packFiles: [PackFileInfo] = []) {
            self.analyzer = analyzer
            self.index = index
            self.packName = packName
            self.packFiles = packFiles
        }
    }

    private let state: Mutex<Current>

    public init(_ current: Current) { state = Mutex(current) }

    public var current: Current { state.withLock { $0 } }

    /// Puts `next` in service; answers what served before.
    @discardableResult
    public func replace(with next: Current) -> Current {
        state.withLock { s in
            let old = s
            s = next
            return old
        }
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
