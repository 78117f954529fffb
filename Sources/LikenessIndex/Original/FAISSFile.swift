import CFaiss

/// The vectors of a FAISS index file written by `faiss.write_index` (the original system's
/// `FAISS_INDEX_PATH`), read back for an import. FAISS itself parses the file, so any index type
/// it can reconstruct vectors from is accepted; IndexIDMap and IndexIDMap2 give their ids.
public struct FAISSFile: Sendable {
    public var dimension: Int
    /// The ids the original gave its vectors (its image ids), or positions where it kept none.
    public var labels: [Int64]
    /// `labels.count * dimension` floats, row after row.
    public var vectors: [Float]
    /// False for an L2 index, whose vectors the original did not compare by cosine.
    public var isInnerProduct: Bool

    public var count: Int { labels.count }

    public func vector(at row: Int) -> ArraySlice<Float> {
        vectors[(row * dimension)..<((row + 1) * dimension)]
    }

    public static func read(path: String) throws(FaissError) -> FAISSFile {
        var dimension: Int32 = 0, count: Int64 = 0, innerProduct: Int32 = 0
        var vectors: UnsafeMutablePointer<Float>?
        var labels: UnsafeMutablePointer<Int64>?
        try FaissError.check { lfs_read_file(path, &dimension, &count, &vectors, &labels, &innerProduct, $0, $1) }
        defer {
            lfs_release(vectors)
            lfs_release(labels)
        }
        let n = Int(count), d = Int(dimension)
        return FAISSFile(dimension: d,
                         labels: n == 0 ? [] : Array(UnsafeBufferPointer(start: labels, count: n)),
                         vectors: n == 0 ? [] : Array(UnsafeBufferPointer(start: vectors, count: n * d)),
                         isInnerProduct: innerProduct != 0)
    }
}
