import LikenessCore
import LikenessTestSupport

/// Builds test images and encoded files byte by byte.
enum ImageBuilders {
    /// A PNG whose header claims `width` x `height`, with no real pixel data.
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += chunk("IHDR", be32(width) + be32(height) + [8, 2, 0, 0, 0])
        bytes += chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
        bytes += chunk("IEND", [])
        return bytes
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] { ImageEdits.chunk(type, data) }

    static func be32(_ v: UInt32) -> [UInt8] { ImageEdits.be32(v) }

    /// A big-endian TIFF block holding only an Orientation tag.
    static func exifTIFF(orientation: UInt16) -> [UInt8] {
        var tiff: [UInt8] = Array("MM".utf8) + [0x00, 0x2A] + be32(8)
        tiff += [0x00, 0x01]                                   // one entry
        tiff += [0x01, 0x12, 0x00, 0x03] + be32(1)             // Orientation, SHORT, count 1
        tiff += [UInt8(orientation >> 8), UInt8(orientation & 0xFF), 0, 0]
        tiff += be32(0)                                        // no next IFD
        return tiff
    }

    /// Inserts an EXIF APP1 segment right after a JPEG's SOI marker.
    static func jpegWithOrientation(_ jpeg: [UInt8], _ orientation: UInt16) -> [UInt8] {
        let payload = Array("Exif".utf8) + [0, 0] + exifTIFF(orientation: orientation)
        let length = UInt16(payload.count + 2)
        return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + jpeg[2...]
    }

    /// Inserts an eXIf chunk right after a PNG's IHDR chunk.
    static func pngWithOrientation(_ png: [UInt8], _ orientation: UInt16) -> [UInt8] {
        let afterIHDR = 8 + 25
        return Array(png[..<afterIHDR]) + chunk("eXIf", exifTIFF(orientation: orientation)) + png[afterIHDR...]
    }

    /// The image turned 90 degrees counter-clockwise; EXIF orientation 6 turns it back.
    static func rotatedCounterClockwise(_ image: Image) -> Image {
        let w = image.width, h = image.height
        var out = [UInt8](repeating: 0, count: w * h * 3)
        // Source (x, y) lands at (y, w - 1 - x) in the h-wide result.
        for y in 0..<h {
            for x in 0..<w {
                let src = (y * w + x) * 3
                let dst = ((w - 1 - x) * h + y) * 3
                out[dst] = image.bgr[src]
                out[dst + 1] = image.bgr[src + 1]
                out[dst + 2] = image.bgr[src + 2]
            }
        }
        return Image(width: h, height: w, bgr: out)
    }
}
