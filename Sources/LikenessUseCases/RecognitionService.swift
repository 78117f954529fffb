import Foundation

/// One person found for a face, at their best face's similarity.
public struct Candidate: Sendable {
    public var person: Person
    public var faceID: FaceID
    public var similarity: Float
}

/// One face of a query image and who it is.
public struct FaceMatch: Sendable {
    public var face: AnalyzedFace
    /// Best first; empty when nothing in the gallery is near, or the face is a spoof.
    public var candidates: [Candidate]
}

/// What a face is compared with in a verification.
public enum VerifyTarget: Sendable {
    case image([UInt8])
    case person(classID: String)
}

public struct Verification: Sendable {
    public var similarity: Float
    public var samePerson: Bool
    public var threshold: Float
}

/// Detection, identification and verification: analysis on the inference executor, searches on
/// the index executor, look-ups batched.
public struct RecognitionService: Sendable {
    public let analyzer: any FaceAnalyzer
    public let gallery: any GalleryStore
    public let index: any GalleryIndex
    public let executors: WorkExecutors
    public let settings: UseCaseSettings

    public init(analyzer: any FaceAnalyzer, gallery: any GalleryStore, index: any GalleryIndex, executors: WorkExecutors,
                settings: UseCaseSettings) {
        self.analyzer = analyzer
        self.gallery = gallery
        self.index = index
        self.executors = executors
        self.settings = settings
    }

    public var recognizer: RecognizerInfo { analyzer.recognizer }
    public var capabilities: AnalyzerCapabilities { analyzer.capabilities }

    /// Whether liveness is enforced: anti-spoofing is on and a liveness model is loaded.
    public var enforcesLiveness: Bool { settings.antiSpoofing && analyzer.capabilities.liveness }

    public func analyze(_ image: [UInt8], embed: Bool = true, liveness: Bool = false, attributes: Bool = false) async throws -> ImageAnalysis {
        guard !image.isEmpty else { throw ImageError.empty }
        let options = AnalysisOptions(embed: embed, maxFaces: settings.maxFacesPerImage, liveness: liveness, attributes: attributes)
        return try await executors.inference.run { [analyzer] in try analyzer.analyzeNow(image, options: options) }
    }

    /// Faces without embeddings; liveness when asked, or by default when it is enforced.
    public func detect(_ image: [UInt8], liveness: Bool?, attributes: Bool) async throws -> ImageAnalysis {
        try await analyze(image, embed: false, liveness: liveness ?? enforcesLiveness, attributes: attributes)
    }

    /// Every face of the image, largest first, with its `k` best distinct people of at least
    /// `threshold`. A face found to be a spoof, while anti-spoofing is on, is not searched.
    public func identify(_ image: [UInt8], k: Int, threshold: Float, liveness: Bool = false,
                         attributes: Bool = false) async throws -> (ImageAnalysis, [FaceMatch]) {
        guard (1...max(1, settings.searchK)).contains(k) else {
            throw DomainError.invalid(code: "invalid_parameter", message: "'k' must be an integer in 1...\(max(1, settings.searchK))")
        }
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
    public func topPeople(_ vector: [Float], k: Int, threshold: Float) async throws -> [Candidate] {
        var candidates: [Candidate] = []
        var seenPeople = Set<Int64>()
        var seenFaces = Set<FaceID>()
        var wanted = max(k * 4, k)
        while true {
            let depth = wanted
            let hits = try await executors.index.run { [index] in try index.search(vector, k: depth, minScore: threshold) }
            let fresh = hits.filter { !seenFaces.contains($0.id) }
            let found = try await gallery.facesWithPeople(ids: fresh.map(\.id))
            for hit in fresh {
                seenFaces.insert(hit.id)
                // A face deleted since the search is skipped.
                guard let (_, person) = found[hit.id], !seenPeople.contains(person.id) else { continue }
                seenPeople.insert(person.id)
                candidates.append(Candidate(person: person, faceID: hit.id, similarity: hit.score))
                if candidates.count == k { return candidates }
            }
            guard hits.count == wanted, wanted < index.count else { return candidates }
            wanted = min(index.count, wanted * 4)
        }
    }

    /// The largest face of an image, for enrolment and verification; with `refuseSpoof` and
    /// anti-spoofing on, a print or a screen is refused.
    public func largestFace(_ image: [UInt8], refuseSpoof: Bool = false) async throws -> (ImageAnalysis, AnalyzedFace, Embedding) {
        let check = refuseSpoof && enforcesLiveness
        let analysis = try await analyze(image, liveness: check)
        guard let face = analysis.faces.first, let embedding = face.embedding else { throw DomainError.noFace }
        if check, let liveness = face.liveness, !liveness.isReal {
            throw DomainError.spoof(score: liveness.score, threshold: liveness.threshold)
        }
        return (analysis, face, embedding)
    }

    /// Whether the largest face of `image` is the same person as the other image's largest face,
    /// or as any enrolled face of a person (the best of them counts).
    public func verify(_ image: [UInt8], against target: VerifyTarget, threshold: Float?) async throws -> Verification {
        let threshold = threshold ?? recognizer.defaultThreshold
        let (_, _, first) = try await largestFace(image)
        var best: Float = -1
        switch target {
        case let .image(other):
            let (_, _, second) = try await largestFace(other)
            best = first.similarity(to: second) ?? -1
        case let .person(classID):
            let faces = try await gallery.faces(classID: classID)
            for face in faces {
                if let e = try await gallery.embedding(faceID: face.id), let s = first.similarity(to: e) { best = max(best, s) }
            }
            guard best > -1 else {
                throw DomainError.unprocessable(code: "no_enrolled_face", message: "\(classID) has no face enrolled with \(recognizer.id)")
            }
        }
        return Verification(similarity: best, samePerson: best >= threshold, threshold: threshold)
    }
}
