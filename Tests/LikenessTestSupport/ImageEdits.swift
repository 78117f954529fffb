import LikenessCore

/// Edits of decoded images for tests: an out-of-focus copy, a smaller copy, a crop, and PNG
/// encoding (stored, uncompressed) to send them to the server.
public enum ImageEdits {
    /// A box blur of the given radius, run three times (close to a Gaussian): an out-of-focus copy.
    public static func blurred(_ image: Image, radius: Int) -> Image {
        var bgr = image.bgr.map(Int.init)
        let w = image.width, h = image.height
        for _ in 0..<3 {
            for (count, step, lines, lineStep) in [(w, 3, h, w * 3), (h, w * 3, w, 3)] {
                var out = bgr
                for line in 0..<lines {
                    for channel in 0..<3 {
                        let base = line * lineStep + channel
                        for i in 0..<count {
                            var sum = 0, n = 0
                            for j in max(0, i - radius)...min(count - 1, i + radius) {
                                sum += bgr[base + j * step]
                                n += 1
                            }
                            out[base + i * step] = sum / n
                        }
                    }
                }
                bgr = out
            }
        }
        return Image(width: w, height: h, bgr: bgr.map { UInt8($0) })
    }

    /// The image shrunk by an integer factor, each output pixel the mean of its block.
    public static func shrunk(_ image: Image, by factor: Int) -> Image {
        let w = image.width / factor, h = image.height / factor
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    var sum = 0
                    for dy in 0..<factor {
                        for dx in 0..<factor { sum += Int(image.bgr[((y * factor + dy) * image.width + x * factor + dx) * 3 + c]) }
                    }
                    out[(y * w + x) * 3 + c] = UInt8(sum / (factor * factor))
                }
            }
        }
        return Image(width: w, height: h, bgr: out)
    }

    /// A rectangle of the image.
    public static func cropped(_ image: Image, x: Int, y: Int, width: Int, height: Int) -> Image {
        var out: [UInt8] = []
        out.reserveCapacity(width * height * 3)
        for row in y..<(y + height) {
            let start = (row * image.width + x) * 3
            out += image.bgr[start..<(start + width * 3)]
        }
        return Image(width: width, height: height, bgr: out)
    }

    /// The image as a PNG: 8-bit RGB, zlib "stored" blocks (no compression needed for tests).
    public static func png(_ image: Image) -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity(image.height * (image.width * 3 + 1))
        for y in 0..<image.height {
            raw.append(0)  // no filter
            for x in 0..<image.width {
                let i = (y * image.width + x) * 3
                raw += [image.bgr[i + 2], image.bgr[i + 1], image.bgr[i]]
            }
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65_535, raw.count - offset)
            let last: UInt8 = offset + n == raw.count ? 1 : 0
            zlib += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            zlib += raw[offset..<(offset + n)]
            offset += n
        } while offset < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        zlib += be32(b << 16 | a)
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", be32(UInt32(image.width)) + be32(UInt32(image.height)) + [8, 2, 0, 0, 0])
            + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    public static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return be32(UInt32(data.count)) + typeBytes + data + be32(crc32(typeBytes + data))
    }

    public static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    public static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
