import Foundation
import Hummingbird

/// A parsed `multipart/form-data` body: its fields by name. The body is streamed through
/// `MultipartParser` chunk by chunk with a byte limit, so an oversized upload is refused as soon
/// as it passes the limit and each part is held once.
struct MultipartForm: Sendable {
    typealias Part = MultipartParser.Part

    /// In the order sent; a name may repeat (several files under one field).
    var parts: [Part]

    subscript(name: String) -> Part? { parts.first { $0.name == name } }

    func all(_ name: String) -> [Part] { parts.filter { $0.name == name } }

    /// The request's fields: a multipart form, or a JSON object with images in base64; query
    /// parameters fill in the fields the body left out.
    static func read(_ request: Request, limit: Int, limits: MultipartParser.Limits = .init()) async throws -> MultipartForm {
        let contentType = request.headers[.contentType].map(HeaderText.parameters)
        switch contentType?.value.lowercased() {
        case "multipart/form-data":
            return try await readMultipart(request, boundary: contentType?.parameters["boundary"], limit: limit, limits: limits).adding(query: request)
        case "application/json":
            return try await readJSON(request, limit: limit).adding(query: request)
        default:
            throw APIError(.unsupportedMediaType, "multipart_required",
                           "send the image as multipart/form-data with the field 'file', or as base64 in a JSON object's 'file'")
        }
    }

    private static func readMultipart(_ request: Request, boundary: String?, limit: Int, limits: MultipartParser.Limits) async throws -> MultipartForm {
        guard let boundary else {
            throw APIError.badRequest("malformed_multipart", "the multipart Content-Type has no boundary")
        }
        var parser = try makeParser(boundary, limits)
        // Headers and delimiters are small next to the files; this slack keeps a body whose
        // files fit the limit from being refused for its framing.
        let cap = limit + 64 * 1024
        var received = 0
        do {
            for try await chunk in request.body {
                received += chunk.readableBytes
                guard received <= cap else { throw APIError(.contentTooLarge, "upload_too_large", "the upload exceeds \(limit) bytes") }
                try parser.feed(chunk.readableBytesView)
            }
            return MultipartForm(parts: try parser.finish())
        } catch let failure as MultipartParser.Failure {
            throw apiError(failure)
        }
    }

    /// Parses a whole body at once (tests and small bodies).
    static func parse(_ body: some Collection<UInt8>, boundary: String, limits: MultipartParser.Limits = .init()) throws -> MultipartForm {
        var parser = try makeParser(boundary, limits)
        do {
            try parser.feed(body)
            return MultipartForm(parts: try parser.finish())
        } catch let failure as MultipartParser.Failure {
            throw apiError(failure)
        }
    }

    private static func makeParser(_ boundary: String, _ limits: MultipartParser.Limits) throws -> MultipartParser {
        do {
            return try MultipartParser(boundary: boundary, limits: limits)
        } catch {
            throw APIError.badRequest("malformed_multipart", "the multipart boundary must be 1-70 characters of RFC 2046's set")
        }
    }

    private static func apiError(_ failure: MultipartParser.Failure) -> APIError {
        switch failure {
        case .invalidBoundary:
            return APIError.badRequest("malformed_multipart", "the multipart boundary must be 1-70 characters of RFC 2046's set")
        case let .malformed(reason):
            return APIError.badRequest("malformed_multipart", "the multipart body is malformed: \(reason)")
        case let .tooManyParts(n):
            return APIError.badRequest("too_many_parts", "the multipart body has more than \(n) parts")
        }
    }

    /// The uploaded image: the field `file`.
    func image(limit: Int) throws -> [UInt8] {
        guard let file = self["file"] else { throw APIError.badRequest("file_required", "the multipart field 'file' is missing") }
        guard !file.data.isEmpty else { throw APIError.badRequest("image_empty", "the uploaded file is empty") }
        guard file.data.count <= limit else {
            throw APIError(.contentTooLarge, "image_too_large", "the image is \(file.data.count) bytes; the limit is \(limit)")
        }
        return file.data
    }

    func string(_ name: String) -> String? {
        self[name].flatMap { String(validating: $0.data, as: UTF8.self) }?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func float(_ name: String) throws -> Float? { try double(name).map(Float.init) }

    func double(_ name: String) throws -> Double? {
        guard let text = string(name), !text.isEmpty else { return nil }
        guard let value = Double(text), value.isFinite, Float(value).isFinite else {
            throw APIError.badRequest("invalid_parameter", "'\(name)' must be a number")
        }
        return value
    }

    func bool(_ name: String) -> Bool { optionalBool(name) ?? false }

    /// A yes/no field, nil when it is absent or empty (the use case's default applies).
    func optionalBool(_ name: String) -> Bool? {
        guard let text = string(name)?.lowercased(), !text.isEmpty else { return nil }
        return ["1", "true", "yes", "on"].contains(text)
    }
}
