import Foundation
import MultipartKit
import NIOCore
import PropertyBased
import Testing

@testable import LikenessServer

typealias Parser = LikenessServer.MultipartParser

/// The multipart parser against its RFC framing, the body that killed the server, thousands of
/// generated and mutated bodies, and MultipartKit as an oracle on well-formed ones.
@Suite struct MultipartParserTests {
    /// A form as a generator makes it: each field a name, an optional filename, and bytes.
    struct Field: Sendable, Equatable {
        var name: String
        var filename: String?
        var data: [UInt8]
    }

    static func encode(_ fields: [Field], boundary: String, preamble: String = "", epilogue: String = "") -> [UInt8] {
        var out = Array(preamble.utf8)
        for field in fields {
            out += Array("--\(boundary)\r\n".utf8)
            var disposition = "Content-Disposition: form-data; name=\"\(field.name)\""
            if let filename = field.filename { disposition += "; filename=\"\(filename)\"" }
            out += Array("\(disposition)\r\n".utf8)
            if field.filename != nil { out += Array("Content-Type: application/octet-stream\r\n".utf8) }
            out += Array("\r\n".utf8) + field.data + Array("\r\n".utf8)
        }
        out += Array("--\(boundary)--\r\n".utf8) + Array(epilogue.utf8)
        return out
    }

    static func parse(_ body: [UInt8], boundary: String, chunk: Int? = nil) throws -> [Parser.Part] {
        var parser = try Parser(boundary: boundary)
        if let chunk {
            var i = 0
            while i < body.count {
                try parser.feed(body[i..<min(body.count, i + chunk)])
                i += chunk
            }
        } else {
            try parser.feed(body)
        }
        return try parser.finish()
    }

    // MARK: Generators

    static let boundaryChars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=?")
    static let nameChars = Array("abcdefghijklmnopqrstuvwxyz_0123456789")

    static let boundaryGen = Gen.int(in: 1...70).array(of: 1...70).map { picks in
        String(picks.map { boundaryChars[$0 % boundaryChars.count] })
    }

    static let fieldGen = Gen.int(in: 0...255).array(of: 1...12).map { picks in
        String(picks.map { nameChars[$0 % nameChars.count] })
    }

    /// Data whose bytes lean toward the delimiter's own (CR, LF, '-') to stress the framing.
    static let dataGen = Gen.int(in: 0...400).array(of: 0...300).map { picks -> [UInt8] in
        picks.map { p -> UInt8 in
            switch p {
            case 256..<300: return 13
            case 300..<340: return 10
            case 340...400: return 45
            default: return UInt8(p)
            }
        }
    }

    // MARK: Properties

    @Test func wellFormedBodiesParseToTheirFieldsInAnyChunking() async {
        await propertyCheck(count: 1500, input: Self.boundaryGen, Self.fieldGen.array(of: 1...5), Self.dataGen.array(of: 5),
                            Gen.int(in: 1...64)) { boundary, names, datas, chunk in
            let fields = names.enumerated().map { i, name in
                Field(name: name, filename: i % 2 == 0 ? nil : "f\(i).bin", data: Self.scrub(datas[i % datas.count], boundary))
            }
            let body = Self.encode(fields, boundary: boundary, preamble: "ignored preamble\r\n", epilogue: "ignored")
            let whole = try? Self.parse(body, boundary: boundary)
            let chunked = try? Self.parse(body, boundary: boundary, chunk: chunk)
            let expected = fields.map { Parser.Part(name: $0.name, filename: $0.filename,
                                                             contentType: $0.filename == nil ? nil : "application/octet-stream", data: $0.data) }
            #expect(whole == expected)
            #expect(chunked == expected)
        }
    }

    /// MultipartKit, the parser the server used before, agrees on every well-formed body.
    @Test func agreesWithMultipartKitOnWellFormedBodies() async {
        await propertyCheck(count: 500, input: Self.boundaryGen, Self.fieldGen.array(of: 1...4), Self.dataGen.array(of: 4)) { boundary, names, datas in
            let fields = names.enumerated().map { i, name in Field(name: name, filename: nil, data: Self.scrub(datas[i], boundary)) }
            let body = Self.encode(fields, boundary: boundary)
            let ours = try? Self.parse(body, boundary: boundary)
            #expect(ours?.map { $0.data } == Self.oracle(body, boundary: boundary))
            #expect(ours?.map { $0.name } == fields.map { $0.name })
        }
    }

    /// Byte flips, insertions, deletions and truncations of valid bodies: the parser answers or
    /// throws, and never traps (a trap would kill the test process).
    @Test func mutatedBodiesNeverTrap() async {
        let mutation = Gen.int(in: 0...Int(UInt16.max)).array(of: 1...12)
        await propertyCheck(count: 4000, input: Self.boundaryGen, Self.dataGen.array(of: 3), mutation) { boundary, datas, edits in
            var body = Self.encode(datas.enumerated().map { Field(name: "f\($0.offset)", filename: "x", data: $0.element) },
                                   boundary: boundary)
            let nasty: [[UInt8]] = [[0xFF], [13, 10], Array("--\(boundary)".utf8), Array("--\(boundary)--".utf8), [0x80, 58], [0]]
            for edit in edits where !body.isEmpty {
                let at = (edit >> 3) % body.count
                switch edit % 5 {
                case 0: body[at] ^= UInt8(truncatingIfNeeded: edit >> 8) | 1
                case 1: body.insert(contentsOf: nasty[(edit >> 4) % nasty.count], at: at)
                case 2: body.remove(at: at)
                case 3: body = Array(body.prefix(at))
                default: body.insert(UInt8(truncatingIfNeeded: edit), at: at)
                }
            }
            _ = try? Self.parse(body, boundary: boundary)
            _ = try? Self.parse(body, boundary: boundary, chunk: 7)
        }
    }

