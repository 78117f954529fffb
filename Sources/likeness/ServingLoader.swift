import Foundation
import LikenessCore
import LikenessIndex
import LikenessStore
import LikenessUseCases
import LikenessVision
import Logging

/// Puts a pack in service: its full pipeline, and the index of its recognizer's faces (from its
/// snapshot, then the change log). `likeness serve` uses it at start-up and for a switch while
/// it runs, so both load a pack the same way.
struct ServingLoader: Sendable {
    let models: String
    let data: String
    let limits: ImageLimits
    let livenessThreshold: Double?
    let indexKind: IndexKind
    let store: SQLStore
    /// Read replicas, for the pgvector index's searches.
    var replicas: [SQLStore] = []
    /// HNSW candidates per search, for the pgvector index.
    var efSearch = 100
    let logger: Logger

    func load(_ installed: InstalledPack) throws -> ServingModel.Current {
        let pipeline = try FacePipeline.load(installed, limits: limits, livenessThreshold: livenessThreshold)
        let recognizer = pipeline.recognizer
        let index: any GalleryIndex = indexKind.inProcess
            ? try LiveIndex(
                loader: IndexLoader(recognizer: recognizer.id, dimension: recognizer.dimension,
                                    snapshotPath: "\(data)/index-\(recognizer.id.rawValue).snapshot", logger: logger),
                kind: indexKind, source: store)
            : try PGVectorIndex(store: store, recognizer: recognizer.id, dimension: recognizer.dimension, efSearch: efSearch,
                                replicas: replicas)
        logger.info("index ready", metadata: ["pack": "\(installed.pack.name)", "faces": "\(index.count)", "kind": "\(index.kind)",
                                              "position": "\(index.position)"])
        let files = installed.pack.files.map {
            PackFileInfo(role: $0.role, file: ($0.file.file as NSString).lastPathComponent, licence: $0.file.licence,
                         restricted: $0.file.licence.map(ModelPack.restricts) ?? false)
        }
        return ServingModel.Current(analyzer: pipeline, index: index, packName: installed.pack.name, packFiles: files)
    }

    func load(named name: String) throws -> ServingModel.Current {
        try load(try PackRegistry(modelDirectory: models).resolve(name))
    }

    /// The pack to start with: the one asked for; else the one the gallery was last switched to
    /// (recorded in the database); else the best installed.
    func choose(asked: String?) async throws -> InstalledPack {
        let registry = PackRegistry(modelDirectory: models)
        if let asked { return try registry.resolve(asked) }
        if let recorded = try await store.servingPack() {
            do {
                let installed = try registry.resolve(recorded)
                logger.info("serving pack \(recorded), the one the gallery was switched to")
                return installed
            } catch {
                logger.warning("the gallery was switched to pack \(recorded), which cannot be loaded here (\(error)); starting with the best installed")
            }
        }
        return try registry.resolve(nil)
    }

    /// Says so when most of the gallery serves under another recognizer than the chosen pack's:
    /// those faces would not be found.
    func warnIfStranded(_ recognizer: RecognizerID) async {
        guard let counts = try? await store.faceCountsByRecognizer() else { return }
        let stranded = counts.filter { $0.key != recognizer }
        guard let (other, n) = stranded.max(by: { $0.value < $1.value }), n > 0 else { return }
        logger.warning("\(stranded.values.reduce(0, +)) faces serve under other recognizers than \(recognizer.rawValue) (most under \(other.rawValue): \(n)) and are not searched; migrate them (likeness migrate --to PACK) or start with their pack")
    }
}
