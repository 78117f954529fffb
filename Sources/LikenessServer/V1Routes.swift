import Foundation
import Hummingbird
import LikenessCore

/// The versioned REST API: people, faces, identify, verify, detect, index.
struct V1Routes: Sendable {
    let ops: FaceOperations
    let configuration: ServerConfiguration

    struct NewPerson: Decodable { var class_id: String; var name: String; var info: String? }
    struct PersonPatch: Decodable { var name: String?; var info: String? }
    struct Page<T: Encodable>: Encodable { var items: [T]; var total: Int; var offset: Int; var limit: Int }

    struct EnrollResult: Encodable {
        var filename: String?
        var status: String
        var face: FaceRecordDTO?
        var error: ErrorBody?
    }

    struct ErrorBody: Encodable { var code: String; var message: String }

    struct MatchDTO: Encodable {
        var class_id: String
        var name: String
        var info: String
        var similarity: Double
        var image_id: Int64
    }

    /// A detected face's fields, then whether it was a spoof and its matches, in one object.
    struct IdentifiedFace: Encodable {
        var face: FaceBoxDTO
        /// True when anti-spoofing is on and the face failed it: it was not searched.
        var spoof: Bool?
        var matches: [MatchDTO]
        enum CodingKeys: String, CodingKey { case spoof, matches }

        func encode(to encoder: any Encoder) throws {
            try face.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(spoof, forKey: .spoof)
            try c.encode(matches, forKey: .matches)
        }
    }

    struct IdentifyDTO: Encodable {
        var faces: [IdentifiedFace]
        var liveness_available: Bool
        var attributes_available: Bool
        var threshold: Double
        var recognizer: String
        var processing_time: Double
        var timings_ms: [String: Double]
    }

    struct DetectDTO: Encodable {
        var width: Int
        var height: Int
        var faces: [FaceBoxDTO]
        var liveness_available: Bool
        var attributes_available: Bool
        var processing_time: Double
        var timings_ms: [String: Double]
    }

    struct VerifyDTO: Encodable {
        var similarity: Double
        var same_person: Bool
        var threshold: Double
        var recognizer: String
        var processing_time: Double
    }

