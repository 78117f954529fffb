import Foundation

/// The index kinds an operator chooses between (`--index`, or the original's `FAISS_INDEX_TYPE`).
/// Approximate kinds keep the exact float32 vectors beside them (LikenessIndex's TieredIndex):
/// snapshots hold those, and every approximate answer is re-ranked with them.
public enum IndexKind: String, Sendable, CaseIterable, Equatable {
    case exact
    case exactF16 = "exact-f16"
    case exactI8 = "exact-i8"
    case hnsw
    case ivf
    /// Exact while a scan stays cheap, HNSW beyond (bench/index_bench.sh: a float32 scan reads
    /// memory at ~7 GB/s on these machines, so 64 M floats cost ~10 ms, about one embedding).
    case auto
    /// Not in this process: pgvector's HNSW in the PostgreSQL database, shared by every server
    /// on it (chosen at start-up, with a postgres:// database).
    case pgvector

    /// Floats an exact scan may read per query before `auto` switches to HNSW.
    public static let autoScanBudget = 64 * 1024 * 1024

    /// Our names, and the original's FAISS class names (`IndexFlatIP` was its default).
    public init?(setting: String) {
        let text = setting.trimmingCharacters(in: .whitespaces)
        if let kind = IndexKind(rawValue: text.lowercased()) {
            self = kind
            return
        }
        switch text.lowercased() {
        case "indexflatip", "indexflatl2", "flat", "exact-f32": self = .exact
        case "indexhnswflat", "indexhnsw", "hnsw32": self = .hnsw
        case "indexivfflat", "indexivf", "ivfflat": self = .ivf
        case "exact-float16", "float16", "f16": self = .exactF16
        case "exact-int8", "int8", "i8": self = .exactI8
        default: return nil
        }
    }

    /// Whether the kind lives in the server's memory (every kind but pgvector).
    public var inProcess: Bool { self != .pgvector }
}
