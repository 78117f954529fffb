import Foundation

/// One person found for a face, at their best face's similarity.
public struct Candidate: Sendable {
    public var person: Person
    public var faceID: FaceID
    public var similarity: Float
    /// On the 0-100 scale shared by all packs (`Calibration`); nil for an uncalibrated pack.
    public var confidence: Double?
}

/// One face of a query image and who it is.
public struct FaceMatch: Sendable {
    public var face: AnalyzedFace
    /// Best first; empty when nothing in the gallery is near, the face is a spoof, or its
    /// quality is refused.
    public var candidates: [Candidate]
    /// Why the face was not searched, when queries filter on quality.
    public var refusal: QualityShortfall?
    /// For an unknown face (searched, nothing above the threshold): the nearest person anyway,
    /// so that an operator can see how far below the threshold it fell.
    public var nearest: Candidate?
}

/// Every face of an identification, and the threshold its decisions used.
public struct Identification: Sendable {
    public var analysis: ImageAnalysis
    public var matches: [FaceMatch]
    public var threshold: AppliedThreshold
}

/// Which detected faces a request wants analysed (CompreFace's det_prob_threshold, a minimum size).
public struct FaceFilter: Sendable, Equatable {
    public var minFaceSize: Double?
    public var minDetectorScore: Double?

    public init(minFaceSize: Double? = nil, minDetectorScore: Double? = nil) {
        self.minFaceSize = minFaceSize
        self.minDetectorScore = minDetectorScore
    }
}

/// What a face is compared with in a verification.
public enum VerifyTarget: Sendable {
    case image([UInt8])
    case person(classID: String)
}

public struct Verification: Sendable {
    public var similarity: Float
    public var samePerson: Bool
    public var threshold: AppliedThreshold
    public var confidence: Double?
}

/// Detection, identification and verification: analysis on the inference executor, searches on
/// the index executor, look-ups batched.
public struct RecognitionService: Sendable {
    /// The analyzer and index in service now (replaced when the gallery switches models).
    public let serving: ServingModel
    public let gallery: any GalleryStore
    public let executors: WorkExecutors
    public let settings: UseCaseSettings

    public init(serving: ServingModel, gallery: any GalleryStore, executors: WorkExecutors, settings: UseCaseSettings) {
        self.serving = serving
        self.gallery = gallery
        self.executors = executors
        self.settings = settings
    }

    public init(analyzer: any FaceAnalyzer, gallery: any GalleryStore, index: any GalleryIndex, executors: WorkExecutors,
                settings: UseCaseSettings) {
        self.init(serving: ServingModel(.init(analyzer: analyzer, index: index, packName: "unknown")), gallery: gallery,
                  executors: executors, settings: settings)
    }

    public var analyzer: any FaceAnalyzer { serving.current.analyzer }
    public var index: any GalleryIndex { serving.current.index }

    public var recognizer: RecognizerInfo { analyzer.recognizer }
    public var capabilities: AnalyzerCapabilities { analyzer.capabilities }

    /// Whether liveness is enforced: anti-spoofing is on and a liveness model is loaded.
    public var enforcesLiveness: Bool { settings.antiSpoofing && analyzer.capabilities.liveness }

    public func analyze(_ image: [UInt8], embed: Bool = true, liveness: Bool = false, attributes: Bool = false,
                        filter: FaceFilter = .init(), crop: Bool = false) async throws -> ImageAnalysis {
        try await analyze(image, with: analyzer, embed: embed, liveness: liveness, attributes: attributes, filter: filter, crop: crop)
    }

    private func analyze(_ image: [UInt8], with analyzer: any FaceAnalyzer, embed: Bool = true, liveness: Bool = false,
                         attributes: Bool = false, filter: FaceFilter = .init(), crop: Bool = false) async throws -> ImageAnalysis {
        guard !image.isEmpty else { throw ImageError.empty }
        for value in [filter.minFaceSize, filter.minDetectorScore].compactMap({ $0 }) where !value.isFinite {
            throw DomainError.invalid(code: "invalid_parameter", message: "'min_face_size' and 'det_prob_threshold' must be numbers")
        }
        let options = AnalysisOptions(embed: embed, maxFaces: settings.maxFacesPerImage, minFaceSize: filter.minFaceSize ?? 0,
                                      minDetectorScore: filter.minDetectorScore, liveness: liveness, attributes: attributes,
                                      cropLargestFace: crop)
        let analysis = try await executors.inference.run { [analyzer] in try analyzer.analyzeNow(image, options: options) }
        StageMetrics.shared.record(analysis.timings)
        return analysis
    }

