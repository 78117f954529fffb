/// A decoded, upright image: 8-bit BGR, packed rows (OpenCV's native layout, so native code
/// can read it without conversion).
public struct Image: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes, row by row, blue-green-red.
    public let bgr: [UInt8]

    public init(width: Int, height: Int, bgr: [UInt8]) {
        precondition(width > 0 && height > 0 && bgr.count == width * height * 3, "inconsistent image buffer")
        self.width = width
        self.height = height
        self.bgr = bgr
    }

    public var rowStride: Int { width * 3 }
}
