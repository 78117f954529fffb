import LikenessCore

/// What the first bytes of an encoded image say about it, read without decoding a pixel.
/// The pixel limit is enforced on this, so a 50,000 x 50,000 PNG is refused before any
/// memory is allocated for it.
public struct ImageHeader: Sendable, Equatable {
    public typealias Format = ImageFormat

    public var format: Format
    /// Stored size, before EXIF orientation is applied.
    public var width: Int
    public var height: Int
    /// EXIF orientation 1-8 (1 = upright).
    public var orientation: Int

    /// Parses the header and checks that the data is complete (a JPEG reaches its EOI marker,
    /// a PNG its IEND chunk, a WebP or BMP the length its header declares).
    public static func parse(_ data: [UInt8]) throws(ImageError) -> ImageHeader {
        guard !data.isEmpty else { throw .empty }
        let bytes = ByteReader(data)
        switch ImageFormat.sniff(Array(data.prefix(12))) {
        case .jpeg: return try parseJPEG(bytes)
        case .png: return try parsePNG(bytes)
        case .webp: return try parseWebP(bytes)
        case .bmp: return try parseBMP(bytes)
        case nil: throw .unsupportedFormat
        }
    }

    static let maxJPEGScans = 100

    /// Start-of-scan markers (FF DA) after `from`; entropy-coded data stuffs every FF with 00,
    /// so each FF DA there is a real marker.
    static func countScanMarkers(_ data: [UInt8], from: Int, stopAfter limit: Int) -> Int {
        data.withUnsafeBufferPointer { p in
            var count = 0
            var i = max(0, from)
            while i + 1 < p.count {
                if p[i] == 0xFF, p[i + 1] == 0xDA {
                    count += 1
                    if count > limit { break }
                    i += 2
                } else {
                    i += 1
                }
            }
            return count
        }
    }

    private static func parseJPEG(_ b: ByteReader) throws(ImageError) -> ImageHeader {
        var offset = 2
        var size: (Int, Int)?
        var orientation = 1
        while true {
            // Markers may be preceded by fill bytes 0xFF.
            guard let marker = b.u8(offset) else { throw .truncated(format: "JPEG") }
            guard marker == 0xFF else { throw .corrupt(format: "JPEG", reason: "bad marker at byte \(offset)") }
            guard let code = b.u8(offset + 1) else { throw .truncated(format: "JPEG") }
            if code == 0xFF { offset += 1; continue }
            if code == 0xD8 || code == 0x01 || (0xD0...0xD7).contains(code) { offset += 2; continue }
            if code == 0xD9 { throw .corrupt(format: "JPEG", reason: "no image data") }
            guard let length = b.u16be(offset + 2), length >= 2 else { throw .truncated(format: "JPEG") }
            let body = offset + 4
            let next = offset + 2 + Int(length)
            guard next <= b.count else { throw .truncated(format: "JPEG") }
            switch code {
            case 0xC0...0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF:
                guard let h = b.u16be(body + 1), let w = b.u16be(body + 3) else { throw .truncated(format: "JPEG") }
                size = (Int(w), Int(h))
            case 0xE1 where b.ascii(body, 6) == "Exif\0\0" && size == nil:
                orientation = ExifOrientation.read(b, tiffStart: body + 6, end: next) ?? orientation
            case 0xDA:
                guard let (w, h) = size else { throw .corrupt(format: "JPEG", reason: "no frame header") }
                guard w > 0, h > 0 else { throw .corrupt(format: "JPEG", reason: "zero size") }
                // Entropy-coded data cannot contain FF D9 (FF is always stuffed), so the EOI
                // marker after the scan's start proves the file is complete.
                guard b.lastIndex(of: [0xFF, 0xD9], from: next) != nil else { throw .truncated(format: "JPEG") }
                // Each progressive scan makes the decoder pass over the whole image again; a small
                // file with thousands of tiny scans would take minutes. Real encoders use about 10.
                let scans = 1 + countScanMarkers(b.data, from: next, stopAfter: maxJPEGScans)
                guard scans <= maxJPEGScans else {
                    throw .corrupt(format: "JPEG", reason: "more than \(maxJPEGScans) scans")
                }
                return ImageHeader(format: .jpeg, width: w, height: h, orientation: orientation)
            default:
                break
            }
            offset = next
        }
    }

