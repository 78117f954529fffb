import LikenessCore

/// The parts the server talks to, all behind LikenessCore protocols: real ones from
/// `likeness serve`, fakes in the router tests.
public struct ServerServices: Sendable {
    public var analyzer: any FaceAnalyzer
    public var gallery: any GalleryStore
    public var accounts: any AccountStore
    public var index: any GalleryIndex

    public init(analyzer: any FaceAnalyzer, gallery: any GalleryStore, accounts: any AccountStore, index: any GalleryIndex) {
        self.analyzer = analyzer
        self.gallery = gallery
        self.accounts = accounts
        self.index = index
    }
}

/// One face of a query image and who it is.
struct FaceMatch: Sendable {
    var face: AnalyzedFace
    /// Best first; empty when nothing in the gallery is near.
    var candidates: [(person: Person, faceID: FaceID, similarity: Float)]
}

/// What the endpoints do, over the protocols: analyse under the inference pool's limits,
/// search, and write in the database-then-index order.
struct FaceOperations: Sendable {
    let services: ServerServices
    let executors: ServerExecutors
    let configuration: ServerConfiguration

    var recognizer: RecognizerInfo { services.analyzer.recognizer }

    /// Whether liveness is enforced: anti-spoofing is on and a liveness model is loaded.
    var enforcesLiveness: Bool { configuration.antiSpoofing && services.analyzer.capabilities.liveness }

    func analyze(_ image: [UInt8], embed: Bool = true, liveness: Bool = false, attributes: Bool = false) async throws -> ImageAnalysis {
        let options = AnalysisOptions(embed: embed, maxFaces: configuration.maxFacesPerImage, liveness: liveness,
                                      attributes: attributes)
        do {
            return try await executors.inference.run { [services] in try services.analyzer.analyzeNow(image, options: options) }
        } catch {
            throw APIError.from(error)
        }
    }

    /// Every face of the image, largest first, with its `k` best matches of at least `threshold`.
    /// A face found to be a spoof, while anti-spoofing is on, gets no candidates.
    func identify(_ image: [UInt8], k: Int, threshold: Float, liveness: Bool = false,
                  attributes: Bool = false) async throws -> (ImageAnalysis, [FaceMatch]) {
        let analysis = try await analyze(image, liveness: liveness || enforcesLiveness, attributes: attributes)
        var matches: [FaceMatch] = []
        for face in analysis.faces {
            guard let embedding = face.embedding else { continue }
            if enforcesLiveness, face.liveness?.isReal == false {
                matches.append(FaceMatch(face: face, candidates: []))
                continue
            }
            matches.append(FaceMatch(face: face, candidates: try await topPeople(embedding.vector, k: k, threshold: threshold)))
        }
        return (analysis, matches)
    }

    /// The `k` best distinct people for a vector, each at its best face. Hits are looked up in
    /// one query per round (faces joined to people); a further round, searching four times
    /// deeper, happens only when a few people hold most of the nearest faces.
    func topPeople(_ vector: [Float], k: Int, threshold: Float) async throws -> [(person: Person, faceID: FaceID, similarity: Float)] {
        var candidates: [(person: Person, faceID: FaceID, similarity: Float)] = []
        var seenPeople = Set<Int64>()
        var seenFaces = Set<FaceID>()
        var wanted = max(k * 4, k)
        while true {
            let depth = wanted
            let hits = try await executors.index.run { [services] in try services.index.search(vector, k: depth, minScore: threshold) }
            let fresh = hits.filter { !seenFaces.contains($0.id) }
            let found = try await services.gallery.facesWithPeople(ids: fresh.map(\.id))
            for hit in fresh {
                seenFaces.insert(hit.id)
                // A face deleted since the search is skipped.
                guard let (_, person) = found[hit.id], !seenPeople.contains(person.id) else { continue }
                seenPeople.insert(person.id)
                candidates.append((person, hit.id, hit.score))
                if candidates.count == k { return candidates }
            }
            guard hits.count == wanted, wanted < services.index.count else { return candidates }
            wanted = min(services.index.count, wanted * 4)
        }
    }

    /// The largest face of an image, for enrolment and verification.
    func largestFace(_ image: [UInt8], refuseSpoof: Bool = false) async throws -> (ImageAnalysis, AnalyzedFace, Embedding) {
        let check = refuseSpoof && enforcesLiveness
        let analysis = try await analyze(image, liveness: check)
        guard let face = analysis.faces.first, let embedding = face.embedding else { throw APIError.noFace }
        if check, let liveness = face.liveness, !liveness.isReal {
            throw APIError.spoof(score: liveness.score, threshold: liveness.threshold)
        }
        return (analysis, face, embedding)
    }

    /// Enrols the largest face of the image for a person; the write is acknowledged only once the
    /// index has caught up with the database.
    func enroll(_ image: [UInt8], classID: String) async throws -> (FaceRecord, ImageAnalysis) {
        guard try await services.gallery.person(classID: classID) != nil else {
            throw APIError.notFound("no person with class_id \(classID)")
        }
        let (analysis, face, embedding) = try await largestFace(image, refuseSpoof: true)
        let record = try await services.gallery.addFace(newFace(face, embedding, image), classID: classID)
        try await catchUp()
        return (record, analysis)
    }

    func replace(faceID: FaceID, image: [UInt8]) async throws -> FaceRecord {
        guard try await services.gallery.face(id: faceID) != nil else { throw APIError.notFound("no image \(faceID)") }
        let (_, face, embedding) = try await largestFace(image, refuseSpoof: true)
        let record = try await services.gallery.replaceFace(id: faceID, with: newFace(face, embedding, image))
        try await catchUp()
        return record
    }

    func deleteFace(_ id: FaceID) async throws {
        try await services.gallery.deleteFace(id: id)
        try await catchUp()
    }

    func deletePerson(_ classID: String) async throws -> [FaceID] {
        let removed = try await services.gallery.deletePerson(classID: classID)
        try await catchUp()
        return removed
    }

    /// Brings the index up to the database after a write. It runs to the end even when the
    /// request is cancelled meanwhile (a timeout): the write is committed, so the index must
    /// follow it now rather than at the next write.
    func catchUp() async throws {
        try await Task { [executors, services] in
            _ = try await executors.index.run { try services.index.catchUp() }
        }.value
    }

    func rebuildIndex() async throws {
        try await Task { [executors, services] in
            try await executors.index.run { try services.index.rebuild() }
        }.value
    }

    private func newFace(_ face: AnalyzedFace, _ embedding: Embedding, _ image: [UInt8]) -> NewFace {
        NewFace(embedding: embedding, box: face.detection.box, detectionScore: face.detection.score,
                imageSHA256: TokenService.sha256Hex(image))
    }
}
