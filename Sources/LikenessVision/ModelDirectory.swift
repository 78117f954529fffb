import Foundation

/// Where models live: `LIKENESS_MODEL_DIR`, else `$LIKENESS_DATA_DIR/models`, else
/// `./data/models` (where scripts/setup.sh puts them by default).
public enum ModelDirectory {
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["LIKENESS_MODEL_DIR"], !dir.isEmpty { return dir }
        if let data = environment["LIKENESS_DATA_DIR"], !data.isEmpty { return data + "/models" }
        return "data/models"
    }
}
