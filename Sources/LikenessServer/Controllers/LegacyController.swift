import Foundation
import Hummingbird
import LikenessUseCases

/// The original FastAPI system's endpoints, with its paths and shapes, so its clients keep
/// working. A person is a "class" (`class_id`, `name`, `info`); a stored face is an "image".
struct LegacyController: Sendable {
    typealias Context = LikenessRequestContext
    let recognition: RecognitionService
    let gallery: GalleryService
    let maxUploadBytes: Int
    /// `--legacy-auth open`: the two recognition endpoints answer without a token, as the
    /// original's did; everything else still needs one.
    var openRecognition = false

    func addRoutes(to api: RouterGroup<Context>) {
        let recognition = openRecognition ? api.group() : api.group().add(middleware: RequireRole.viewer)
        recognition
            .post("face_query", use: faceQuery)
            .post("face_query_top5", use: faceQueryTop5)
        api.group().add(middleware: RequireRole.viewer)
            .get("list_nguoi", use: listPeople)
            .get("get_image_ids_by_class/:class_id", use: imageIDs)
            .get("index_status", use: indexStatus)
            .get("vector_info", use: indexStatus)
        api.group().add(middleware: RequireRole.operator)
            .post("add_embedding", use: addEmbedding)
            .put("edit_embedding", use: editEmbedding)
            .delete("delete_image", use: deleteImage)
            .delete("delete_class/:class_id", use: deleteClass)
        api.group().add(middleware: RequireRole.admin)
            .post("reset_index", use: resetIndex)
    }

