import Foundation
import Hummingbird
import LikenessUseCases

/// `/v1/identify`, `/v1/verify`, `/v1/detect`.
struct RecognitionController: Sendable {
    typealias Context = LikenessRequestContext
    let recognition: RecognitionService
    let maxUploadBytes: Int

    func addRoutes(to v1: RouterGroup<Context>) {
        v1.group().add(middleware: RequireRole.viewer)
            .post("identify", use: identify)
            .post("verify", use: verify)
            .post("detect", use: detect)
    }

    struct MatchDTO: Codable, Sendable {
        var class_id: String
        var name: String
        var info: String
        var similarity: Double
        var image_id: Int64
    }

    /// A detected face's fields, then whether it was a spoof and its matches, in one object.
    struct IdentifiedFace: Codable, Sendable {
        var face: FaceBoxDTO
        /// True when anti-spoofing is on and the face failed it: it was not searched.
        var spoof: Bool?
        var matches: [MatchDTO]
        enum CodingKeys: String, CodingKey { case spoof, matches }

        init(face: FaceBoxDTO, spoof: Bool?, matches: [MatchDTO]) {
            self.face = face
            self.spoof = spoof
            self.matches = matches
        }

        init(from decoder: any Decoder) throws {
            face = try FaceBoxDTO(from: decoder)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            spoof = try c.decodeIfPresent(Bool.self, forKey: .spoof)
            matches = try c.decode([MatchDTO].self, forKey: .matches)
        }

        func encode(to encoder: any Encoder) throws {
            try face.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(spoof, forKey: .spoof)
            try c.encode(matches, forKey: .matches)
        }
    }

    struct IdentifyDTO: ResponseCodable, Sendable {
        var faces: [IdentifiedFace]
        var liveness_available: Bool
        var attributes_available: Bool
        var threshold: Double
        var recognizer: String
        var processing_time: Double
        var timings_ms: [String: Double]
    }

    struct DetectDTO: ResponseCodable, Sendable {
        var width: Int
        var height: Int
        var faces: [FaceBoxDTO]
        var liveness_available: Bool
        var attributes_available: Bool
        var processing_time: Double
        var timings_ms: [String: Double]
    }

    struct VerifyDTO: ResponseCodable {
        var similarity: Double
        var same_person: Bool
        var threshold: Double
        var recognizer: String
        var processing_time: Double
    }

    @Sendable func identify(_ request: Request, context: Context) async throws -> IdentifyDTO {
        let started = ContinuousClock.now
        let form = try await MultipartForm.read(request, limit: maxUploadBytes)
        let threshold = try form.float("threshold") ?? recognition.recognizer.defaultThreshold
        // The range (1 to SEARCH_K) is the use case's to check.
        let k = try intParameter(form.string("k"), "k", default: 5, range: Int.min...Int.max)
        let (analysis, matches) = try await recognition.identify(try form.image(limit: maxUploadBytes), k: k, threshold: threshold,
                                                                 liveness: form.bool("liveness"), attributes: form.bool("attributes"))
        let faces = matches.map { m in
            IdentifiedFace(face: FaceBoxDTO(m.face), spoof: recognition.enforcesLiveness ? m.face.liveness?.isReal == false : nil,
                           matches: m.candidates.map {
                               MatchDTO(class_id: $0.person.classID, name: $0.person.name, info: $0.person.info,
                                        similarity: rounded($0.similarity), image_id: $0.faceID)
                           })
        }
        return IdentifyDTO(faces: faces, liveness_available: recognition.capabilities.liveness,
                           attributes_available: recognition.capabilities.attributes, threshold: rounded(threshold),
                           recognizer: recognition.recognizer.id.rawValue, processing_time: seconds(since: started), timings_ms: timings(analysis))
    }

    @Sendable func detect(_ request: Request, context: Context) async throws -> DetectDTO {
        let started = ContinuousClock.now
        let form = try await MultipartForm.read(request, limit: maxUploadBytes)
        let analysis = try await recognition.detect(try form.image(limit: maxUploadBytes),
                                                    liveness: form.optionalBool("liveness"),
                                                    attributes: form.bool("attributes"))
        return DetectDTO(width: analysis.width, height: analysis.height, faces: analysis.faces.map { FaceBoxDTO($0) },
                         liveness_available: recognition.capabilities.liveness, attributes_available: recognition.capabilities.attributes,
                         processing_time: seconds(since: started), timings_ms: timings(analysis))
    }

    /// The largest face of `file` against `file2`, or against the faces of `class_id`.
    @Sendable func verify(_ request: Request, context: Context) async throws -> VerifyDTO {
        let started = ContinuousClock.now
        let form = try await MultipartForm.read(request, limit: 2 * maxUploadBytes)
        let image = try form.image(limit: maxUploadBytes)
        let target: VerifyTarget
        if let second = form["file2"] {
            guard !second.data.isEmpty else { throw APIError.badRequest("image_empty", "file2 is empty") }
            target = .image(second.data)
        } else if let classID = form.string("class_id"), !classID.isEmpty {
            target = .person(classID: classID)
        } else {
            throw APIError.badRequest("second_required", "send a second image as 'file2', or a 'class_id' to verify against")
        }
        let result = try await recognition.verify(image, against: target, threshold: try form.float("threshold"))
        return VerifyDTO(similarity: rounded(result.similarity), same_person: result.samePerson, threshold: rounded(result.threshold),
                         recognizer: recognition.recognizer.id.rawValue, processing_time: seconds(since: started))
    }
}

func timings(_ analysis: ImageAnalysis) -> [String: Double] {
    Dictionary(analysis.timings.stages.map { ($0.name, ($0.milliseconds * 100).rounded() / 100) }) { a, _ in a }
}
