/// A person in the gallery. `classID` is the external id clients use (the original system's
/// `class_id`); `id` is the database's.
public struct Person: Sendable, Equatable, Codable {
    public var id: Int64
    public var classID: String
    public var name: String
    public var info: String
    /// Milliseconds since 1970.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: Int64, classID: String, name: String, info: String, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.classID = classID
        self.name = name
        self.info = info
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A face to enroll.
public struct NewFace: Sendable, Equatable {
    public var embedding: Embedding
    public var box: BoundingBox
    public var detectionScore: Double
    public var quality: Double?
    /// An encoded crop of the face, kept if the deployment stores images.
    public var crop: [UInt8]?
    /// Hex sha256 of the uploaded image.
    public var imageSHA256: String
    /// The uploaded image itself, kept only where the deployment asks for it (`--store-originals`).
    public var original: [UInt8]?

    public init(embedding: Embedding, box: BoundingBox, detectionScore: Double, quality: Double? = nil,
                crop: [UInt8]? = nil, imageSHA256: String, original: [UInt8]? = nil) {
        self.original = original
        self.embedding = embedding
        self.box = box
        self.detectionScore = detectionScore
        self.quality = quality
        self.crop = crop
        self.imageSHA256 = imageSHA256
    }
}

/// A stored face, without its embedding and crop (fetched separately when needed).
public struct FaceRecord: Sendable, Equatable {
    public var id: FaceID
    public var personID: Int64
    public var classID: String
    public var recognizer: RecognizerID
    public var box: BoundingBox
    public var detectionScore: Double
    public var quality: Double?
    public var imageSHA256: String
    public var hasCrop: Bool
    public var createdAt: Int64

    public init(id: FaceID, personID: Int64, classID: String, recognizer: RecognizerID, box: BoundingBox,
                detectionScore: Double, quality: Double?, imageSHA256: String, hasCrop: Bool, createdAt: Int64) {
        self.id = id
        self.personID = personID
        self.classID = classID
        self.recognizer = recognizer
        self.box = box
        self.detectionScore = detectionScore
        self.quality = quality
        self.imageSHA256 = imageSHA256
        self.hasCrop = hasCrop
        self.createdAt = createdAt
    }
}

/// A row of a people import: the original's `class_id,name,info` CSV.
public struct PersonImport: Sendable, Equatable {
    public var classID: String
    public var name: String
    public var info: String

    public init(classID: String, name: String, info: String) {
        self.classID = classID
        self.name = name
        self.info = info
    }
}

/// Why a store operation failed. `conflict`, `notFound` and `invalid` are the caller's doing
/// (4xx); `unavailable` and `storageFull` are the deployment's (503/507), and lose nothing
/// already acknowledged.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case conflict(String)
    case notFound(String)
    case invalid(String)
    case unavailable(String)
    case storageFull(String)

    public var description: String {
        switch self {
        case let .conflict(m): "conflict: \(m)"
        case let .notFound(m): "not found: \(m)"
        case let .invalid(m): "invalid: \(m)"
        case let .unavailable(m): "database unavailable: \(m)"
        case let .storageFull(m): "storage full: \(m)"
        }
    }
}

/// A new person with one face, for bulk loads (precomputed embeddings, benchmark galleries).
public struct PersonWithFace: Sendable, Equatable {
    public var person: PersonImport
    public var face: NewFace

    public init(person: PersonImport, face: NewFace) {
        self.person = person
        self.face = face
    }
}

/// A face for a person who exists, for bulk loads (imports).
public struct FaceForPerson: Sendable, Equatable {
    public var classID: String
    public var face: NewFace

    public init(classID: String, face: NewFace) {
        self.classID = classID
        self.face = face
    }
}

/// People and their faces: the source of truth the vector index is derived from.
public protocol GalleryStore: EmbeddingSource {
    func createPerson(classID: String, name: String, info: String) async throws -> Person
    func person(classID: String) async throws -> Person?
    /// A page of people ordered by class id, optionally filtered by a substring of the class id
    /// or name; and the total matching.
    func listPeople(offset: Int, limit: Int, search: String?) async throws -> (people: [Person], total: Int)
    func updatePerson(classID: String, name: String?, info: String?) async throws -> Person
    /// Deletes the person with their faces, embeddings and crops, in one transaction; answers the
    /// ids of the faces removed, for the index.
    func deletePerson(classID: String) async throws -> [FaceID]
    /// Inserts or updates people by class id, all or nothing.
    func importPeople(_ rows: [PersonImport]) async throws -> (inserted: Int, updated: Int)

    func addFace(_ face: NewFace, classID: String) async throws -> FaceRecord
    func faces(classID: String) async throws -> [FaceRecord]
    func face(id: FaceID) async throws -> FaceRecord?
    /// The person of each face, in one query however many ids; unknown ids are left out. What a
    /// search answer needs of its hits: it reads no column of the face past its person, so not
    /// the embedding and crop blobs that SQLite would walk through to reach later columns.
    func people(ofFaces ids: [FaceID]) async throws -> [FaceID: Person]
    func embedding(faceID: FaceID) async throws -> Embedding?
    func crop(faceID: FaceID) async throws -> [UInt8]?
    /// The uploaded image a face was enrolled from, where originals are kept.
    func original(faceID: FaceID) async throws -> [UInt8]?
    func deleteFace(id: FaceID) async throws
    /// Replaces a face's embedding and details (the original's edit_embedding).
    func replaceFace(id: FaceID, with face: NewFace) async throws -> FaceRecord
    /// Gives a face to another person (a mislabelled enrolment), keeping its embedding.
    func moveFace(id: FaceID, toClassID: String) async throws -> FaceRecord
    func faceCount(recognizer: RecognizerID?) async throws -> Int
    /// Faces per recognizer they serve under (after a model migration, some may serve under another).
    func faceCountsByRecognizer() async throws -> [RecognizerID: Int]
    /// Creates the people, each with their face, all or nothing; a class id that exists refuses
    /// the whole batch. Answers the faces' ids in the order given.
    func addPeopleWithFaces(_ items: [PersonWithFace]) async throws -> [FaceID]
    /// Adds faces to people who exist, all or nothing; answers their ids in the order given.
    func addFaces(_ items: [FaceForPerson]) async throws -> [FaceID]
    /// Crops and originals kept, for `/v1/index`.
    func storedImageUsage() async throws -> StoredImageUsage
    /// Deletes the originals stored before `storedBefore` (milliseconds since 1970), then the
    /// oldest until the rest take at most `budgetBytes`; faces and crops are untouched.
    func purgeOriginals(storedBefore: Int64?, budgetBytes: Int64?) async throws -> OriginalPurge
}

