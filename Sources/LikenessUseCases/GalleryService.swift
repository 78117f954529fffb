import Foundation

/// The result of one image of a multi-image enrolment.
public struct EnrollOutcome: Sendable {
    public var filename: String?
    /// The stored face, or why this image was refused: a `DomainError`, `ImageError` or
    /// `StoreError` of the client's image, never the server's trouble (that fails the request).
    public var result: Result<FaceRecord, any Error>
    /// Set when the face looks like someone else's (it is enrolled all the same).
    public var warning: MislabelWarning?
    /// Faces found in the image (the largest was enrolled); nil when it was refused before.
    public var facesInImage: Int?
}

/// A face nearer another person than its own: a likely mislabel, or one person enrolled twice.
public struct MislabelWarning: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Nearer another person's face than any other face of its own person.
        case closerToAnotherPerson = "closer_to_another_person"
        /// Its person has no other face, and another person's face matches it.
        case matchesAnotherPerson = "matches_another_person"
    }

    public var kind: Kind
    public var otherClassID: String
    public var otherSimilarity: Float
    /// Its best similarity to its own person's other faces; nil when it has none.
    public var ownSimilarity: Float?

    public var message: String {
        switch kind {
        case .closerToAnotherPerson:
            String(format: "this face is nearer %@ (%.3f) than its own person's other faces (%.3f): check the label",
                   otherClassID, otherSimilarity, ownSimilarity ?? -1)
        case .matchesAnotherPerson:
            String(format: "this face matches %@ (%.3f): the same person may be enrolled twice", otherClassID, otherSimilarity)
        }
    }
}

/// What the index is serving, for status pages.
public struct IndexStatus: Sendable {
    public var count: Int
    public var dimension: Int
    public var kind: String
    public var recognizer: RecognizerInfo
    public var position: Int64
    public var capabilities: AnalyzerCapabilities
    public var antiSpoofing: Bool
    /// What a search of the whole gallery uses now.
    public var threshold: AppliedThreshold?
    public var details: IndexDetails
    /// The database's change-log position (the index's `position` follows it).
    public var databasePosition: Int64?
    public var maxVectors: Int?
    /// Faces in the database per recognizer they serve under: those under another recognizer
    /// than the serving one are not searched (a model migration not yet switched, or undone).
    public var facesByRecognizer: [String: Int] = [:]
    /// Crops and originals the database keeps, and the originals' retention.
    public var storedImages: StoredImageUsage?
    public var originalRetention = OriginalRetention()
}

/// People, their faces and the index: every write goes to the database first, then the index
/// catches up, and only then is the write acknowledged.
public struct GalleryService: Sendable {
    public let recognition: RecognitionService
    var gallery: any GalleryStore { recognition.gallery }
    var index: any GalleryIndex { recognition.index }
    var executors: WorkExecutors { recognition.executors }
    var settings: UseCaseSettings { recognition.settings }

    public init(recognition: RecognitionService) { self.recognition = recognition }

    // MARK: People

    public func people(offset: Int, limit: Int, search: String?) async throws -> (people: [Person], total: Int) {
        try await gallery.listPeople(offset: offset, limit: limit, search: search)
    }

    public func createPerson(classID: String, name: String, info: String) async throws -> Person {
        guard !name.isEmpty else { throw DomainError.invalid(code: "invalid", message: "name must not be empty") }
        return try await gallery.createPerson(classID: classID, name: name, info: info)
    }

    public func person(_ classID: String) async throws -> Person {
        guard let person = try await gallery.person(classID: classID) else { throw DomainError.notFound("no person with class_id \(classID)") }
        return person
    }

    public func updatePerson(_ classID: String, name: String?, info: String?) async throws -> Person {
        try await gallery.updatePerson(classID: classID, name: name, info: info)
    }

    /// Deletes the person with every face; answers the faces removed.
    public func deletePerson(_ classID: String) async throws -> [FaceID] {
        let removed = try await gallery.deletePerson(classID: classID)
        try await catchUp()
        return removed
    }

    // MARK: Faces

    public func faces(of classID: String) async throws -> [FaceRecord] { try await gallery.faces(classID: classID) }

    /// A person's faces, each with its mislabel warning when it has one (checked now, against
    /// the gallery as it is).
    public func facesWithWarnings(of classID: String) async throws -> [(FaceRecord, MislabelWarning?)] {
        var out: [(FaceRecord, MislabelWarning?)] = []
        for face in try await gallery.faces(classID: classID) {
            guard let embedding = try await gallery.embedding(faceID: face.id) else {
                out.append((face, nil))
                continue
            }
            out.append((face, try await mislabelWarning(embedding, classID: classID, excluding: face.id)))
        }
        return out
    }