    /// Faces without embeddings; liveness when asked, or by default when it is enforced.
    public func detect(_ image: [UInt8], liveness: Bool?, attributes: Bool, filter: FaceFilter = .init()) async throws -> ImageAnalysis {
        try await analyze(image, embed: false, liveness: liveness ?? enforcesLiveness, attributes: attributes, filter: filter)
    }

    /// The cosine a search of the whole gallery uses, and why.
    public func galleryThreshold(_ request: ThresholdRequest = .policy) throws -> AppliedThreshold {
        try galleryThreshold(request, in: serving.current)
    }

    private func galleryThreshold(_ request: ThresholdRequest, in model: ServingModel.Current) throws -> AppliedThreshold {
        try ThresholdResolver(recognizer: model.analyzer.recognizer, policy: settings.thresholdPolicy)
            .resolve(request, comparisons: model.index.count)
    }

    /// Every face of the image, largest first, with its `k` best distinct people at or above
    /// the threshold. A face found to be a spoof while anti-spoofing is on, or below the query
    /// quality requirements when they are set, is not searched.
    public func identify(_ image: [UInt8], k: Int, threshold request: ThresholdRequest = .policy, liveness: Bool = false,
                         attributes: Bool = false, filter: FaceFilter = .init()) async throws -> Identification {
        guard (1...max(1, settings.searchK)).contains(k) else {
            throw DomainError.invalid(code: "invalid_parameter", message: "'k' must be an integer in 1...\(max(1, settings.searchK))")
        }
        // One model for the whole request: a switch of packs meanwhile does not mix two models'
        // answers, and the request is answered by the pack it started with.
        let model = serving.current
        let threshold = try galleryThreshold(request, in: model)
        let analysis = try await analyze(image, with: model.analyzer, liveness: liveness || enforcesLiveness, attributes: attributes,
                                         filter: filter)
        var matches: [FaceMatch] = []
        for face in analysis.faces {
            guard let embedding = face.embedding else { continue }
            if enforcesLiveness, face.liveness?.isReal == false {
                matches.append(FaceMatch(face: face, candidates: []))
                continue
            }
            if let required = settings.queryQuality, let quality = face.quality, let shortfall = required.shortfall(quality) {
                matches.append(FaceMatch(face: face, candidates: [], refusal: shortfall))
                continue
            }
            let (candidates, nearest) = try await rankedPeople(embedding, in: model.index, k: k, threshold: threshold.cosine, nearest: true)
            matches.append(FaceMatch(face: face, candidates: candidates, nearest: nearest))
        }
        return Identification(analysis: analysis, matches: matches, threshold: threshold)
    }

    /// On the shared 0-100 scale, when the pack is calibrated.
    public func confidence(_ similarity: Float) -> Double? { recognizer.calibration?.confidence(at: similarity) }

    /// The `k` best distinct people for a vector, each at its best face. Hits are looked up in
    /// one query per round (faces joined to people); a further round, searching four times
    /// deeper, happens only when a few people hold most of the nearest faces.
    public func topPeople(_ embedding: Embedding, k: Int, threshold: Float) async throws -> [Candidate] {
        try await rankedPeople(embedding, in: index, k: k, threshold: threshold, nearest: false).candidates
    }

