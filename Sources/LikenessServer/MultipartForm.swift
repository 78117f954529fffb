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
        guard headerNamesAreASCII(Array(body.readableBytesView), boundary: Array(boundary.utf8)) else {
            throw APIError.badRequest("malformed_multipart", "a multipart header name is not ASCII")
        }
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

    /// MultipartKit 4.7 looks header-name bytes up in a 128-entry table and traps on any byte
    /// above 127 (a crash that a fuzzer found), so header names are checked first. Only the names:
    /// header values may carry UTF-8 (filename="ảnh.jpg"), and part bodies anything.
    static func headerNamesAreASCII(_ body: [UInt8], boundary: [UInt8]) -> Bool {
        let delimiter = Array("--".utf8) + boundary
        var i = 0
        while let start = find(delimiter, in: body, from: i) {
            var p = start + delimiter.count
            // The closing delimiter ends the body; anything after it is ignored by the parser too.
            if p + 1 < body.count, body[p] == UInt8(ascii: "-"), body[p + 1] == UInt8(ascii: "-") { return true }
            // Skip the rest of the delimiter line, then read header lines up to the blank one.
            while p < body.count, body[p] != UInt8(ascii: "\n") { p += 1 }
            p += 1
            while p < body.count {
                var end = p
                while end < body.count, body[end] != UInt8(ascii: "\n") { end += 1 }
                let line = body[p..<end].last == UInt8(ascii: "\r") ? body[p..<(end - 1)] : body[p..<end]
                if line.isEmpty { break }
                let name = line.prefix { $0 != UInt8(ascii: ":") }
                if name.contains(where: { $0 >= 0x80 }) { return false }
                p = end + 1
            }
            i = p
        }
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var i = start
        while i <= haystack.count - needle.count {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
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
