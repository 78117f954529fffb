import COpenCV
import LikenessCore

/// Limits applied to uploaded images before any decoding work is done.
public struct ImageLimits: Sendable, Equatable {
    public var maxBytes: Int
    public var maxPixels: Int

    /// 10 MB, as in the original system, and 40 megapixels.
    public static let standard = ImageLimits(maxBytes: 10 * 1024 * 1024, maxPixels: 40_000_000)

    public init(maxBytes: Int, maxPixels: Int) {
        self.maxBytes = maxBytes
        self.maxPixels = maxPixels
    }
}

/// Decodes JPEG, PNG, WebP and BMP bytes into an upright BGR image with OpenCV, honouring
/// EXIF orientation. Every refusal is a typed `ImageError`.
public struct ImageDecoder: Sendable {
    public var limits: ImageLimits

    public init(limits: ImageLimits = .standard) {
        self.limits = limits
    }

    public func decode(_ data: [UInt8]) throws(ImageError) -> Image { try decode(data, with: lcv_decode) }

    /// Through cv::imdecode whatever the format: the reference the JPEG path is checked against.
    func decodeWithOpenCV(_ data: [UInt8]) throws(ImageError) -> Image { try decode(data, with: lcv_decode_opencv) }

    private typealias NativeDecode = (UnsafePointer<UInt8>?, Int, Int32, UnsafeMutablePointer<lcv_image>?,
                                      UnsafeMutablePointer<CChar>?, Int) -> Int32

    private func decode(_ data: [UInt8], with native: NativeDecode) throws(ImageError) -> Image {
        guard !data.isEmpty else { throw .empty }
        guard data.count <= limits.maxBytes else { throw .tooLarge(bytes: data.count, limit: limits.maxBytes) }
        let header = try ImageHeader.parse(data)
        let (pixels, overflow) = header.width.multipliedReportingOverflow(by: header.height)
        guard !overflow, pixels <= limits.maxPixels else {
            throw .tooManyPixels(width: header.width, height: header.height, limit: limits.maxPixels)
        }
        var decoded = lcv_image()
        do {
            try NativeError.check("OpenCV") { err, len in
                data.withUnsafeBufferPointer { native($0.baseAddress, $0.count, Int32(header.orientation), &decoded, err, len) }
            }
        } catch {
            throw .corrupt(format: header.format.rawValue, reason: error.message)
        }
        defer { lcv_image_free(&decoded) }
        let width = Int(decoded.width), height = Int(decoded.height)
        // Headers can lie; what was decoded must still fit the limit and match the header.
        guard width * height == pixels else {
            throw .corrupt(format: header.format.rawValue, reason: "decoded size differs from the header")
        }
        let bgr = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            for row in 0..<height {
                let src = decoded.data + row * decoded.stride
                (buffer.baseAddress! + row * width * 3).initialize(from: src, count: width * 3)
            }
            count = width * height * 3
        }
        return Image(width: width, height: height, bgr: bgr)
    }

    /// Encodes an image (for tests, and for stored face crops).
    public static func encode(_ image: Image, as ext: String = ".png", quality: Int = 0) throws(NativeError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var length = 0
        try NativeError.check("OpenCV") { err, len in
            image.bgr.withUnsafeBufferPointer {
                lcv_encode($0.baseAddress, Int32(image.width), Int32(image.height), image.rowStride, ext, Int32(quality), &out, &length, err, len)
            }
        }
        defer { lcv_buffer_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: length))
    }
}
