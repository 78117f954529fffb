/// A face waiting to be embedded by another recognizer: its id and its stored crop (nil when it
/// was enrolled without one).
public struct MigrationItem: Sendable, Equatable {
    public var faceID: FaceID
    public var crop: [UInt8]?

    public init(faceID: FaceID, crop: [UInt8]?) {
        self.faceID = faceID
        self.crop = crop
    }
}

/// How far the gallery is embedded under a target recognizer.
public struct MigrationProgress: Sendable, Equatable {
    /// Faces that do not serve under the target.
    public var total: Int
    /// Of those, embedded under the target and waiting for the switch.
    public var embedded: Int
    /// Of those, that the target could not embed (no crop, or no face found in it).
    public var missed: Int
    public var remaining: Int { max(0, total - embedded - missed) }

    public init(total: Int, embedded: Int, missed: Int) {
        self.total = total
        self.embedded = embedded
        self.missed = missed
    }
}

/// A face the target recognizer could not embed, and why.
public struct MigrationMiss: Sendable, Equatable {
    public var faceID: FaceID
    public var classID: String
    public var reason: String

    public init(faceID: FaceID, classID: String, reason: String) {
        self.faceID = faceID
        self.classID = classID
        self.reason = reason
    }
}

/// What a model migration needs of the database: every step is a row of its own, so a run
/// killed at any point resumes where it stopped, and the serving embeddings are untouched until
/// the switch, which happens in one transaction.
public protocol EmbeddingMigrationStore: Sendable {
    /// Faces not serving under `target`, neither embedded for it nor missed, by id after `after`.
    func facesToMigrate(to target: RecognizerID, after: FaceID, limit: Int) async throws -> [MigrationItem]
    func saveMigratedEmbedding(faceID: FaceID, _ embedding: Embedding) async throws
    func recordMigrationMiss(faceID: FaceID, recognizer: RecognizerID, reason: String) async throws
    func migrationProgress(to target: RecognizerID) async throws -> MigrationProgress
    func migrationMisses(to target: RecognizerID) async throws -> [MigrationMiss]
    /// Every face embedded for `target` serves under it from now on; its old embedding is kept
    /// under its old recognizer. Logged in the change log, so every index follows. Answers the
    /// number of faces switched. `pack`, where given, is recorded in the same transaction as the
    /// pack servers start with from now on (`servingPack`).
    func switchRecognizer(to target: RecognizerID, pack: String?) async throws -> Int
    /// The pack the gallery was last switched to (a name or a pack file), if any.
    func servingPack() async throws -> String?
    /// Forgets the kept embeddings of a recognizer (after a switch, once the new one is trusted).
    func dropKeptEmbeddings(recognizer: RecognizerID) async throws -> Int
}