    // MARK: Cases

    /// The body from the review: a fake closing delimiter inside a part, then a header name
    /// with a byte over 0x7F. It killed the server through MultipartKit; now it is a 400.
    @Test func theCrashingBodyIsRejected() throws {
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx--b--\r\n--b\r\n".utf8) + [0xFF]
            + Array(": y\r\n\r\nz\r\n--b--\r\n".utf8)
        #expect(throws: Parser.Failure.self) { try Self.parse(body, boundary: "b") }
        #expect(throws: APIError.self) { try MultipartForm.parse(body, boundary: "b") }
    }

    @Test func framingFollowsTheRFC() throws {
        // "--b--" not after CRLF is content.
        let inner = try Self.parse(Array("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx--b--y\r\n--b--".utf8), boundary: "b")
        #expect(inner.map(\.data) == [Array("x--b--y".utf8)])
        // Transport padding after a delimiter; a quoted filename with ';' and an escaped quote.
        let padded = try Self.parse(Array("--b  \r\nContent-Disposition: form-data; name=\"f\"; filename=\"a;\\\"b.jpg\"\r\n\r\n1\r\n--b--".utf8),
                                    boundary: "b")
        #expect(padded.first?.filename == "a;\"b.jpg" && padded.first?.name == "f")
        // Missing close, bare LF in headers, no Content-Disposition, a second one.
        for bad in ["--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx",
                    "--b\nContent-Disposition: form-data; name=\"a\"\n\nx\r\n--b--",
                    "--b\r\nContent-Disposition: form-data; name=\"a\"\nX: y\r\n\r\nx\r\n--b--",
                    "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
                    "--b\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\nx\r\n--b--",
                    "--bX\r\n\r\n--b--"] {
            #expect(throws: Parser.Failure.self, "\(bad.debugDescription)") { try Self.parse(Array(bad.utf8), boundary: "b") }
        }
    }

    @Test func boundariesAndCapsAreEnforced() throws {
        for bad in ["", String(repeating: "a", count: 71), "a\r\nb", "trailing ", "ü"] {
            #expect(throws: Parser.Failure.invalidBoundary) { try Parser(boundary: bad) }
        }
        #expect(throws: Never.self) { try Parser(boundary: String(repeating: "a", count: 70)) }
        let many = Self.encode((0..<65).map { Field(name: "f\($0)", filename: nil, data: [1]) }, boundary: "b")
        #expect(throws: Parser.Failure.tooManyParts(64)) { try Self.parse(many, boundary: "b") }
        let longHeader = "--b\r\nContent-Disposition: form-data; name=\"\(String(repeating: "n", count: 5000))\"\r\n\r\nx\r\n--b--"
        #expect(throws: Parser.Failure.self) { try Self.parse(Array(longHeader.utf8), boundary: "b") }
        let manyHeaders = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n" + String(repeating: "X-A: b\r\n", count: 20) + "\r\nx\r\n--b--"
        #expect(throws: Parser.Failure.self) { try Self.parse(Array(manyHeaders.utf8), boundary: "b") }
    }

    /// A 70-character boundary and 4 MB of near-misses (CRLF, "--", then the boundary less its
    /// last byte): the search stays linear, so this parses at once instead of stalling.
    @Test func nearMissesOfALongBoundaryParseInOnePass() throws {
        let boundary = String(repeating: "q", count: 70)
        let nearMiss = Array("\r\n--\(String(repeating: "q", count: 69))".utf8) + [UInt8(ascii: "z")]
        var data: [UInt8] = []
        data.reserveCapacity(4 << 20)
        while data.count < 4 << 20 { data += nearMiss }
        let body = Self.encode([Field(name: "file", filename: "x", data: data)], boundary: boundary)
        let parts = try Self.parse(body, boundary: boundary, chunk: 65536)
        #expect(parts.first?.data.count == data.count)
    }

    // MARK: Helpers

    /// Keeps the boundary out of generated data (RFC 2046 forbids it there; a sender picks a
    /// boundary that does not occur). The part's header block ends in CRLF, so the data is
    /// checked with one in front; after the data comes CRLF, which no boundary can continue.
    static func scrub(_ data: [UInt8], _ boundary: String) -> [UInt8] {
        let delimiter = Array("\r\n--\(boundary)".utf8)
        let framed = [13, 10] + data
        guard framed.count >= delimiter.count,
              (0...(framed.count - delimiter.count)).contains(where: { framed[$0..<($0 + delimiter.count)].elementsEqual(delimiter) })
        else { return data }
        var out = data.filter { $0 != 13 }
        if out.starts(with: Array("--\(boundary)".utf8)) { out.removeFirst() }
        return out
    }

    static func oracle(_ body: [UInt8], boundary: String) -> [[UInt8]]? {
        final class Collected { var parts: [[UInt8]] = []; var current: [UInt8] = [] }
        let collected = Collected()
        let parser = MultipartKit.MultipartParser(boundary: boundary)
        parser.onBody = { collected.current += $0.readableBytesView }
        parser.onPartComplete = {
            collected.parts.append(collected.current)
            collected.current = []
        }
        do {
            try parser.execute(ByteBuffer(bytes: body))
        } catch {
            return nil
        }
        return collected.parts
    }
}
