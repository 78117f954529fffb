import LikenessCore

/// Keeps the k best hits seen so far, best first (see `ranksBefore`).
struct TopK {
    let k: Int
    let minScore: Float
    private(set) var hits: [SearchHit] = []

    init(k: Int, minScore: Float) {
        self.k = k
        self.minScore = minScore
        hits.reserveCapacity(k + 1)
    }

    /// The score a candidate must beat (or tie with a lower id) to get in.
    var floor: Float { hits.count == k ? hits[k - 1].score : minScore }

    @inline(__always)
    mutating func offer(id: FaceID, score: Float) {
        guard score >= minScore, hits.count < k || score >= hits[k - 1].score else { return }
        let hit = SearchHit(id: id, score: score)
        if hits.count == k {
            guard ranksBefore(hit, hits[k - 1]) else { return }
            hits.removeLast()
        }
        var i = hits.count
        while i > 0 && ranksBefore(hit, hits[i - 1]) { i -= 1 }
        hits.insert(hit, at: i)
    }
}
