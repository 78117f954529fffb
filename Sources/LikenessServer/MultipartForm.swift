import Foundation
import Hummingbird
import MultipartKit

/// A parsed `multipart/form-data` body: its fields by name. The body is read with a limit
/// first, so an oversized upload is refused before it is held.
struct MultipartForm: Sendable {
    struct Part: Sendable {
        var filename: String?
        var contentType: String?
        var data: [UInt8]
        var text: String? { String(validating: data, as: UTF8.self) }
    }

    /// In the order sent; a name may repeat (several files under one field).
    var parts: [(name: String, part: Part)]

    subscript(name: String) -> Part? { parts.first { $0.name == name }?.part }

    func all(_ name: String) -> [Part] { parts.filter { $0.name == name }.map(\.part) }

    static func read(_ request: Request, limit: Int) async throws -> MultipartForm {
        guard let contentType = request.headers[.contentType], contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw APIError(.unsupportedMediaType, "multipart_required", "send the image as multipart/form-data with the field 'file'")
        }
        guard let boundary = boundary(contentType) else {
            throw APIError.badRequest("malformed_multipart", "the multipart Content-Type has no boundary")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit + 64 * 1024)
        } catch {
            throw APIError(.contentTooLarge, "upload_too_large", "the upload exceeds \(limit) bytes")
        }
        return try parse(body, boundary: boundary)
    }

    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    static func parse(_ body: ByteBuffer, boundary: String) throws -> MultipartForm {
        final class State {
            var parts: [(name: String, part: Part)] = []
            var headers: [(String, String)] = []
            var data: [UInt8] = []
            var completed = 0
        }
        let state = State()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in state.headers.append((name.lowercased(), value)) }
        parser.onBody = { buffer in state.data += buffer.readBytes(length: buffer.readableBytes) ?? [] }
        parser.onPartComplete = {
            let disposition = state.headers.first { $0.0 == "content-disposition" }?.1 ?? ""
            if let name = parameter("name", in: disposition) {
                state.parts.append((name, Part(filename: parameter("filename", in: disposition),
                                               contentType: state.headers.first { $0.0 == "content-type" }?.1, data: state.data)))
            }
            state.headers = []
            state.data = []
            state.completed += 1
        }
        do {
            try parser.execute(body)
        } catch {
            throw APIError.badRequest("malformed_multipart", "the multipart body could not be parsed")
        }
        guard state.completed > 0 else { throw APIError.badRequest("malformed_multipart", "the multipart body has no complete part") }
        return MultipartForm(parts: state.parts)
    }

    /// A parameter of a Content-Disposition header, such as name="file".
    static func parameter(_ key: String, in header: String) -> String? {
        for item in header.split(separator: ";") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == key {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
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

    func string(_ name: String) -> String? { self[name]?.text?.trimmingCharacters(in: .whitespacesAndNewlines) }

    func float(_ name: String) throws -> Float? {
        guard let text = string(name), !text.isEmpty else { return nil }
        guard let value = Float(text), value.isFinite else { throw APIError.badRequest("invalid_parameter", "'\(name)' must be a number") }
        return value
    }

    func bool(_ name: String) -> Bool {
        guard let text = string(name)?.lowercased() else { return false }
        return ["1", "true", "yes", "on"].contains(text)
    }

    /// A yes/no field with a default when it is absent or empty.
    func bool(_ name: String, default value: Bool) -> Bool {
        guard let text = string(name), !text.isEmpty else { return value }
        return bool(name)
    }
}