    // "unknown" is `"person_info": null`, written out as the original did, not left out.
    struct MatchDTO: Encodable {
        var similarity: Double?
        var person_info: PersonInfo?
        var image_id: Int64?
        enum CodingKeys: String, CodingKey { case similarity, person_info, image_id }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(similarity, forKey: .similarity)
            try c.encode(person_info, forKey: .person_info)
            try c.encodeIfPresent(image_id, forKey: .image_id)
        }
    }

    struct FaceResultDTO: Encodable {
        var box: [Double]
        var similarity: Double?
        var person_info: PersonInfo?
        var matches: [MatchDTO]?
        var extras = FaceExtras()
        enum CodingKeys: String, CodingKey { case box, similarity, person_info, matches }

        func encode(to encoder: any Encoder) throws {
            try extras.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(box, forKey: .box)
            if let matches {
                try c.encode(matches, forKey: .matches)
            } else {
                try c.encode(similarity, forKey: .similarity)
                try c.encode(person_info, forKey: .person_info)
            }
        }
    }

    /// Liveness and demographics of a face, written only when they were asked for: `is_live` and
    /// `liveness_score` with anti-spoofing on, `age` and `gender` (null when the pack has no
    /// age/gender model) with include_demographics.
    struct FaceExtras: Encodable {
        var liveness: Liveness?
        var livenessChecked = false
        var demographics: FaceAttributes?
        var demographicsAsked = false
        /// Anti-spoofing is configured but the pack has no liveness models.
        var livenessUnavailable = false
        enum CodingKeys: String, CodingKey { case is_live, liveness_score, age, gender, liveness_available }

        init() {}

        init(_ face: AnalyzedFace, livenessChecked: Bool, livenessUnavailable: Bool, demographicsAsked: Bool) {
            liveness = face.liveness
            self.livenessChecked = livenessChecked
            self.livenessUnavailable = livenessUnavailable
            demographics = face.attributes
            self.demographicsAsked = demographicsAsked
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            if livenessChecked || livenessUnavailable {
                try c.encode(liveness?.isReal, forKey: .is_live)
                try c.encode(liveness.map { ($0.score * 10000).rounded() / 10000 }, forKey: .liveness_score)
                try c.encode(!livenessUnavailable, forKey: .liveness_available)
            }
            if demographicsAsked {
                try c.encode(demographics?.age, forKey: .age)
                try c.encode(demographics?.gender.rawValue, forKey: .gender)
            }
        }
    }

    struct QueryDTO: ResponseEncodable {
        var similarity: Double?
        var person_info: PersonInfo?
        var message: String
        var processing_time: Double
        var threshold: Double
        /// Why this threshold (an addition: the original's clients ignore it).
        var threshold_applied: ThresholdDTO
        var recognizer: String
        var faces: [FaceResultDTO]
        enum CodingKeys: String, CodingKey { case similarity, person_info, message, processing_time, threshold, threshold_applied, recognizer, faces }

        func encode(to encoder: any Encoder) throws {
            if let top = faces.first { try top.extras.encode(to: encoder) }
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(similarity, forKey: .similarity)
            try c.encode(person_info, forKey: .person_info)
            try c.encode(message, forKey: .message)
            try c.encode(processing_time, forKey: .processing_time)
            try c.encode(threshold, forKey: .threshold)
            try c.encode(threshold_applied, forKey: .threshold_applied)
            try c.encode(recognizer, forKey: .recognizer)
            try c.encode(faces, forKey: .faces)
        }
    }

    struct Top5DTO: ResponseEncodable {
        var results: [MatchDTO]
        var processing_time: Double
        var threshold: Double
        var faces: [FaceResultDTO]
    }

    /// One file: the original's answer. Several (`file` repeated, or `files`): one answer per
    /// file, in order, each with its filename, a failed file answering its error in its place
    /// (the original's batch processing).
    enum FaceQueryAnswer: ResponseEncodable {
        case one(QueryDTO)
        case many(BatchDTO)

        func encode(to encoder: any Encoder) throws {
            switch self {
            case let .one(answer): try answer.encode(to: encoder)
            case let .many(batch): try batch.encode(to: encoder)
            }
        }
    }

    struct BatchDTO: Encodable {
        var results: [BatchItem]
        var processing_time: Double
    }

    struct BatchItem: Encodable {
        var filename: String?
        var answer: QueryDTO?
        var error: PeopleController.ErrorBody?
        enum CodingKeys: String, CodingKey { case filename, error }

        func encode(to encoder: any Encoder) throws {
            try answer?.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(filename, forKey: .filename)
            try c.encodeIfPresent(error, forKey: .error)
        }
    }

    @Sendable func faceQuery(_ request: Request, context: Context) async throws -> FaceQueryAnswer {
        let started = ContinuousClock.now
        let form = try await MultipartForm.read(request, limit: maxUploadBytes)
        // `threshold` keeps the original's meaning, the pack's raw cosine; without it the
        // server's calibrated policy decides.
        let threshold = try form.float("threshold").map(ThresholdRequest.cosine) ?? .policy
        let demographics = form.bool("include_demographics")
        let files = form.all("file") + form.all("files")
        guard files.count > 1 else {
            return .one(try await query(try form.image(limit: maxUploadBytes), threshold: threshold, demographics: demographics, started: started))
        }
        var results: [BatchItem] = []
        for file in files {
            do {
                guard !file.data.isEmpty else { throw APIError.badRequest("image_empty", "the uploaded file is empty") }
                let answer = try await query(file.data, threshold: threshold, demographics: demographics, started: .now)
                results.append(BatchItem(filename: file.filename, answer: answer))
            } catch {
                let e = APIError.from(error)
                // The server's own trouble (busy, shutting down) fails the whole request.
                guard e.status.code < 500 else { throw e }
                results.append(BatchItem(filename: file.filename, error: .init(code: e.code, message: e.message)))
            }
        }
        return .many(BatchDTO(results: results, processing_time: seconds(since: started)))
    }

    private func query(_ image: [UInt8], threshold: ThresholdRequest, demographics: Bool, started: ContinuousClock.Instant) async throws -> QueryDTO {
        let result = try await recognition.identify(image, k: 1, threshold: threshold, attributes: demographics)
        let matches = result.matches
        guard !matches.isEmpty else { throw APIError.noFace }
        if let refusal = matches[0].refusal { throw APIError(.unprocessableContent, "face_quality", "\(refusal.reason): \(refusal.message)") }
        let checked = recognition.enforcesLiveness
        let faces = matches.map { m in
            // An unknown face keeps its nearest similarity, as the original answered it.
            FaceResultDTO(box: FaceBoxDTO(m.face.detection).box, similarity: (m.candidates.first ?? m.nearest).map { rounded($0.similarity) },
                          person_info: m.candidates.first.map { PersonInfo($0.person) }, matches: nil,
                          extras: FaceExtras(m.face, livenessChecked: checked,
                                             livenessUnavailable: recognition.settings.antiSpoofing && !checked,
                                             demographicsAsked: demographics))
        }
        let top = faces[0]
        let spoof = checked && matches[0].face.liveness?.isReal == false
        return QueryDTO(similarity: top.similarity, person_info: top.person_info,
                        message: spoof ? "spoof" : top.person_info == nil ? "unknown" : "match",
                        processing_time: seconds(since: started), threshold: rounded(result.threshold.cosine),
                        threshold_applied: ThresholdDTO(result.threshold), recognizer: recognition.recognizer.id.rawValue, faces: faces)
    }

    @Sendable func faceQueryTop5(_ request: Request, context: Context) async throws -> Top5DTO {
        let started = ContinuousClock.now
        let form = try await MultipartForm.read(request, limit: maxUploadBytes)
        // The original listed the five nearest whatever their similarity.
        let threshold = try form.float("threshold") ?? -1
        let matches = try await recognition.identify(try form.image(limit: maxUploadBytes), k: 5, threshold: .cosine(threshold)).matches
        guard !matches.isEmpty else { throw APIError.noFace }
        let faces = matches.map { m in
            FaceResultDTO(box: FaceBoxDTO(m.face.detection).box, similarity: nil, person_info: nil,
                          matches: m.candidates.map { MatchDTO(similarity: rounded($0.similarity), person_info: PersonInfo($0.person), image_id: $0.faceID) })
        }
        return Top5DTO(results: faces[0].matches ?? [], processing_time: seconds(since: started), threshold: rounded(threshold), faces: faces)
    }

    @Sendable func addEmbedding(_ request: Request, context: Context) async throws -> EditedResponse<MessageDTO> {
        let form = try await MultipartForm.read(request, limit: maxUploadBytes)
        guard let classID = form.string("class_id"), !classID.isEmpty else {
            throw APIError.badRequest("class_id_required", "the field 'class_id' is required")
        }
        // The original created the class on first use when a name came with it.
        let (record, _, _) = try await gallery.enroll(try form.image(limit: maxUploadBytes), classID: classID,
                                                   createAs: form.string("name"), info: form.string("info") ?? "")
        return EditedResponse(status: .created, response: MessageDTO(message: "embedding added", class_id: record.classID, image_id: String(record.id)))
    }

    @Sendable func editEmbedding(_ request: Request, context: Context) async throws -> MessageDTO {
        let form = try await MultipartForm.read(request, limit: maxUploadBytes)
        guard let id = form.string("image_id").flatMap(Int64.init) else {
            throw APIError.badRequest("image_id_required", "the field 'image_id' must be an integer")
        }
        // A new image replaces the embedding; a new class_id moves the face; either or both.
        let newClass = form.string("class_id").flatMap { $0.isEmpty ? nil : $0 }
        guard form["file"] != nil || newClass != nil else {
            throw APIError.badRequest("file_required", "send a new image as 'file', a new 'class_id', or both")
        }
        if let newClass { _ = try await gallery.person(newClass) }
        var record = form["file"] == nil ? nil : try await gallery.replaceFace(id, image: try form.image(limit: maxUploadBytes))
        if let newClass { record = try await gallery.moveFace(id, toClassID: newClass) }
        guard let record else { throw APIError.notFound("no image \(id)") }
        return MessageDTO(message: newClass.map { "embedding moved to \($0)" } ?? "embedding updated",
                          class_id: record.classID, image_id: String(record.id))
    }

    @Sendable func deleteImage(_ request: Request, context: Context) async throws -> MessageDTO {
        guard let id = try await imageID(request, context: context) else {
            throw APIError.badRequest("image_id_required", "give image_id as a query parameter, form field or JSON")
        }
        try await gallery.deleteFace(id)
        return MessageDTO(message: "image deleted", image_id: String(id))
    }

    /// The original answered every person at once; here a page of at most 1,000 (the whole
    /// list for galleries up to that size), with offset and limit to read on.
    @Sendable func listPeople(_ request: Request, context: Context) async throws -> EditedResponse<[PersonInfo]> {
        let q = request.uri.queryParameters
        let offset = try intParameter(q.get("offset"), "offset", default: 0, range: 0...Int(Int32.max))
        let limit = try intParameter(q.get("limit"), "limit", default: 1000, range: 1...1000)
        let page = try await gallery.people(offset: offset, limit: limit, search: nil)
        return EditedResponse(headers: [Self.totalCount: String(page.total)], response: page.people.map(PersonInfo.init))
    }

    struct ImageIDs: ResponseCodable { var class_id: String; var image_ids: [Int64] }

    @Sendable func imageIDs(_ request: Request, context: Context) async throws -> ImageIDs {
        let classID = try classIDParameter(context)
        return ImageIDs(class_id: classID, image_ids: try await gallery.faces(of: classID).map(\.id))
    }

    @Sendable func deleteClass(_ request: Request, context: Context) async throws -> MessageDTO {
        let classID = try classIDParameter(context)
        let removed = try await gallery.deletePerson(classID)
        return MessageDTO(message: "class deleted", class_id: classID, deleted_images: removed.count)
    }

    @Sendable func indexStatus(_ request: Request, context: Context) async throws -> IndexStatusDTO {
        IndexStatusDTO(await gallery.indexStatus)
    }

    @Sendable func resetIndex(_ request: Request, context: Context) async throws -> IndexStatusDTO {
        try await gallery.rebuildIndex()
        return IndexStatusDTO(await gallery.indexStatus)
    }

    static let totalCount = HTTPFields.Element.Name("X-Total-Count")!

    /// image_id from the query string, a form, or a JSON body (the original accepted each).
    func imageID(_ request: Request, context: Context) async throws -> Int64? {
        if let q = request.uri.queryParameters.get("image_id") { return Int64(q) }
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if type.hasPrefix("multipart/form-data") {
            return try await MultipartForm.read(request, limit: 1 << 16).string("image_id").flatMap(Int64.init)
        }
        struct Body: Decodable { var image_id: Int64 }
        if type.hasPrefix("application/json") || type.hasPrefix("application/x-www-form-urlencoded") {
            return try await request.decode(as: Body.self, context: context).image_id
        }
        return nil
    }
}
