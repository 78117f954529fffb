import LikenessCore
import LikenessVision
import Testing

@Suite struct ImageDecoderTests {
    let decoder = ImageDecoder()

    /// A small synthetic BGR gradient.
    static let sample: Image = {
        let w = 64, h = 48
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w {
            px[(y * w + x) * 3] = UInt8(x * 4)
            px[(y * w + x) * 3 + 1] = UInt8(y * 5)
            px[(y * w + x) * 3 + 2] = UInt8((x + y) % 256)
        } }
        return Image(width: w, height: h, bgr: px)
    }()

    @Test(arguments: [".png", ".bmp", ".webp", ".jpg"])
    func decodesEachFormat(ext: String) throws {
        let encoded = try ImageDecoder.encode(Self.sample, as: ext, quality: ext == ".jpg" ? 95 : 0)
        let header = try ImageHeader.parse(encoded)
        #expect(header.width == 64 && header.height == 48 && header.orientation == 1)
        let image = try decoder.decode(encoded)
        #expect(image.width == 64 && image.height == 48)
        if ext == ".png" || ext == ".bmp" { #expect(image == Self.sample) }
    }

    @Test func emptyInput() {
        #expect(throws: ImageError.empty) { try decoder.decode([]) }
    }

    @Test func notAnImage() {
        #expect(throws: ImageError.unsupportedFormat) { try decoder.decode(Array("hello, this is text".utf8)) }
        #expect(throws: ImageError.unsupportedFormat) { try decoder.decode([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0]) }
    }

    @Test func tooManyBytes() throws {
        let small = ImageDecoder(limits: ImageLimits(maxBytes: 100, maxPixels: 1_000_000))
        let encoded = try ImageDecoder.encode(Self.sample, as: ".png")
        #expect(throws: ImageError.tooLarge(bytes: encoded.count, limit: 100)) { try small.decode(encoded) }
    }

    /// The header claims 2.5 gigapixels: refused from the header, before any allocation.
    @Test func hugePNGIsRefusedBeforeDecoding() {
        let bomb = ImageBuilders.pngHeader(width: 50_000, height: 50_000)
        #expect(throws: ImageError.tooManyPixels(width: 50_000, height: 50_000, limit: ImageLimits.standard.maxPixels)) {
            try decoder.decode(bomb)
        }
    }

    /// Thousands of tiny progressive scans make a small file slow to decode: over 100 scans
    /// is refused from the markers, before decoding.
    @Test func jpegWithTooManyScansIsRefused() throws {
        let jpeg = try ImageDecoder.encode(Self.sample, as: ".jpg", quality: 90)
        let scan: [UInt8] = [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34]
        let many = Array(jpeg.dropLast(2)) + Array(repeating: scan, count: 150).flatMap { $0 } + [0xFF, 0xD9]
        #expect(throws: ImageError.self) { try ImageHeader.parse(many) }
        do { _ = try ImageHeader.parse(many) } catch { #expect(error.message.contains("scans")) }
        let few = Array(jpeg.dropLast(2)) + Array(repeating: scan, count: 5).flatMap { $0 } + [0xFF, 0xD9]
        #expect(throws: Never.self) { try ImageHeader.parse(few) }
    }

    @Test(arguments: [".png", ".jpg", ".webp", ".bmp"])
    func truncatedInput(ext: String) throws {
        let encoded = try ImageDecoder.encode(Self.sample, as: ext, quality: ext == ".jpg" ? 95 : 0)
        let cut = Array(encoded.prefix(encoded.count * 2 / 3))
        #expect(throws: ImageError.self) { try decoder.decode(cut) }
        do {
            _ = try decoder.decode(cut)
        } catch {
            guard case .truncated = error else {
                Issue.record("expected truncated, got \(error)")
                return
            }
        }
    }

    @Test(.enabled(if: Fixtures.sharedAvailable, Fixtures.skipMessage))
    func truncatedRealPhoto() throws {
        let jpeg = try Fixtures.bytes("face_recognition/two_people.jpg")
        #expect(throws: ImageError.truncated(format: "JPEG")) { try decoder.decode(Array(jpeg.prefix(jpeg.count - 100))) }
    }

    @Test func corruptPixelData() throws {
        var png = try ImageDecoder.encode(Self.sample, as: ".png")
        // Scramble the compressed data inside IDAT, keeping the chunk structure intact.
        let idat = try #require(png.indices.first { png[$0..<($0 + 4)].elementsEqual(Array("IDAT".utf8)) })
        for i in (idat + 6)..<(idat + 40) { png[i] ^= 0x5A }
        #expect {
            try decoder.decode(png)
        } throws: { error in
            guard case .corrupt(format: "PNG", _) = error as? ImageError else { return false }
            return true
        }
    }

    @Test(arguments: [1, 3, 6, 8] as [UInt16])
    func exifOrientationIsApplied(orientation: UInt16) throws {
        // A PNG is lossless, so the turned copy must decode to exactly the same pixels.
        let turned: Image
        switch orientation {
        case 6: turned = ImageBuilders.rotatedCounterClockwise(Self.sample)
        case 3: turned = ImageBuilders.rotatedCounterClockwise(ImageBuilders.rotatedCounterClockwise(Self.sample))
        case 8: turned = ImageBuilders.rotatedCounterClockwise(ImageBuilders.rotatedCounterClockwise(
            ImageBuilders.rotatedCounterClockwise(Self.sample)))
        default: turned = Self.sample
        }
        let png = ImageBuilders.pngWithOrientation(try ImageDecoder.encode(turned, as: ".png"), orientation)
        #expect(try ImageHeader.parse(png).orientation == Int(orientation))
        #expect(try decoder.decode(png) == Self.sample)
    }

    @Test func jpegExifOrientationIsRead() throws {
        let jpeg = ImageBuilders.jpegWithOrientation(try ImageDecoder.encode(Self.sample, as: ".jpg", quality: 95), 6)
        let header = try ImageHeader.parse(jpeg)
        #expect(header.orientation == 6 && header.width == 64 && header.height == 48)
        let image = try decoder.decode(jpeg)
        #expect(image.width == 48 && image.height == 64)
    }
}
