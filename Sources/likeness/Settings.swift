import ArgumentParser
import Configuration
import Foundation
import SystemPackage

/// `likeness serve`'s settings through swift-configuration: flags, then the environment (the
/// `LIKENESS_*` names, then the original system's `PORT`, `ASYNC_WORKERS`, ...), then a JSON file
/// (`--config`, keys as the flags with underscores), then defaults. A value that is present but
/// not what its setting takes stops start-up with the setting's name; nothing falls back silently.
struct Settings {
    /// The original system's environment names, for the settings it had.
    static let legacyEnvironment: [String: String] = [
        "host": "HOST", "port": "PORT", "max_file_size": "MAX_FILE_SIZE", "workers": "ASYNC_WORKERS", "search_k": "SEARCH_K",
        "anti_spoofing": "ENABLE_ANTI_SPOOFING", "anti_spoofing_threshold": "ANTI_SPOOFING_THRESHOLD",
        "index": "FAISS_INDEX_TYPE", "max_vectors": "MAX_VECTORS", "debug": "DEBUG",
    ]

    let reader: ConfigReader

    init(flags: [String: String], configFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment) async throws {
        let values = Dictionary(uniqueKeysWithValues: flags.map { key, value in
            (AbsoluteConfigKey([key]), ConfigValue(.string(value), isSecret: key == "jwt_secret"))
        })
        let env = EnvironmentVariablesProvider(environmentVariables: environment,
                                               secretsSpecifier: .specific(["LIKENESS_JWT_SECRET"]))
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: values),
            env.mapKeys { AbsoluteConfigKey(["likeness_" + $0.components.joined(separator: "_")]) },
            env.mapKeys { key in AbsoluteConfigKey([Self.legacyEnvironment[key.components.joined(separator: "_")] ?? "LIKENESS_NO_LEGACY_NAME"]) },
        ]
        if let configFile {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(configFile)))
            } catch {
                throw ValidationError("cannot read the config file \(configFile) as a JSON object: \(error)")
            }
        }
        reader = ConfigReader(providers: providers)
    }

    /// Where a setting can be given, for error messages.
    static func names(_ key: String) -> String {
        (["--" + key.replacingOccurrences(of: "_", with: "-"), "LIKENESS_" + key.uppercased()] + [legacyEnvironment[key]].compactMap { $0 })
            .joined(separator: " / ")
    }

    func string(_ key: String) -> String? {
        reader.string(forKey: ConfigKey([key])).flatMap { $0.isEmpty ? nil : $0 }
    }

    func int(_ key: String, default value: Int, range: ClosedRange<Int> = 0...Int.max) throws -> Int {
        guard let n = try optionalInt(key) else { return value }
        guard range.contains(n) else {
            throw ValidationError("\(Self.names(key)) = \(n) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    func optionalInt(_ key: String) throws -> Int? {
        if let n = reader.int(forKey: ConfigKey([key])) { return n }
        // Present but not an integer (PORT=80a): an error, never the default.
        if let text = string(key) {
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("\(Self.names(key)) = '\(text)' is not an integer")
            }
            return n
        }
        return nil
    }

    func double(_ key: String) throws -> Double? {
        if let d = reader.double(forKey: ConfigKey([key])) { return d }
        guard let text = string(key) else { return nil }
        guard let d = Double(text.trimmingCharacters(in: .whitespaces)), d.isFinite else {
            throw ValidationError("\(Self.names(key)) = '\(text)' is not a number")
        }
        return d
    }

    func bool(_ key: String) throws -> Bool { try optionalBool(key) ?? false }

    func optionalBool(_ key: String) throws -> Bool? {
        if let text = string(key)?.lowercased() {
            if ["1", "true", "yes", "on"].contains(text) { return true }
            if ["0", "false", "no", "off"].contains(text) { return false }
            throw ValidationError("\(Self.names(key)) = '\(text)' is not true or false")
        }
        return reader.bool(forKey: ConfigKey([key]))
    }

    func list(_ key: String) -> [String] {
        (string(key) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
