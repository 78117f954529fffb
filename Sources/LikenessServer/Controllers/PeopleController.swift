import Foundation
import Hummingbird
import LikenessCore
import LikenessUseCases

/// `/v1/people` and `/v1/faces`: people, and the faces enrolled for them.
struct PeopleController: Sendable {
    typealias Context = LikenessRequestContext
    let gallery: GalleryService
    let maxUploadBytes: Int

    func addRoutes(to v1: RouterGroup<Context>) {
        v1.group().add(middleware: RequireRole.viewer)
            .get("people", use: list)
            .get("people/:class_id", use: get)
            .get("people/:class_id/faces", use: faces)
            .get("faces/:id", use: face)
            .get("faces/:id/crop", use: crop)
            .get("faces/:id/original", use: original)
        v1.group().add(middleware: RequireRole.operator)
            .post("people", use: create)
            .patch("people/:class_id", use: update)
            .delete("people/:class_id", use: delete)
            .post("people/:class_id/faces", use: enroll)
            .delete("faces/:id", use: deleteFace)
    }

    struct NewPerson: Decodable { var class_id: String; var name: String; var info: String? }
    struct PersonPatch: Decodable { var name: String?; var info: String? }
    struct Page<T: Codable & Sendable>: ResponseCodable, Sendable { var items: [T]; var total: Int; var offset: Int; var limit: Int }
    struct Deleted: ResponseCodable { var deleted_faces: Int }

    struct EnrollResult: Codable, Sendable {
        var filename: String?
        var status: String
        var face: FaceRecordDTO?
        var error: ErrorBody?
        /// Faces found in the image; the largest was enrolled.
        var faces_in_image: Int?
    }

    struct ErrorBody: Codable, Sendable { var code: String; var message: String }
    struct EnrollResults: ResponseCodable { var results: [EnrollResult] }

    @Sendable func list(_ request: Request, context: Context) async throws -> Page<PersonDTO> {
        let q = request.uri.queryParameters
        let offset = try intParameter(q.get("offset"), "offset", default: 0, range: 0...Int(Int32.max))
        let limit = try intParameter(q.get("limit"), "limit", default: 50, range: 1...1000)
        let page = try await gallery.people(offset: offset, limit: limit, search: q.get("search"))
        return Page(items: page.people.map(PersonDTO.init), total: page.total, offset: offset, limit: limit)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> EditedResponse<PersonDTO> {
        let body = try await request.decode(as: NewPerson.self, context: context)
        let person = try await gallery.createPerson(classID: body.class_id, name: body.name, info: body.info ?? "")
        return EditedResponse(status: .created, response: PersonDTO(person))
    }

    @Sendable func get(_ request: Request, context: Context) async throws -> PersonDTO {
        PersonDTO(try await gallery.person(try classIDParameter(context)))
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> PersonDTO {
        let body = try await request.decode(as: PersonPatch.self, context: context)
        return PersonDTO(try await gallery.updatePerson(try classIDParameter(context), name: body.name, info: body.info))
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Deleted {
        Deleted(deleted_faces: try await gallery.deletePerson(try classIDParameter(context)).count)
    }

    @Sendable func faces(_ request: Request, context: Context) async throws -> [FaceRecordDTO] {
        try await gallery.facesWithWarnings(of: try classIDParameter(context)).map { FaceRecordDTO($0, warning: $1) }
    }

    @Sendable func face(_ request: Request, context: Context) async throws -> FaceRecordDTO {
        FaceRecordDTO(try await gallery.face(try faceID(context)))
    }

    /// The face as enrolled, with room around it, as a JPEG. Private: no caching by proxies.
    @Sendable func crop(_ request: Request, context: Context) async throws -> Response {
        let bytes = try await gallery.faceCrop(try faceID(context))
        return Response(status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, max-age=3600"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The uploaded image, with its type read from its first bytes.
    @Sendable func original(_ request: Request, context: Context) async throws -> Response {
        let bytes = try await gallery.faceOriginal(try faceID(context))
        let type = ImageFormat.sniff(Array(bytes.prefix(12)))?.mediaType ?? "application/octet-stream"
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "private, max-age=3600", .xContentTypeOptions: "nosniff"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    @Sendable func deleteFace(_ request: Request, context: Context) async throws -> HTTPResponse.Status {
        try await gallery.deleteFace(try faceID(context))
        return .noContent
    }

    /// One or more images (field `file`, repeatable): a result per image; 422 when none enrolled.
    @Sendable func enroll(_ request: Request, context: Context) async throws -> EditedResponse<EnrollResults> {
        let classID = try classIDParameter(context)
        _ = try await gallery.person(classID)
        let form = try await MultipartForm.read(request, limit: maxUploadBytes)
        let files = (form.all("file") + form.all("files")).map { (filename: $0.filename, bytes: $0.data) }
        let outcomes = try await gallery.enroll(files, classID: classID)
        let results = outcomes.map { outcome -> EnrollResult in
            switch outcome.result {
            case let .success(record):
                return EnrollResult(filename: outcome.filename, status: "enrolled", face: FaceRecordDTO(record, warning: outcome.warning), error: nil,
                                    faces_in_image: outcome.facesInImage)
            case let .failure(reason):
                let e = APIError.from(reason)
                return EnrollResult(filename: outcome.filename, status: "rejected", face: nil, error: ErrorBody(code: e.code, message: e.message))
            }
        }
        guard results.contains(where: { $0.status == "enrolled" }) else {
            // Nothing enrolled: an error like any other, with each image's reason.
            let reasons = results.enumerated().map { "image \($0.offset + 1): \($0.element.error?.message ?? "rejected")" }
            let code = results.count == 1 ? results[0].error?.code ?? "not_enrolled" : "not_enrolled"
            throw APIError(.unprocessableContent, code, reasons.joined(separator: "; "))
        }
        return EditedResponse(status: .created, response: EnrollResults(results: results))
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

func faceID(_ context: LikenessRequestContext) throws -> FaceID {
    guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError.badRequest("invalid_id", "the face id must be an integer") }
    return id
}

func intParameter(_ text: String?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
    guard let text, !text.isEmpty else { return value }
    guard let n = Int(text), range.contains(n) else {
        throw APIError.badRequest("invalid_parameter", "'\(name)' must be an integer in \(range.lowerBound)...\(range.upperBound)")
    }
    return n
}
