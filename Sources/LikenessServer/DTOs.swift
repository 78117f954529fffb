import Foundation
import Hummingbird
import LikenessCore

/// JSON bodies. Field names follow the original system (snake_case).
struct PersonInfo: Codable, Sendable {
    var class_id: String
    var name: String
    var info: String

    init(_ p: Person) {
        class_id = p.classID
        name = p.name
        info = p.info
    }
}

struct PersonDTO: Codable, Sendable {
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

struct FaceBoxDTO: Codable, Sendable {
    var box: [Double]
    var score: Double
    var landmarks: [[Double]]
    /// Present when liveness was checked.
    var liveness: LivenessDTO?
    /// Present when age and gender were estimated.
    var age: Int?
    var gender: String?

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

struct FaceRecordDTO: Codable, Sendable {
    var image_id: Int64
    var class_id: String
    var recognizer: String
    var box: [Double]
    var detection_score: Double
    var created_at: String

    init(_ f: FaceRecord) {
        image_id = f.id
        class_id = f.classID
        recognizer = f.recognizer.rawValue
        box = [f.box.x, f.box.y, f.box.width, f.box.height]
        detection_score = (f.detectionScore * 10000).rounded() / 10000
        created_at = iso(f.createdAt)
    }
}

func iso(_ ms: Int64) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
}

func rounded(_ x: Float) -> Double { (Double(x) * 10000).rounded() / 10000 }

/// Encodes a Codable body as JSON.
func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// A JSON request body decoded with a size limit; a malformed body is a 400, not a 500.
func decodeJSON<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 1 << 20) async throws -> T {
    let body: ByteBuffer
    do { body = try await request.body.collect(upTo: limit) } catch {
        throw APIError(.contentTooLarge, "body_too_large", "the request body exceeds \(limit) bytes")
    }
    do {
        return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    } catch {
        throw APIError.badRequest("invalid_json", "the body is not the JSON this endpoint expects: \(describe(error))")
    }
}

private func describe(_ error: any Error) -> String {
    switch error {
    case let DecodingError.keyNotFound(key, _): "missing field '\(key.stringValue)'"
    case let DecodingError.typeMismatch(_, context): "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
    case let DecodingError.valueNotFound(_, context): "null at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
    default: "malformed JSON"
    }
}

struct IndexStatusDTO: Encodable {
    var total_vectors: Int
    var dimension: Int
    var index_type: String
    var metric: String
    var recognizer: String
    var default_threshold: Double
    var database_position: Int64
    var liveness_available: Bool
    var attributes_available: Bool
    var anti_spoofing: Bool

    init(_ ops: FaceOperations) {
        let index = ops.services.index
        total_vectors = index.count
        dimension = index.dimension
        index_type = index.kind
        metric = "inner_product"
        recognizer = index.recognizer.rawValue
        default_threshold = rounded(ops.recognizer.defaultThreshold)
        database_position = index.position
        liveness_available = ops.services.analyzer.capabilities.liveness
        attributes_available = ops.services.analyzer.capabilities.attributes
        anti_spoofing = ops.configuration.antiSpoofing
    }
}
