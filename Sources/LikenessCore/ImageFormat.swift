/// The image formats Likeness accepts, told apart by their first bytes (the one place that
/// knows the signatures: decoding dispatches on it, and stored originals are served with it).
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg = "JPEG", png = "PNG", webp = "WebP", bmp = "BMP"

    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) { return .webp }
        if bytes.starts(with: Array("BM".utf8)) { return .bmp }
        return nil
    }

    public var mediaType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        case .bmp: "image/bmp"
        }
    }
}
