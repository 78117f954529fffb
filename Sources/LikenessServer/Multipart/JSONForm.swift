import Foundation
import Hummingbird

/// The same fields as a multipart form, from a JSON object: images as base64 or `data:` URLs
/// under `file`, `file2` or `files` (a string or an array of strings), every other field as
/// its text. One request shape for browser apps that hold images as strings, with the same
/// size limits as an upload.
extension MultipartForm {
    static let imageFields: Set<String> = ["file", "file2", "files"]

    /// A JSON value as a form field's text: what a client would have typed into the field.
    enum FieldValue: Decodable {
        case text(String)
        case number(Double)
        case flag(Bool)
        case list([FieldValue])
        case absent

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .absent } else if let b = try? c.decode(Bool.self) { self = .flag(b) } else if let n = try? c.decode(Double.self) {
                self = .number(n)
            } else if let s = try? c.decode(String.self) { self = .text(s) } else if let a = try? c.decode([FieldValue].self) {
                self = .list(a)
            } else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "objects are not form fields")
            }
        }

        var text: String? {
            switch self {
            case let .text(s): s
            // 5, not 5.0: integer fields (k, limit) parse it.
            case let .number(n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
            case let .flag(b): b ? "true" : "false"
            case .list, .absent: nil
            }
        }
    }

    static func readJSON(_ request: Request, limit: Int) async throws -> MultipartForm {
        // Base64 takes 4 bytes for 3; the rest is room for the other fields.
        let cap = limit / 3 * 4 + 64 * 1024
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: cap)
        } catch {
            throw APIError(.contentTooLarge, "upload_too_large", "the JSON body exceeds \(cap) bytes (images of \(limit) bytes in base64)")
        }
        let fields: [String: FieldValue]
        do {
            fields = try JSONDecoder().decode([String: FieldValue].self, from: Data(body.readableBytesView))
        } catch {
            throw APIError.badRequest("invalid_json", "the body must be a JSON object of fields: strings, numbers, booleans, or lists of image strings")
        }
        var parts: [Part] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            if imageFields.contains(name) {
                let images: [FieldValue] = if case let .list(items) = value { items } else { [value] }
                for (i, image) in images.enumerated() {
                    guard case let .text(encoded) = image else {
                        throw APIError.badRequest("invalid_image_encoding", "'\(name)' must hold base64 or a data: URL")
                    }
                    parts.append(Part(name: name, filename: images.count > 1 ? "\(name)-\(i + 1)" : nil, contentType: nil,
                                      data: try decodeImage(encoded, field: name, limit: limit)))
                }
            } else if let text = value.text {
                parts.append(Part(name: name, filename: nil, contentType: nil, data: Array(text.utf8)))
            }
        }
        return MultipartForm(parts: parts)
    }

    /// `data:image/jpeg;base64,....` or bare base64 (standard or URL-safe alphabet, padding optional).
    static func decodeImage(_ text: String, field: String, limit: Int) throws -> [UInt8] {
        var payload = Substring(text)
        if payload.hasPrefix("data:") {
            guard let comma = payload.firstIndex(of: ","), payload[..<comma].hasSuffix(";base64") else {
                throw APIError.badRequest("invalid_image_encoding", "'\(field)': a data: URL must be base64 (data:image/...;base64,...)")
            }
            payload = payload[payload.index(after: comma)...]
        }
        var base64 = String(payload.filter { !$0.isWhitespace }).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else {
            throw APIError.badRequest("invalid_image_encoding", "'\(field)' is not valid base64")
        }
        guard data.count <= limit else {
            throw APIError(.contentTooLarge, "image_too_large", "the image is \(data.count) bytes; the limit is \(limit)")
        }
        return Array(data)
    }

    /// Query parameters as fields, where the body did not send them (the original accepted
    /// `threshold` and `include_demographics` either way).
    func adding(query: Request) -> MultipartForm {
        var form = self
        for (name, value) in query.uri.queryParameters where self[String(name)] == nil && !Self.imageFields.contains(String(name)) {
            form.parts.append(Part(name: String(name), filename: nil, contentType: nil, data: Array(String(value).utf8)))
        }
        return form
    }
}
