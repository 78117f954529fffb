import Foundation
import Hummingbird
import LikenessCore

/// The original FastAPI system's endpoints, with its paths and shapes, so its clients keep
/// working. A person is a "class" (`class_id`, `name`, `info`); a stored face is an "image".
struct LegacyRoutes: Sendable {
    let ops: FaceOperations
    let configuration: ServerConfiguration

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

    struct QueryDTO: Encodable {
        var similarity: Double?
        var person_info: PersonInfo?
        var message: String
        var processing_time: Double
        var threshold: Double
        var recognizer: String
        var faces: [FaceResultDTO]
        enum CodingKeys: String, CodingKey { case similarity, person_info, message, processing_time, threshold, recognizer, faces }

        func encode(to encoder: any Encoder) throws {
            if let top = faces.first { try top.extras.encode(to: encoder) }
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(similarity, forKey: .similarity)
            try c.encode(person_info, forKey: .person_info)
            try c.encode(message, forKey: .message)
            try c.encode(processing_time, forKey: .processing_time)
            try c.encode(threshold, forKey: .threshold)
            try c.encode(recognizer, forKey: .recognizer)
            try c.encode(faces, forKey: .faces)
        }
    }

    struct Top5DTO: Encodable {
        var results: [MatchDTO]
        var processing_time: Double
        var threshold: Double
        var faces: [FaceResultDTO]
    }