    /// Compares a face with its own person's other faces and with the nearest other person.
    func mislabelWarning(_ embedding: Embedding, classID: String, excluding faceID: FaceID?) async throws -> MislabelWarning? {
        guard settings.warnOnMislabel, embedding.recognizer == recognition.recognizer.id else { return nil }
        var own: Float?
        for face in try await gallery.faces(classID: classID) where face.id != faceID {
            if let e = try await gallery.embedding(faceID: face.id), let s = embedding.similarity(to: e) { own = max(own ?? -1, s) }
        }
        // Only people at or above the bar matter: the own best, or for a first face the
        // gallery's match threshold.
        let bar = try own ?? recognition.galleryThreshold().cosine
        let nearest = try await recognition.topPeople(embedding, k: 2, threshold: bar)
        guard let other = nearest.first(where: { $0.person.classID != classID }) else { return nil }
        if let own {
            return other.similarity > own
                ? MislabelWarning(kind: .closerToAnotherPerson, otherClassID: other.person.classID, otherSimilarity: other.similarity, ownSimilarity: own)
                : nil
        }
        return MislabelWarning(kind: .matchesAnotherPerson, otherClassID: other.person.classID, otherSimilarity: other.similarity, ownSimilarity: nil)
    }

    public func face(_ id: FaceID) async throws -> FaceRecord {
        guard let face = try await gallery.face(id: id) else { throw DomainError.notFound("no face \(id)") }
        return face
    }

    public func deleteFace(_ id: FaceID) async throws {
        try await gallery.deleteFace(id: id)
        try await catchUp()
    }

    /// Enrols the largest face of the image for a person. With `createAs`, a person that does
    /// not exist yet is created with that name first (the original's add_embedding did so).
    public func enroll(_ image: [UInt8], classID: String, createAs name: String? = nil,
                       info: String = "") async throws -> (FaceRecord, ImageAnalysis, MislabelWarning?) {
        if try await gallery.person(classID: classID) == nil {
            guard let name, !name.isEmpty else { throw DomainError.notFound("no person with class_id \(classID)") }
            do {
                _ = try await gallery.createPerson(classID: classID, name: name, info: info)
            } catch StoreError.conflict {
                // Created meanwhile by another request: enrol into it.
            }
        }
        return try await enrollKnown(image, classID: classID)
    }

    /// Enrols into a person already checked; the store still refuses one deleted meanwhile.
    private func enrollKnown(_ image: [UInt8], classID: String) async throws -> (FaceRecord, ImageAnalysis, MislabelWarning?) {
        try checkCapacity()
        let (analysis, face, embedding) = try await enrollableFace(image)
        let warning = try await mislabelWarning(embedding, classID: classID, excluding: nil)
        let record = try await gallery.addFace(try newFace(face, embedding, image), classID: classID)
        try await catchUp()
        return (record, analysis, warning)
    }

    /// Refuses a new face once the index holds `maxVectors` (checked before the work of analysis;
    /// concurrent enrolments may pass it by a few).
    private func checkCapacity() throws {
        guard let limit = settings.maxVectors, index.count >= limit else { return }
        throw DomainError.full(code: "index_full", message: "the index holds \(index.count) faces, its limit (MAX_VECTORS) is \(limit); delete faces or raise the limit")
    }

    /// The largest face, refused when it is a spoof or below the enrolment quality requirements.
    private func enrollableFace(_ image: [UInt8]) async throws -> (ImageAnalysis, AnalyzedFace, Embedding) {
        let (analysis, face, embedding) = try await recognition.largestFace(image, refuseSpoof: true, crop: settings.storeFaceCrops)
        if let quality = face.quality, let shortfall = settings.enrollmentQuality.shortfall(quality) {
            throw DomainError.unprocessable(code: "face_quality", message: "\(shortfall.reason): \(shortfall.message)")
        }
        return (analysis, face, embedding)
    }

    /// Several images for one person: each enrolled or refused on its own; the request fails
    /// only when none was enrolled, or on the server's own trouble.
    public func enroll(_ images: [(filename: String?, bytes: [UInt8])], classID: String) async throws -> [EnrollOutcome] {
        guard !images.isEmpty else { throw DomainError.invalid(code: "file_required", message: "send one or more images in the field 'file'") }
        guard images.count <= settings.maxFilesPerEnrollment else {
            throw DomainError.invalid(code: "too_many_files", message: "send at most \(settings.maxFilesPerEnrollment) images per request")
        }
        _ = try await person(classID)
        var outcomes: [EnrollOutcome] = []
        for image in images {
            do {
                let (record, analysis, warning) = try await enrollKnown(image.bytes, classID: classID)
                outcomes.append(EnrollOutcome(filename: image.filename, result: .success(record), warning: warning,
                                              facesInImage: analysis.faces.count))
            } catch let e as DomainError {
                // A switch of packs is the server's moment, not the image's fault: the whole request is retried.
                if case .switching = e { throw e }
                outcomes.append(EnrollOutcome(filename: image.filename, result: .failure(e)))
            } catch let e as ImageError {
                outcomes.append(EnrollOutcome(filename: image.filename, result: .failure(e)))
            } catch let e as StoreError {
                if case .unavailable = e { throw e }
                if case .storageFull = e { throw e }
                outcomes.append(EnrollOutcome(filename: image.filename, result: .failure(e)))
            }
        }
        return outcomes
    }

