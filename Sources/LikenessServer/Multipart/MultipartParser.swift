#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `multipart/form-data` body parser whose framing is exactly RFC 2046 / RFC 7578: a part ends
/// only at CRLF "--" boundary, the boundary is 1-70 characters of the RFC's set, header lines
/// end in CRLF. It is fed the body chunk by chunk, holds each part's bytes once, and every
/// count it keeps is capped, so no input can make it trap, loop or grow without bound.
struct MultipartParser {
    struct Limits: Sendable {
        var maxParts = 64
        var maxHeaderLines = 16
        var maxHeaderLineBytes = 2048
        /// Transport padding (spaces, tabs) allowed after a delimiter.
        var maxPaddingBytes = 64
    }

    struct Part: Sendable, Equatable {
        var name: String
        var filename: String?
        var contentType: String?
        var data: [UInt8]
    }

    enum Failure: Error, Equatable {
        case invalidBoundary
        case malformed(String)
        case tooManyParts(Int)
    }

    private enum State { case preamble, afterDelimiter, headers, body, epilogue }

    private let delimiter: [UInt8]  // CRLF "--" boundary
    private let limits: Limits
    private var state = State.preamble
    private var buffer: [UInt8]
    private var position = 0
    private var headerLines = 0
    private var current: Part?
    private var sawDisposition = false
    private(set) var parts: [Part] = []
    private(set) var completedParts = 0

    init(boundary: String, limits: Limits = Limits()) throws {
        guard Self.isValidBoundary(boundary) else { throw Failure.invalidBoundary }
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.limits = limits
        // The first delimiter may open the body with no CRLF before it; a virtual CRLF in front
        // lets one search serve both cases.
        buffer = [13, 10]
    }

    /// RFC 2046 section 5.1.1: bchars, at most 70, not ending in a space. Since no bchar is CR,
    /// the delimiter search below runs in linear time.
    static func isValidBoundary(_ boundary: String) -> Bool {
        let bytes = Array(boundary.utf8)
        guard (1...70).contains(bytes.count), bytes.last != 32 else { return false }
        return bytes.allSatisfy { b in
            (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) || Array("'()+_,-./:=? ".utf8).contains(b)
        }
    }

    mutating func feed<C: Collection>(_ bytes: C) throws where C.Element == UInt8 {
        guard state != .epilogue else { return }  // the epilogue is ignored, as the RFC says
        buffer.append(contentsOf: bytes)
        try process()
        // Drop what has been consumed once it is most of the buffer, so memory stays bounded by
        // the unconsumed tail plus the parts themselves.
        if position > 65536, position * 2 > buffer.count {
            buffer.removeSubrange(0..<position)
            position = 0
        }
    }

    /// The parts of a complete body; an error if the closing delimiter never came.
    mutating func finish() throws -> [Part] {
        try process()
        guard state == .epilogue else { throw Failure.malformed("the body ends before the closing boundary") }
        guard completedParts > 0 else { throw Failure.malformed("the body has no complete part") }
        return parts
    }

    private mutating func process() throws {
        while true {
            switch state {
            case .preamble:
                guard let at = find(delimiter, from: position) else {
                    // Keep only a tail that could still begin a delimiter.
                    position = max(position, buffer.count - (delimiter.count - 1))
                    return
                }
                position = at + delimiter.count
                state = .afterDelimiter
            case .afterDelimiter:
                guard try readDelimiterEnd() else { return }
            case .headers:
                guard try readHeaderLine() else { return }
            case .body:
                if let at = find(delimiter, from: position) {
                    current?.data.append(contentsOf: buffer[position..<at])
                    position = at + delimiter.count
                    try completePart()
                    state = .afterDelimiter
                } else {
                    let safe = max(position, buffer.count - (delimiter.count - 1))
                    current?.data.append(contentsOf: buffer[position..<safe])
                    position = safe
                    return
                }
            case .epilogue:
                position = buffer.count
                return
            }
        }
    }