    func register(_ v1: RouterGroup<LikenessRequestContext>) {
        v1.get("people") { request, context in
            _ = try context.requireViewer()
            let q = request.uri.queryParameters
            let offset = try intParameter(q.get("offset"), "offset", default: 0, range: 0...Int(Int32.max))
            let limit = try intParameter(q.get("limit"), "limit", default: 50, range: 1...1000)
            let page = try await ops.services.gallery.listPeople(offset: offset, limit: limit, search: q.get("search"))
            return try json(Page(items: page.people.map(PersonDTO.init), total: page.total, offset: offset, limit: limit))
        }
        v1.post("people") { request, context in
            _ = try context.requireOperator()
            let body = try await decodeJSON(NewPerson.self, from: request)
            guard !body.name.isEmpty else { throw APIError.badRequest("invalid", "name must not be empty") }
            do {
                let person = try await ops.services.gallery.createPerson(classID: body.class_id, name: body.name, info: body.info ?? "")
                return try json(PersonDTO(person), status: .created)
            } catch { throw APIError.from(error) }
        }
        v1.get("people/:class_id") { _, context in
            _ = try context.requireViewer()
            let classID = try classIDParameter(context)
            guard let person = try await ops.services.gallery.person(classID: classID) else { throw APIError.notFound("no person with class_id \(classID)") }
            return try json(PersonDTO(person))
        }
        v1.patch("people/:class_id") { request, context in
            _ = try context.requireOperator()
            let body = try await decodeJSON(PersonPatch.self, from: request)
            do {
                let person = try await ops.services.gallery.updatePerson(classID: try classIDParameter(context), name: body.name, info: body.info)
                return try json(PersonDTO(person))
            } catch { throw APIError.from(error) }
        }
        v1.delete("people/:class_id") { _, context in
            _ = try context.requireOperator()
            do {
                let removed = try await ops.deletePerson(try classIDParameter(context))
                return try json(["deleted_faces": removed.count])
            } catch { throw APIError.from(error) }
        }
        v1.get("people/:class_id/faces") { _, context in
            _ = try context.requireViewer()
            do {
                return try json(try await ops.services.gallery.faces(classID: try classIDParameter(context)).map(FaceRecordDTO.init))
            } catch { throw APIError.from(error) }
        }
        v1.post("people/:class_id/faces") { request, context in
            _ = try context.requireOperator()
            let classID = try classIDParameter(context)
            guard try await ops.services.gallery.person(classID: classID) != nil else { throw APIError.notFound("no person with class_id \(classID)") }
            let form = try await MultipartForm.read(request, limit: configuration.maxUploadBytes)
            let files = form.all("file") + form.all("files")
            guard !files.isEmpty else { throw APIError.badRequest("file_required", "send one or more images in the field 'file'") }
            guard files.count <= configuration.maxFilesPerEnrollment else {
                throw APIError.badRequest("too_many_files", "send at most \(configuration.maxFilesPerEnrollment) images per request")
            }
            var results: [EnrollResult] = []
            for file in files {
                do {
                    guard !file.data.isEmpty else { throw APIError.badRequest("image_empty", "the uploaded file is empty") }
                    let (record, _) = try await ops.enroll(file.data, classID: classID)
                    results.append(EnrollResult(filename: file.filename, status: "enrolled", face: FaceRecordDTO(record), error: nil))
                } catch {
                    let e = APIError.from(error)
                    // The server's own trouble fails the request; a bad image fails only its entry.
                    if e.status.code >= 500 { throw e }
                    results.append(EnrollResult(filename: file.filename, status: "rejected", face: nil, error: ErrorBody(code: e.code, message: e.message)))
                }
            }
            guard results.contains(where: { $0.status == "enrolled" }) else {
                // Nothing enrolled: an error like any other, with each image's reason.
                let reasons = results.enumerated().map { "image \($0.offset + 1): \($0.element.error?.message ?? "rejected")" }
                let code = results.count == 1 ? results[0].error?.code ?? "not_enrolled" : "not_enrolled"
                throw APIError(.unprocessableContent, code, reasons.joined(separator: "; "))
            }
            return try json(["results": results], status: .created)
        }
        v1.get("faces/:id") { _, context in
            _ = try context.requireViewer()
            let id = try faceID(context)
            guard let face = try await ops.services.gallery.face(id: id) else { throw APIError.notFound("no face \(id)") }
            return try json(FaceRecordDTO(face))
        }
        v1.delete("faces/:id") { _, context in
            _ = try context.requireOperator()
            do { try await ops.deleteFace(try faceID(context)) } catch { throw APIError.from(error) }
            return Response(status: .noContent)
        }
        v1.post("identify") { request, context in
            _ = try context.requireViewer()
            let started = ContinuousClock.now
            let form = try await MultipartForm.read(request, limit: configuration.maxUploadBytes)
            let threshold = try form.float("threshold") ?? ops.recognizer.defaultThreshold
            let k = try intParameter(form.string("k"), "k", default: 5, range: 1...max(1, configuration.searchK))
            let (analysis, matches) = try await ops.identify(try form.image(limit: configuration.maxUploadBytes), k: k, threshold: threshold,
                                                             liveness: form.bool("liveness"), attributes: form.bool("attributes"))
            let faces = matches.map { m in
                let spoof = ops.enforcesLiveness ? m.face.liveness?.isReal == false : nil
                return IdentifiedFace(face: FaceBoxDTO(m.face), spoof: spoof, matches: m.candidates.map {
                    MatchDTO(class_id: $0.person.classID, name: $0.person.name, info: $0.person.info, similarity: rounded($0.similarity), image_id: $0.faceID)
                })
            }
            let capabilities = ops.services.analyzer.capabilities
            return try json(IdentifyDTO(faces: faces, liveness_available: capabilities.liveness,
                                        attributes_available: capabilities.attributes, threshold: rounded(threshold), recognizer: ops.recognizer.id.rawValue,
                                        processing_time: seconds(since: started), timings_ms: timings(analysis)))
        }
        v1.post("detect") { request, context in
            _ = try context.requireViewer()
            let started = ContinuousClock.now
            let form = try await MultipartForm.read(request, limit: configuration.maxUploadBytes)
            let analysis = try await ops.analyze(try form.image(limit: configuration.maxUploadBytes), embed: false,
                                                 liveness: form.bool("liveness", default: ops.enforcesLiveness),
                                                 attributes: form.bool("attributes"))
            let capabilities = ops.services.analyzer.capabilities
            return try json(DetectDTO(width: analysis.width, height: analysis.height, faces: analysis.faces.map { FaceBoxDTO($0) },
                                      liveness_available: capabilities.liveness, attributes_available: capabilities.attributes,
                                      processing_time: seconds(since: started), timings_ms: timings(analysis)))
        }
        v1.post("verify") { request, context in
            _ = try context.requireViewer()
            let started = ContinuousClock.now
            let form = try await MultipartForm.read(request, limit: 2 * configuration.maxUploadBytes)
            let threshold = try form.float("threshold") ?? ops.recognizer.defaultThreshold
            let (_, _, first) = try await ops.largestFace(try form.image(limit: configuration.maxUploadBytes))
            var best: Float = -1
            if let second = form["file2"] {
                guard !second.data.isEmpty else { throw APIError.badRequest("image_empty", "file2 is empty") }
                let (_, _, other) = try await ops.largestFace(second.data)
                best = first.similarity(to: other) ?? -1
            } else if let classID = form.string("class_id"), !classID.isEmpty {
                let faces = try await ops.services.gallery.faces(classID: classID)
                for face in faces {
                    if let e = try await ops.services.gallery.embedding(faceID: face.id), let s = first.similarity(to: e) { best = max(best, s) }
                }
                guard best > -1 else { throw APIError(.unprocessableContent, "no_enrolled_face", "\(classID) has no face enrolled with \(ops.recognizer.id)") }
            } else {
                throw APIError.badRequest("second_required", "send a second image as 'file2', or a 'class_id' to verify against")
            }
            return try json(VerifyDTO(similarity: rounded(best), same_person: best >= threshold, threshold: rounded(threshold),
                                      recognizer: ops.recognizer.id.rawValue, processing_time: seconds(since: started)))
        }
        v1.get("index") { _, context in
            _ = try context.requireViewer()
            return try json(IndexStatusDTO(ops))
        }
        v1.post("index/rebuild") { _, context in
            _ = try context.requireAdmin()
            try await ops.rebuildIndex()
            return try json(IndexStatusDTO(ops))
        }
    }

    func faceID(_ context: LikenessRequestContext) throws -> FaceID {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError.badRequest("invalid_id", "the face id must be an integer") }
        return id
    }
}

/// The class_id of a path, percent-decoded: ids may hold spaces, any script, or '/' (sent as %2F).
func classIDParameter(_ context: LikenessRequestContext) throws -> String {
    let raw = try context.parameters.require("class_id")
    guard let decoded = raw.removingPercentEncoding, !decoded.isEmpty else {
        throw APIError.badRequest("invalid_class_id", "the class_id in the path is not valid percent-encoding")
    }
    return decoded
}

func intParameter(_ text: String?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
    guard let text, !text.isEmpty else { return value }
    guard let n = Int(text), range.contains(n) else {
        throw APIError.badRequest("invalid_parameter", "'\(name)' must be an integer in \(range.lowerBound)...\(range.upperBound)")
    }
    return n
}

func timings(_ analysis: ImageAnalysis) -> [String: Double] {
    Dictionary(analysis.timings.stages.map { ($0.name, ($0.milliseconds * 100).rounded() / 100) }) { a, _ in a }
}
