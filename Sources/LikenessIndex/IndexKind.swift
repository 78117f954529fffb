import LikenessCore

extension IndexKind {
    /// What the tiered index does for this kind with vectors of `dimension`.
    public func configuration(dimension: Int) -> IndexConfiguration {
        switch self {
        case .exact: IndexConfiguration()
        case .exactF16: IndexConfiguration(precision: .float16)
        case .exactI8: IndexConfiguration(precision: .int8)
        case .hnsw: IndexConfiguration(approximate: "HNSW32", approximateAbove: 0)
        // IVF needs enough vectors to train its lists; below that it serves exactly.
        case .ivf: IndexConfiguration(approximate: "IVF{nlist},Flat", approximateAbove: 1000)
        case .auto: IndexConfiguration(approximate: "HNSW32", approximateAbove: max(1000, Self.autoScanBudget / max(1, dimension)))
        // Served by the database (PGVectorIndex); an in-process index given it scans exactly.
        case .pgvector: IndexConfiguration()
        }
    }
}

extension IndexConfiguration {
    /// The FAISS description for a gallery of `count` vectors: `{nlist}` becomes about
    /// 4 sqrt(n) lists, with at least 39 training vectors per list as FAISS asks.
    func description(for count: Int) -> String? {
        guard let approximate else { return nil }
        guard approximate.contains("{nlist}") else { return approximate }
        let lists = max(1, min(Int(4 * Double(count).squareRoot()), count / 39, 65_536))
        return approximate.replacingOccurrences(of: "{nlist}", with: String(lists))
    }
}
