import Foundation
import LikenessCore

/// A pack file read from disk, with the directory its relative file names resolve against.
public struct InstalledPack: Sendable, Equatable {
    public static let fileName = "pack.json"

    public var pack: ModelPack
    public var directory: String
    /// The pack file, or nil for the built-in dlib pack definition.
    public var source: String?

    public init(pack: ModelPack, directory: String, source: String?) {
        self.pack = pack
        self.directory = directory
        self.source = source
    }

    /// Reads a pack file; a missing or malformed file is a `ModelLoadError` naming it.
    public static func read(path: String) throws -> InstalledPack {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelLoadError(path: path, reason: "pack file not found")
        }
        do {
            let pack = try decoder.decode(ModelPack.self, from: data)
            return InstalledPack(pack: pack, directory: (path as NSString).deletingLastPathComponent, source: path)
        } catch let error as DecodingError {
            throw ModelLoadError(path: path, reason: "not a valid pack file (\(Self.describe(error)))")
        }
    }

    public func path(of file: ModelPack.File) -> String {
        file.file.hasPrefix("/") ? file.file : (directory.isEmpty ? file.file : directory + "/" + file.file)
    }

    /// Problems with the pack's files: missing, empty, or not matching their sha256. Empty
    /// when all is well. Hashing reads every file, so a truncated download is caught here.
    public func verify(checksums: Bool = true) -> [ModelLoadError] {
        pack.files.compactMap { role, file in
            let path = path(of: file)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
                return ModelLoadError(path: path, reason: "\(role) model file not found")
            }
            guard (attributes[.size] as? NSNumber)?.intValue ?? 0 > 0 else {
                return ModelLoadError(path: path, reason: "\(role) model file is empty")
            }
            guard checksums, let expected = file.sha256?.lowercased() else { return nil }
            do {
                let actual = try FileDigest.sha256(path: path)
                return actual == expected ? nil
                    : ModelLoadError(path: path, reason: "sha256 mismatch: expected \(expected), found \(actual) (damaged or a different file)")
            } catch {
                return error as? ModelLoadError ?? ModelLoadError(path: path, reason: "\(error)")
            }
        }
    }

    /// Optional parts (liveness, age/gender) whose files are absent: the rest of the pack works
    /// without them, and results say those features are unavailable.
    public func missingExtras() -> [ModelLoadError] {
        let liveness = (pack.liveness?.models ?? []).map(\.model).filter(isAbsent).map {
            ModelLoadError(path: path(of: $0), reason: "liveness model file not found; liveness is unavailable")
        }
        let attributes = [pack.attributes?.model].compactMap { $0 }.filter(isAbsent).map {
            ModelLoadError(path: path(of: $0), reason: "age/gender model file not found; age/gender is unavailable")
        }
        return liveness + attributes
    }

    /// The pack without the optional parts whose files are absent.
    public func droppingMissingExtras() -> InstalledPack {
        var copy = self
        if pack.liveness?.models.contains(where: { isAbsent($0.model) }) == true { copy.pack.liveness = nil }
        if let a = pack.attributes, isAbsent(a.model) { copy.pack.attributes = nil }
        return copy
    }

    private func isAbsent(_ file: ModelPack.File) -> Bool { !FileManager.default.fileExists(atPath: path(of: file)) }

    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func describe(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context): return "missing \(at(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "wrong type at \(at(context.codingPath))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "invalid value at \(at(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