    /// After a delimiter: "--" closes the body; otherwise optional padding, then CRLF.
    private mutating func readDelimiterEnd() throws -> Bool {
        let available = buffer.count - position
        guard available >= 2 else { return false }
        if buffer[position] == 45, buffer[position + 1] == 45 {
            state = .epilogue
            position = buffer.count
            return true
        }
        var p = position
        while p < buffer.count, buffer[p] == 32 || buffer[p] == 9 {
            p += 1
            if p - position > limits.maxPaddingBytes { throw Failure.malformed("a boundary line is too long") }
        }
        guard p + 1 < buffer.count else { return false }
        guard buffer[p] == 13, buffer[p + 1] == 10 else { throw Failure.malformed("a boundary is not followed by CRLF") }
        position = p + 2
        guard completedParts < limits.maxParts else { throw Failure.tooManyParts(limits.maxParts) }
        current = Part(name: "", filename: nil, contentType: nil, data: [])
        sawDisposition = false
        headerLines = 0
        state = .headers
        return true
    }

    private mutating func readHeaderLine() throws -> Bool {
        let end = min(buffer.count, position + limits.maxHeaderLineBytes + 2)
        var crlf: Int?
        var p = position
        while p + 1 < end {
            if buffer[p] == 13 {
                guard buffer[p + 1] == 10 else { throw Failure.malformed("a header line has a bare CR") }
                crlf = p
                break
            }
            if buffer[p] == 10 { throw Failure.malformed("a header line has a bare LF") }
            p += 1
        }
        guard let lineEnd = crlf else {
            if buffer.count - position > limits.maxHeaderLineBytes + 1 { throw Failure.malformed("a part header line is too long") }
            return false
        }
        let line = buffer[position..<lineEnd]
        position = lineEnd + 2
        if line.isEmpty {
            guard sawDisposition else { throw Failure.malformed("a part has no Content-Disposition header") }
            state = .body
            return true
        }
        headerLines += 1
        guard headerLines <= limits.maxHeaderLines else { throw Failure.malformed("a part has too many header lines") }
        try parseHeader(line)
        return true
    }

    private mutating func parseHeader(_ line: ArraySlice<UInt8>) throws {
        guard let colon = line.firstIndex(of: 58), colon > line.startIndex else { throw Failure.malformed("a part header has no name") }
        let nameBytes = line[line.startIndex..<colon]
        guard nameBytes.allSatisfy(HeaderText.isTokenByte) else { throw Failure.malformed("a part header name is not a token") }
        let valueBytes = line[(colon + 1)...]
        guard valueBytes.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else {
            throw Failure.malformed("a part header value has control characters")
        }
        guard let value = String(validating: valueBytes, as: UTF8.self) else { throw Failure.malformed("a part header value is not UTF-8") }
        let name = String(decoding: nameBytes, as: UTF8.self).lowercased()
        let trimmed = value.trimmingOWS()
        switch name {
        case "content-disposition":
            guard !sawDisposition else { throw Failure.malformed("a part has two Content-Disposition headers") }
            let disposition = HeaderText.parameters(trimmed)
            guard disposition.value.lowercased() == "form-data" else { throw Failure.malformed("a part is not form-data") }
            sawDisposition = true
            current?.name = disposition.parameters["name"] ?? ""
            current?.filename = disposition.parameters["filename"]
        case "content-type":
            current?.contentType = trimmed
        default:
            break
        }
    }

    private mutating func completePart() throws {
        completedParts += 1
        // A part with no name carries no field; it is counted, not kept.
        if let part = current, !part.name.isEmpty { parts.append(part) }
        current = nil
    }

    /// The first `needle` at or after `start`. Linear: the needle starts with CR and CR occurs
    /// nowhere else in it, so after a mismatch at offset j no start before i + j can match.
    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        buffer.withUnsafeBufferPointer { hay -> Int? in
            guard let base = hay.baseAddress else { return nil }
            var i = start
            let count = hay.count
            while i + needle.count <= count {
                guard let hit = memchr(base + i, 13, count - i) else { return nil }
                i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                guard i + needle.count <= count else { return nil }
                var j = 1
                while j < needle.count, hay[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
                i += max(1, j)
            }
            return nil
        }
    }
}