    /// Replaces a face's embedding and details with the largest face of a new image.
    public func replaceFace(_ id: FaceID, image: [UInt8]) async throws -> FaceRecord {
        guard try await gallery.face(id: id) != nil else { throw DomainError.notFound("no image \(id)") }
        let (_, face, embedding) = try await enrollableFace(image)
        let record = try await gallery.replaceFace(id: id, with: try newFace(face, embedding, image))
        try await catchUp()
        return record
    }

    /// The stored crop of a face (JPEG); not found when the face is gone or was enrolled without one.
    public func faceCrop(_ id: FaceID) async throws -> [UInt8] {
        guard try await gallery.face(id: id) != nil else { throw DomainError.notFound("no face \(id)") }
        guard let crop = try await gallery.crop(faceID: id) else {
            throw DomainError.notFound("face \(id) has no stored crop (enrolled before crops were kept, or with --store-crops false)")
        }
        return crop
    }

    /// The image a face was enrolled from, where originals are kept.
    public func faceOriginal(_ id: FaceID) async throws -> [UInt8] {
        guard try await gallery.face(id: id) != nil else { throw DomainError.notFound("no face \(id)") }
        guard let original = try await gallery.original(faceID: id) else {
            throw DomainError.notFound("face \(id) has no stored original (the server keeps them only with --store-originals true)")
        }
        return original
    }

    /// Gives a face to another person, keeping its embedding (a face enrolled under the wrong
    /// person is moved, not uploaded again).
    public func moveFace(_ id: FaceID, toClassID classID: String) async throws -> FaceRecord {
        let record = try await gallery.moveFace(id: id, toClassID: classID)
        try await catchUp()
        return record
    }

    // MARK: Index

    public var indexStatus: IndexStatus {
        get async {
            let databasePosition = try? await executors.index.run { [gallery] in try gallery.currentPosition() }
            return IndexStatus(count: index.count, dimension: index.dimension, kind: index.kind, recognizer: recognition.recognizer,
                               position: index.position, capabilities: recognition.capabilities, antiSpoofing: settings.antiSpoofing,
                               threshold: try? recognition.galleryThreshold(), details: index.details, databasePosition: databasePosition,
                               maxVectors: settings.maxVectors,
                               facesByRecognizer: Dictionary(uniqueKeysWithValues: ((try? await gallery.faceCountsByRecognizer()) ?? [:])
                                   .map { ($0.key.rawValue, $0.value) }),
                               storedImages: try? await gallery.storedImageUsage(), originalRetention: settings.originalRetention)
        }
    }

    /// Rebuilds the index from the database (the original's reset_index), with another kind if
    /// given (optimize). Searches are answered from the serving index until the new one is
    /// swapped in; writes made meanwhile are replayed into it. One rebuild at a time.
    public func rebuildIndex(kind: IndexKind? = nil) async throws {
        do {
            try await Task { [executors, index] in
                try await executors.maintenance.run { try index.rebuild(kind: kind) }
            }.value
        } catch let error as IndexRebuildError {
            throw DomainError.conflict(error.description)
        }
    }

    /// Builds, retrains or drops the approximate index as the gallery's size asks.
    @discardableResult
    public func maintainIndex() async throws -> Bool {
        try await executors.maintenance.run { [index] in try index.maintain() }
    }

    /// Brings the index up to the database after a write. It runs to the end even when the
    /// request is cancelled meanwhile (a timeout): the write is committed, so the index must
    /// follow it now rather than at the next write.
    func catchUp() async throws {
        let index = self.index
        try await Task { [executors] in
            _ = try await executors.index.run { try index.catchUp() }
        }.value
        // The position this request's write reached: its caller's later reads must reflect it.
        ReadConsistency.writes?.record(index.position)
    }

    private func newFace(_ face: AnalyzedFace, _ embedding: Embedding, _ image: [UInt8]) throws -> NewFace {
        // A face made by the model just switched out would be stored where no search finds it.
        guard embedding.recognizer == index.recognizer else {
            throw DomainError.switching("the server switched to \(index.recognizer.rawValue) while this image was analysed; send it again")
        }
        return NewFace(embedding: embedding, box: face.detection.box, detectionScore: face.detection.score,
                crop: face.crop, imageSHA256: TokenService.sha256Hex(image), original: settings.storeOriginals ? image : nil)
    }
}
