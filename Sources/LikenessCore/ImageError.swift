/// Why an uploaded image was refused. Each case is the caller's fault (a 4xx), never ours.
public enum ImageError: Error, Sendable, Equatable {
    case empty
    case tooLarge(bytes: Int, limit: Int)
    case unsupportedFormat
    case truncated(format: String)
    case tooManyPixels(width: Int, height: Int, limit: Int)
    case corrupt(format: String, reason: String)

    /// A stable machine-readable code.
    public var code: String {
        switch self {
        case .empty: "image_empty"
        case .tooLarge: "image_too_large"
        case .unsupportedFormat: "image_unsupported_format"
        case .truncated: "image_truncated"
        case .tooManyPixels: "image_too_many_pixels"
        case .corrupt: "image_corrupt"
        }
    }

    public var message: String {
        switch self {
        case .empty: "the image is empty"
        case let .tooLarge(bytes, limit): "the image is \(bytes) bytes; the limit is \(limit)"
        case .unsupportedFormat: "not an image in a supported format (JPEG, PNG, WebP, BMP)"
        case let .truncated(format): "the \(format) image is truncated"
        case let .tooManyPixels(width, height, limit):
            "the image is \(width)x\(height) pixels; the limit is \(limit) pixels"
        case let .corrupt(format, reason): "the \(format) image could not be decoded: \(reason)"
        }
    }
}