    func register(_ api: RouterGroup<LikenessRequestContext>) {
        api.post("face_query") { request, context in
            _ = try context.requireViewer()
            let started = ContinuousClock.now
            let form = try await MultipartForm.read(request, limit: configuration.maxUploadBytes)
            let threshold = try form.float("threshold") ?? ops.recognizer.defaultThreshold
            let demographics = form.bool("include_demographics")
            let (_, matches) = try await ops.identify(try form.image(limit: configuration.maxUploadBytes), k: 1, threshold: threshold,
                                                      attributes: demographics)
            guard !matches.isEmpty else { throw APIError.noFace }
            let checked = ops.enforcesLiveness
            let faces = matches.map { m in
                FaceResultDTO(box: FaceBoxDTO(m.face.detection).box, similarity: m.candidates.first.map { rounded($0.similarity) },
                              person_info: m.candidates.first.map { PersonInfo($0.person) }, matches: nil,
                              extras: FaceExtras(m.face, livenessChecked: checked,
                                                 livenessUnavailable: configuration.antiSpoofing && !checked,
                                                 demographicsAsked: demographics))
            }
            let top = faces[0]
            let spoof = checked && matches[0].face.liveness?.isReal == false
            return try json(QueryDTO(similarity: top.similarity, person_info: top.person_info,
                                     message: spoof ? "spoof" : top.person_info == nil ? "unknown" : "match",
                                     processing_time: seconds(since: started), threshold: rounded(threshold),
                                     recognizer: ops.recognizer.id.rawValue, faces: faces))
        }
        api.post("face_query_top5") { request, context in
            _ = try context.requireViewer()
            let started = ContinuousClock.now
            let form = try await MultipartForm.read(request, limit: configuration.maxUploadBytes)
            let threshold = try form.float("threshold") ?? -1
            let (_, matches) = try await ops.identify(try form.image(limit: configuration.maxUploadBytes), k: 5, threshold: threshold)
            guard !matches.isEmpty else { throw APIError.noFace }
            let faces = matches.map { m in
                FaceResultDTO(box: FaceBoxDTO(m.face.detection).box, similarity: nil, person_info: nil,
                              matches: m.candidates.map { MatchDTO(similarity: rounded($0.similarity), person_info: PersonInfo($0.person), image_id: $0.faceID) })
            }
            return try json(Top5DTO(results: faces[0].matches ?? [], processing_time: seconds(since: started),
                                    threshold: rounded(threshold), faces: faces))
        }
        api.post("add_embedding") { request, context in
            _ = try context.requireOperator()
            let form = try await MultipartForm.read(request, limit: configuration.maxUploadBytes)
            guard let classID = form.string("class_id"), !classID.isEmpty else {
                throw APIError.badRequest("class_id_required", "the field 'class_id' is required")
            }
            let image = try form.image(limit: configuration.maxUploadBytes)
            // The original created the class on first use when a name came with it.
            if try await ops.services.gallery.person(classID: classID) == nil, let name = form.string("name"), !name.isEmpty {
                _ = try? await ops.services.gallery.createPerson(classID: classID, name: name, info: form.string("info") ?? "")
            }
            let (record, _) = try await ops.enroll(image, classID: classID)
            return try json(["message": "embedding added", "class_id": record.classID, "image_id": String(record.id)], status: .created)
        }
        api.put("edit_embedding") { request, context in
            _ = try context.requireOperator()
            let form = try await MultipartForm.read(request, limit: configuration.maxUploadBytes)
            guard let id = form.string("image_id").flatMap(Int64.init) else {
                throw APIError.badRequest("image_id_required", "the field 'image_id' must be an integer")
            }
            let record = try await ops.replace(faceID: id, image: try form.image(limit: configuration.maxUploadBytes))
            return try json(["message": "embedding updated", "class_id": record.classID, "image_id": String(record.id)])
        }
        api.delete("delete_image") { request, context in
            _ = try context.requireOperator()
            guard let id = try await imageID(request) else {
                throw APIError.badRequest("image_id_required", "give image_id as a query parameter, form field or JSON")
            }
            try await ops.deleteFace(id)
            return try json(["message": "image deleted", "image_id": String(id)])
        }
        // The original answered every person at once; here a page of at most 1,000 (the whole
        // list for galleries up to that size), with offset and limit to read on.
        api.get("list_nguoi") { request, context in
            _ = try context.requireViewer()
            let q = request.uri.queryParameters
            let offset = try intParameter(q.get("offset"), "offset", default: 0, range: 0...Int(Int32.max))
            let limit = try intParameter(q.get("limit"), "limit", default: 1000, range: 1...1000)
            let page = try await ops.services.gallery.listPeople(offset: offset, limit: limit, search: nil)
            var response = try json(page.people.map(PersonInfo.init))
            response.headers[totalCountHeader] = String(page.total)
            return response
        }
        api.get("get_image_ids_by_class/:class_id") { _, context in
            _ = try context.requireViewer()
            let classID = try classIDParameter(context)
            let faces = try await ops.services.gallery.faces(classID: classID)
            struct IDs: Encodable { var class_id: String; var image_ids: [Int64] }
            return try json(IDs(class_id: classID, image_ids: faces.map(\.id)))
        }
        api.delete("delete_class/:class_id") { _, context in
            _ = try context.requireOperator()
            let classID = try classIDParameter(context)
            let removed = try await ops.deletePerson(classID)
            struct Deleted: Encodable { var message: String; var class_id: String; var deleted_images: Int }
            return try json(Deleted(message: "class deleted", class_id: classID, deleted_images: removed.count))
        }
        api.get("index_status") { _, context in
            _ = try context.requireViewer()
            return try json(IndexStatusDTO(ops))
        }
        api.get("vector_info") { _, context in
            _ = try context.requireViewer()
            return try json(IndexStatusDTO(ops))
        }
        api.post("reset_index") { _, context in
            _ = try context.requireAdmin()
            try await ops.rebuildIndex()
            return try json(IndexStatusDTO(ops))
        }
    }

    private var totalCountHeader: HTTPFields.Element.Name { .init("X-Total-Count")! }

    /// image_id from the query string, a form, or a JSON body (the original accepted each).
    func imageID(_ request: Request) async throws -> Int64? {
        if let q = request.uri.queryParameters.get("image_id") { return Int64(q) }
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if type.hasPrefix("multipart/form-data") {
            return try await MultipartForm.read(request, limit: 1 << 16).string("image_id").flatMap(Int64.init)
        }
        if type.hasPrefix("application/json") {
            struct Body: Decodable { var image_id: Int64 }
            return try await decodeJSON(Body.self, from: request).image_id
        }
        if type.hasPrefix("application/x-www-form-urlencoded") {
            let body = try await request.body.collect(upTo: 1 << 16)
            return parseForm(String(decoding: body.readableBytesView, as: UTF8.self))["image_id"].flatMap(Int64.init)
        }
        return nil
    }
}