    /// `topPeople`, and with `nearest`, when nobody is above the threshold, the nearest person
    /// below it: read from the same search (the index is asked for its best hits whatever their
    /// score and they are filtered here), so an unknown face costs no second scan.
    func rankedPeople(_ embedding: Embedding, in index: any GalleryIndex, k: Int, threshold: Float,
                      nearest wantNearest: Bool) async throws -> (candidates: [Candidate], nearest: Candidate?) {
        // The index of the model that made the embedding, or the search would compare two models' vectors.
        guard index.recognizer == embedding.recognizer else {
            throw DomainError.switching("the server switched to \(index.recognizer.rawValue) while this image was analysed; send it again")
        }
        let vector = embedding.vector
        let floor = ReadConsistency.floor
        var candidates: [Candidate] = []
        var seenPeople = Set<Int64>()
        var seenFaces = Set<FaceID>()
        var wanted = max(k * 4, k)
        var best: SearchHit?
        func result() async throws -> (candidates: [Candidate], nearest: Candidate?) {
            guard wantNearest, candidates.isEmpty, let best, let person = try await gallery.people(ofFaces: [best.id])[best.id] else {
                return (candidates, nil)
            }
            return (candidates, Candidate(person: person, faceID: best.id, similarity: best.score, confidence: confidence(best.score)))
        }
        while true {
            let depth = wanted
            var clock = Stopwatch()
            let all = try await executors.index.run { [index] in
                try index.search(vector, k: depth, minScore: wantNearest ? -.greatestFiniteMagnitude : threshold, atLeast: floor)
            }
            StageMetrics.shared.record("search", milliseconds: clock.lap())
            if best == nil { best = all.first }
            let hits = wantNearest ? all.filter { $0.score >= threshold } : all
            let fresh = hits.filter { !seenFaces.contains($0.id) }
            let found = try await gallery.people(ofFaces: fresh.map(\.id))
            StageMetrics.shared.record("store", milliseconds: clock.lap())
            for hit in fresh {
                seenFaces.insert(hit.id)
                // A face deleted since the search is skipped.
                guard let person = found[hit.id], !seenPeople.contains(person.id) else { continue }
                seenPeople.insert(person.id)
                candidates.append(Candidate(person: person, faceID: hit.id, similarity: hit.score, confidence: confidence(hit.score)))
                if candidates.count == k { return try await result() }
            }
            guard hits.count == wanted, wanted < index.count else { return try await result() }
            wanted = min(index.count, wanted * 4)
        }
    }

    /// The largest face of an image, for enrolment and verification; with `refuseSpoof` and
    /// anti-spoofing on, a print or a screen is refused.
    public func largestFace(_ image: [UInt8], refuseSpoof: Bool = false, crop: Bool = false) async throws -> (ImageAnalysis, AnalyzedFace, Embedding) {
        let check = refuseSpoof && enforcesLiveness
        let analysis = try await analyze(image, liveness: check, crop: crop)
        guard let face = analysis.faces.first, let embedding = face.embedding else { throw DomainError.noFace }
        if check, let liveness = face.liveness, !liveness.isReal {
            throw DomainError.spoof(score: liveness.score, threshold: liveness.threshold)
        }
        return (analysis, face, embedding)
    }

    /// Whether the largest face of `image` is the same person as the other image's largest face,
    /// or as any enrolled face of a person (the best of them counts, so each face is one
    /// chance for a stranger: the default threshold accounts for them).
    public func verify(_ image: [UInt8], against target: VerifyTarget, threshold request: ThresholdRequest = .policy) async throws -> Verification {
        let resolver = ThresholdResolver(recognizer: recognizer, policy: settings.thresholdPolicy)
        _ = try resolver.resolve(request, comparisons: 1)  // a bad parameter is refused before any work
        let (_, _, first) = try await largestFace(image)
        var best: Float = -1
        var comparisons = 1
        switch target {
        case let .image(other):
            let (_, _, second) = try await largestFace(other)
            best = first.similarity(to: second) ?? -1
        case let .person(classID):
            comparisons = 0
            for face in try await gallery.faces(classID: classID) {
                if let e = try await gallery.embedding(faceID: face.id), let s = first.similarity(to: e) {
                    best = max(best, s)
                    comparisons += 1
                }
            }
            guard comparisons > 0 else {
                throw DomainError.unprocessable(code: "no_enrolled_face", message: "\(classID) has no face enrolled with \(recognizer.id)")
            }
        }
        let threshold = try resolver.resolve(request, comparisons: comparisons)
        return Verification(similarity: best, samePerson: best >= threshold.cosine, threshold: threshold, confidence: confidence(best))
    }
}