    private static func parsePNG(_ b: ByteReader) throws(ImageError) -> ImageHeader {
        guard b.ascii(12, 4) == "IHDR", let w = b.u32be(16), let h = b.u32be(20) else {
            throw b.count < 33 ? .truncated(format: "PNG") : .corrupt(format: "PNG", reason: "no IHDR chunk")
        }
        guard w > 0, h > 0, w <= Int32.max, h <= Int32.max else { throw .corrupt(format: "PNG", reason: "bad size") }
        var orientation = 1
        // Walk the chunks: each is length, type, data, CRC; a chunk that runs past the end of
        // the data, or a missing IEND, means the file was cut short.
        var offset = 8
        while true {
            guard let length = b.u32be(offset), let type = b.ascii(offset + 4, 4) else { throw .truncated(format: "PNG") }
            let next = offset + 12 + Int(length)
            guard next <= b.count else { throw .truncated(format: "PNG") }
            if type == "eXIf" { orientation = ExifOrientation.read(b, tiffStart: offset + 8, end: next - 4) ?? 1 }
            if type == "IEND" { break }
            offset = next
        }
        return ImageHeader(format: .png, width: Int(w), height: Int(h), orientation: orientation)
    }

    private static func parseWebP(_ b: ByteReader) throws(ImageError) -> ImageHeader {
        guard let riffSize = b.u32le(4) else { throw .truncated(format: "WebP") }
        let end = 8 + Int(riffSize)
        guard end <= b.count else { throw .truncated(format: "WebP") }
        var size: (Int, Int)?
        var orientation = 1
        var offset = 12
        while offset + 8 <= end {
            guard let type = b.ascii(offset, 4), let length = b.u32le(offset + 4) else { break }
            let body = offset + 8
            let next = body + Int(length) + Int(length & 1)
            guard body + Int(length) <= end else { throw .truncated(format: "WebP") }
            switch type {
            case "VP8X":
                if let w = b.u24le(body + 4), let h = b.u24le(body + 7) { size = (w + 1, h + 1) }
            case "VP8L" where size == nil:
                if b.u8(body) == 0x2F, let bits = b.u32le(body + 1) {
                    size = (Int(bits & 0x3FFF) + 1, Int((bits >> 14) & 0x3FFF) + 1)
                }
            case "VP8 " where size == nil:
                if let w = b.u16le(body + 6), let h = b.u16le(body + 8) { size = (Int(w & 0x3FFF), Int(h & 0x3FFF)) }
            case "EXIF":
                orientation = ExifOrientation.read(b, tiffStart: body, end: body + Int(length)) ?? 1
            default:
                break
            }
            offset = next
        }
        guard let (w, h) = size, w > 0, h > 0 else { throw .corrupt(format: "WebP", reason: "no image chunk") }
        return ImageHeader(format: .webp, width: w, height: h, orientation: orientation)
    }

    private static func parseBMP(_ b: ByteReader) throws(ImageError) -> ImageHeader {
        guard let fileSize = b.u32le(2), let w = b.i32le(18), let h = b.i32le(22) else { throw .truncated(format: "BMP") }
        if fileSize > 0 && Int(fileSize) > b.count { throw .truncated(format: "BMP") }
        guard w > 0, h != 0, h != Int32.min else { throw .corrupt(format: "BMP", reason: "bad size") }
        return ImageHeader(format: .bmp, width: Int(w), height: Int(abs(h)), orientation: 1)
    }
}
