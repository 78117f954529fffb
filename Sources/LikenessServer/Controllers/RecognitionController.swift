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
        var confidence: Double?
        var image_id: Int64

        init(_ c: Candidate) {
            class_id = c.person.classID
            name = c.person.name
            info = c.person.info
            similarity = rounded(c.similarity)
            confidence = c.confidence.map(tenth)
            image_id = c.faceID
        }
    }

    /// A detected face's fields, then whether it was a spoof and its matches, in one object.
    struct IdentifiedFace: Codable, Sendable {
        var face: FaceBoxDTO
        /// True when anti-spoofing is on and the face failed it: it was not searched.
        var spoof: Bool?
        /// Set when queries filter on quality and the face fell short: it was not searched.
        var quality_refusal: QualityRefusalDTO?
        var matches: [MatchDTO]
        /// An unknown face's nearest person, below the threshold (the original answered its score).
        var nearest: MatchDTO?
        enum CodingKeys: String, CodingKey { case spoof, quality_refusal, matches, nearest }

        init(face: FaceBoxDTO, spoof: Bool?, refusal: QualityShortfall?, matches: [MatchDTO], nearest: MatchDTO? = nil) {
            self.face = face
            self.spoof = spoof
            self.quality_refusal = refusal.map(QualityRefusalDTO.init)
            self.matches = matches
            self.nearest = nearest
        }

        init(from decoder: any Decoder) throws {
            face = try FaceBoxDTO(from: decoder)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            spoof = try c.decodeIfPresent(Bool.self, forKey: .spoof)
            quality_refusal = try c.decodeIfPresent(QualityRefusalDTO.self, forKey: .quality_refusal)
            matches = try c.decode([MatchDTO].self, forKey: .matches)
            nearest = try c.decodeIfPresent(MatchDTO.self, forKey: .nearest)
        }

        func encode(to encoder: any Encoder) throws {
            try face.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(spoof, forKey: .spoof)
            try c.encodeIfPresent(quality_refusal, forKey: .quality_refusal)
            try c.encode(matches, forKey: .matches)
            try c.encodeIfPresent(nearest, forKey: .nearest)
        }
    }

    struct IdentifyDTO: ResponseCodable, Sendable {
        var faces: [IdentifiedFace]
        var liveness_available: Bool
        var attributes_available: Bool
        /// The cosine applied (the pack's scale); `threshold_applied` says why.
        var threshold: Double
        var threshold_applied: ThresholdDTO
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
        var confidence: Double?
        var same_person: Bool
        var threshold: Double
        var threshold_applied: ThresholdDTO
        var recognizer: String
        var processing_time: Double
    }

    @Sendable func identify(_ request: Request, context: Context) async throws -> IdentifyDTO {
        let started = ContinuousClock.now
        let form = try await MultipartForm.read(request, limit: maxUploadBytes)
        // The range (1 to SEARCH_K) is the use case's to check.
        let k = try intParameter(form.string("k"), "k", default: 5, range: Int.min...Int.max)
        let result = try await recognition.identify(try form.image(limit: maxUploadBytes), k: k, threshold: try thresholdRequest(form),
                                                    liveness: form.bool("liveness"), attributes: form.bool("attributes"),
                                                    filter: try faceFilter(form))
        let faces = result.matches.map { m in
            IdentifiedFace(face: FaceBoxDTO(m.face), spoof: recognition.enforcesLiveness ? m.face.liveness?.isReal == false : nil,
                           refusal: m.refusal, matches: m.candidates.map(MatchDTO.init), nearest: m.nearest.map(MatchDTO.init))
        }
        return IdentifyDTO(faces: faces, liveness_available: recognition.capabilities.liveness,
                           attributes_available: recognition.capabilities.attributes, threshold: rounded(result.threshold.cosine),
                           threshold_applied: ThresholdDTO(result.threshold), recognizer: recognition.recognizer.id.rawValue,
                           processing_time: seconds(since: started), timings_ms: timings(result.analysis))
    }

    @Sendable func detect(_ request: Request, context: Context) async throws -> DetectDTO {
        let started = ContinuousClock.now
        let form = try await MultipartForm.read(request, limit: maxUploadBytes)
        let analysis = try await recognition.detect(try form.image(limit: maxUploadBytes),
                                                    liveness: form.optionalBool("liveness"),
                                                    attributes: form.bool("attributes"), filter: try faceFilter(form))
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
        let result = try await recognition.verify(image, against: target, threshold: try thresholdRequest(form))
        return VerifyDTO(similarity: rounded(result.similarity), confidence: result.confidence.map(tenth), same_person: result.samePerson,
                         threshold: rounded(result.threshold.cosine), threshold_applied: ThresholdDTO(result.threshold),
                         recognizer: recognition.recognizer.id.rawValue, processing_time: seconds(since: started))
    }

    /// `threshold` (a raw cosine of the pack) or `min_confidence` (0-100), not both; neither
    /// leaves the decision to the server's policy.
    private func thresholdRequest(_ form: MultipartForm) throws -> ThresholdRequest {
        let cosine = try form.float("threshold"), confidence = try form.double("min_confidence")
        switch (cosine, confidence) {
        case (nil, nil): return .policy
        case let (cosine?, nil): return .cosine(cosine)
        case let (nil, confidence?): return .minConfidence(confidence)
        case (_?, _?): throw APIError.badRequest("invalid_parameter", "send 'threshold' or 'min_confidence', not both")
        }
    }

    /// `det_prob_threshold` (the detector's own score scale) and `min_face_size` (pixels).
    private func faceFilter(_ form: MultipartForm) throws -> FaceFilter {
        FaceFilter(minFaceSize: try form.double("min_face_size"), minDetectorScore: try form.double("det_prob_threshold"))
    }
}

func timings(_ analysis: ImageAnalysis) -> [String: Double] {
    Dictionary(analysis.timings.stages.map { ($0.name, ($0.milliseconds * 100).rounded() / 100) }) { a, _ in a }
}
