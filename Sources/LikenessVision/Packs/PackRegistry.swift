import Foundation

/// The packs installed under a model directory: each in `<dir>/<name>/pack.json`, plus the
/// built-in dlib pack when its files (from scripts/setup.sh) are in `<dir>/dlib`.
public struct PackRegistry: Sendable {
    public var modelDirectory: String

    public init(modelDirectory: String) {
        self.modelDirectory = modelDirectory
    }

    /// Best first: the catalog's order (bigger, more accurate models first), then packs the
    /// catalog does not know, by name, then the offline dlib pack.
    public func installed() -> [InstalledPack] {
        var found: [InstalledPack] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: modelDirectory)) ?? []
        // Dot folders are the installer's staging and backup copies, never packs in use.
        for name in names.sorted() where !name.hasPrefix(".") {
            let file = "\(modelDirectory)/\(name)/\(InstalledPack.fileName)"
            if FileManager.default.fileExists(atPath: file), let pack = try? InstalledPack.read(path: file) {
                found.append(pack)
            }
        }
        if !found.contains(where: { $0.pack.name == BuiltinPacks.dlib.name }) {
            let dlib = InstalledPack(pack: BuiltinPacks.dlib, directory: "\(modelDirectory)/dlib", source: nil)
            if FileManager.default.fileExists(atPath: dlib.path(of: dlib.pack.recognizer.model)) { found.append(dlib) }
        }
        let order = PackCatalog.known.map(\.name)
        func rank(_ p: InstalledPack) -> Int {
            if p.pack.name == BuiltinPacks.dlib.name { return Int.max }
            return order.firstIndex(of: p.pack.name) ?? order.count
        }
        return found.enumerated().sorted { a, b in
            rank(a.element) != rank(b.element) ? rank(a.element) < rank(b.element) : a.offset < b.offset
        }.map(\.element)
    }

    /// How a pack is recorded for servers that start later, maybe in another directory: an
    /// installed pack by its name, a pack file by its absolute path.
    public static func reference(_ nameOrFile: String) -> String {
        guard nameOrFile.contains("/") || nameOrFile.hasSuffix(".json") else { return nameOrFile }
        return URL(fileURLWithPath: nameOrFile).standardizedFileURL.path
    }

    /// A pack by file path (anything containing '/' or ending in .json) or by installed name;
    /// nil means the best installed.
    public func resolve(_ nameOrFile: String?) throws -> InstalledPack {
        guard let nameOrFile, !nameOrFile.isEmpty else {
            guard let best = installed().first else {
                throw ModelLoadError(path: modelDirectory, reason: "no model pack is installed (run scripts/setup.sh for the dlib pack, or `likeness models install NAME`)")
            }
            return best
        }
        if nameOrFile.contains("/") || nameOrFile.hasSuffix(".json") {
            return try InstalledPack.read(path: nameOrFile)
        }
        if let pack = installed().first(where: { $0.pack.name == nameOrFile }) { return pack }
        if nameOrFile == BuiltinPacks.dlib.name {
            return InstalledPack(pack: BuiltinPacks.dlib, directory: "\(modelDirectory)/dlib", source: nil)
        }
        let names = installed().map(\.pack.name)
        throw ModelLoadError(path: "\(modelDirectory)/\(nameOrFile)/\(InstalledPack.fileName)",
                             reason: "no pack named \(nameOrFile) is installed (installed: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
    }
}

/// Pack definitions compiled in.
public enum BuiltinPacks {
    /// What a machine without internet has: Debian's dlib and the CC0 models from PyPI.
    public static let dlib = ModelPack(
        name: "dlib",
        description: "dlib HOG detector, 5-point landmarks and ResNet 128-d (CC0); installed by scripts/setup.sh",
        detector: .init(type: .dlibHog,
                         model: .init(file: "shape_predictor_5_face_landmarks.dat",
                                      sha256: "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888", licence: "CC0-1.0"),
                         upsample: 1),
        recognizer: .init(type: .dlibResnet, id: DlibPack.recognizer.id.rawValue,
                          model: .init(file: "dlib_face_recognition_resnet_model_v1.dat",
                                       sha256: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30", licence: "CC0-1.0"),
                          embeddingSize: DlibPack.recognizer.dimension, threshold: DlibPack.recognizer.defaultThreshold)
    )
}
