import Foundation
import Hummingbird
import LikenessUseCases

/// JSON bodies. Field names follow the original system (snake_case).
struct PersonInfo: ResponseCodable, Sendable {
    var class_id: String
    var name: String
    var info: String

    init(_ p: Person) {
        class_id = p.classID
        name = p.name
        info = p.info
    }
}

struct PersonDTO: ResponseCodable, Sendable {
    var class_id: String
    var name: String
    var info: String
    var created_at: String
    var updated_at: String

    init(_ p: Person) {
        class_id = p.classID
        name = p.name
        info = p.info
        created_at = iso(p.createdAt)
        updated_at = iso(p.updatedAt)
    }
}

struct FaceBoxDTO: ResponseCodable, Sendable {
    var box: [Double]
    var score: Double
    var landmarks: [[Double]]
    /// Present when liveness was checked.
    var liveness: LivenessDTO?
    /// Present when age and gender were estimated.
    var age: Int?
    var gender: String?
    var quality: QualityDTO?

    init(_ face: DetectedFace) {
        box = [face.box.x, face.box.y, face.box.width, face.box.height].map { ($0 * 10).rounded() / 10 }
        score = (face.score * 10000).rounded() / 10000
        landmarks = (face.landmarks?.points ?? []).map { [($0.x * 10).rounded() / 10, ($0.y * 10).rounded() / 10] }
    }

    init(_ face: AnalyzedFace) {
        self.init(face.detection)
        liveness = face.liveness.map(LivenessDTO.init)
        age = face.attributes?.age
        gender = face.attributes?.gender.rawValue
        quality = face.quality.map(QualityDTO.init)
    }
}

struct LivenessDTO: Codable, Sendable {
    var score: Double
    var threshold: Double
    var real: Bool

    init(_ l: Liveness) {
        score = (l.score * 10000).rounded() / 10000
        threshold = l.threshold
        real = l.isReal
    }
}

struct FaceRecordDTO: ResponseCodable, Sendable {
    var image_id: Int64
    var class_id: String
    var recognizer: String
    var box: [Double]
    var detection_score: Double
    var created_at: String
    /// SHA-256 of the uploaded image: a client can tell which of its photos are enrolled.
    var image_sha256: String
    /// Whether a crop is stored (GET /v1/faces/{id}/crop).
    var has_crop: Bool
    /// Set when the face looks like another person's (a likely mislabel or duplicate).
    var warning: MislabelWarningDTO?

    init(_ f: FaceRecord, warning: MislabelWarning? = nil) {
        self.warning = warning.map(MislabelWarningDTO.init)
        image_id = f.id
        class_id = f.classID
        recognizer = f.recognizer.rawValue
        box = [f.box.x, f.box.y, f.box.width, f.box.height]
        detection_score = (f.detectionScore * 10000).rounded() / 10000
        created_at = iso(f.createdAt)
        image_sha256 = f.imageSHA256
        has_crop = f.hasCrop
    }
}

func iso(_ ms: Int64) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
}

func rounded(_ x: Float) -> Double { (Double(x) * 10000).rounded() / 10000 }

struct IndexStatusDTO: ResponseCodable {
    var total_vectors: Int
    var dimension: Int
    var index_type: String
    var metric: String
    var recognizer: String
    var default_threshold: Double
    /// The cosine a search of the whole gallery uses now, and why.
    var threshold_applied: ThresholdDTO?
    var calibrated: Bool
    /// The original's name for total_vectors.
    var ntotal: Int
    /// The configured kind (`--index`); index_type is what serves now.
    var index_setting: String
    var memory_bytes: Int
    /// The change-log position the index reflects, and the database's own.
    var index_position: Int64
    var database_position: Int64?
    var snapshot_position: Int64?
    var snapshot_age_seconds: Double?
    /// A rebuild running now, with the kind it builds.
    var rebuilding: String?
    var last_build_error: String?
    var max_vectors: Int?
    var liveness_available: Bool
    var attributes_available: Bool
    var anti_spoofing: Bool
    /// Faces per recognizer they serve under, and how many the serving one cannot search.
    var faces_by_recognizer: [String: Int]
    var unsearchable_faces: Int
    /// The background model migration, when one was started since the server started.
    var migration: MigrationDTO?
    var stored_images: StoredImagesDTO?

    init(_ status: IndexStatus) {
        stored_images = status.storedImages.map { StoredImagesDTO($0, retention: status.originalRetention) }
        faces_by_recognizer = status.facesByRecognizer
        unsearchable_faces = status.facesByRecognizer.filter { $0.key != status.recognizer.id.rawValue }.values.reduce(0, +)
        threshold_applied = status.threshold.map(ThresholdDTO.init)
        calibrated = status.recognizer.calibration != nil
        total_vectors = status.count
        dimension = status.dimension
        index_type = status.kind
        metric = "inner_product"
        recognizer = status.recognizer.id.rawValue
        default_threshold = rounded(status.recognizer.defaultThreshold)
        ntotal = status.count
        index_setting = status.details.setting.rawValue
        memory_bytes = status.details.memoryBytes
        index_position = status.position
        database_position = status.databasePosition
        snapshot_position = status.details.snapshotPosition
        snapshot_age_seconds = status.details.snapshotAt.map { (Date().timeIntervalSince($0) * 10).rounded() / 10 }
        rebuilding = status.details.rebuilding?.rawValue
        last_build_error = status.details.lastBuildError
        max_vectors = status.maxVectors
        liveness_available = status.capabilities.liveness
        attributes_available = status.capabilities.attributes
        anti_spoofing = status.antiSpoofing
    }
}

/// A small message body, `{"message": ..., other fields}`, as the original answered.
struct MessageDTO: ResponseCodable {
    var message: String
    var class_id: String?
    var image_id: String?
    var deleted_images: Int?
}

/// Seconds since `start`, to 0.1 ms (the original's processing_time).
func seconds(since start: ContinuousClock.Instant) -> Double {
    let (s, a) = (ContinuousClock.now - start).components
    return ((Double(s) + Double(a) / 1e18) * 10000).rounded() / 10000
}

/// What the database keeps of the uploads (`/v1/index`).
struct StoredImagesDTO: Codable {
    var crops: Int
    var originals: Int
    var original_bytes: Int64
    /// Originals older than this are deleted (null: kept for the life of their face).
    var original_retention_days: Double?
    /// Beyond this, the oldest originals are deleted (null: no budget).
    var originals_budget_bytes: Int64?

    init(_ usage: StoredImageUsage, retention: OriginalRetention) {
        crops = usage.crops
        originals = usage.originals
        original_bytes = usage.originalBytes
        original_retention_days = retention.maxAgeSeconds.map { Double($0) / 86_400 }
        originals_budget_bytes = retention.budgetBytes
    }
}
