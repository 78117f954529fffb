/// The small grammar of HTTP header values that multipart needs (RFC 9110): tokens, and a
/// value followed by `; key=value` parameters whose values may be quoted strings.
enum HeaderText {
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 48...57, 65...90, 97...122: return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(b)
        }
    }

    /// `form-data; name="file"; filename="a;b.jpg"` gives ("form-data", [name: file, filename: a;b.jpg]).
    /// Parameter names are lowercased; the first of a repeated name wins; malformed parameters are skipped.
    static func parameters(_ header: String) -> (value: String, parameters: [String: String]) {
        let chars = Array(header.unicodeScalars)
        var i = 0
        func skipSpace() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }
        var value = ""
        while i < chars.count, chars[i] != ";" { value.unicodeScalars.append(chars[i]); i += 1 }
        var result: [String: String] = [:]
        while i < chars.count {
            i += 1  // the ';'
            skipSpace()
            var key = ""
            while i < chars.count, chars[i] != "=", chars[i] != ";" { key.unicodeScalars.append(chars[i]); i += 1 }
            key = key.trimmingOWS().lowercased()
            guard i < chars.count, chars[i] == "=" else { continue }
            i += 1
            skipSpace()
            var parsed = ""
            if i < chars.count, chars[i] == "\"" {
                i += 1
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                    parsed.unicodeScalars.append(chars[i])
                    i += 1
                }
                i += 1  // the closing quote (or the end)
                while i < chars.count, chars[i] != ";" { i += 1 }
            } else {
                while i < chars.count, chars[i] != ";" { parsed.unicodeScalars.append(chars[i]); i += 1 }
                parsed = parsed.trimmingOWS()
            }
            if !key.isEmpty, result[key] == nil { result[key] = parsed }
        }
        return (value.trimmingOWS(), result)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (HTTP's optional white space).
    func trimmingOWS() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(scalars[first...last])
    }
}
