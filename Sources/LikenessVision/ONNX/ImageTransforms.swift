import COpenCV
import LikenessCore

/// Packed BGR pixels of a given size, produced by the transforms below.
public struct Pixels: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var bgr: [UInt8]
}

/// Crops, resizes and affine warps done by OpenCV, so they match the Python references' cv2
/// calls exactly.
public enum ImageTransforms {
    /// Resizes the region `x, y, width, height` (inside the image) to `size`, bilinear.
    public static func resize(_ image: Image, x: Int = 0, y: Int = 0, width: Int? = nil, height: Int? = nil,
                              to size: (width: Int, height: Int)) throws -> Pixels {
        let w = width ?? image.width, h = height ?? image.height
        precondition(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= image.width && y + h <= image.height,
                     "crop outside the image")
        var out = [UInt8](repeating: 0, count: size.width * size.height * 3)
        try NativeError.check("opencv") { err, len in
            image.bgr.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    lcv_resize(src.baseAddress! + (y * image.rowStride + x * 3), Int32(w), Int32(h), image.rowStride,
                               Int32(size.width), Int32(size.height), dst.baseAddress, err, len)
                }
            }
        }
        return Pixels(width: size.width, height: size.height, bgr: out)
    }

    /// The size of an image shrunk so that its longer side is `limit` (unchanged when it fits);
    /// half to even, as Python's round(), so the references scale to the same size.
    public static func shrunkSize(width: Int, height: Int, limit: Int) -> (width: Int, height: Int) {
        let longer = max(width, height)
        guard longer > limit else { return (width, height) }
        let factor = Double(limit) / Double(longer)
        return (max(1, Int((Double(width) * factor).rounded(.toNearestOrEven))),
                max(1, Int((Double(height) * factor).rounded(.toNearestOrEven))))
    }

    /// The image shrunk to `limit` on its longer side (bilinear), or its own pixels when it fits.
    public static func shrunk(_ image: Image, limit: Int) throws -> Pixels {
        let (w, h) = shrunkSize(width: image.width, height: image.height, limit: limit)
        guard w != image.width || h != image.height else { return Pixels(width: image.width, height: image.height, bgr: image.bgr) }
        return try resize(image, to: (w, h))
    }

    /// Warps the image by the 2x3 matrix (destination = m * source), black outside.
    public static func warpAffine(_ image: Image, matrix: [Double], to size: (width: Int, height: Int)) throws -> Pixels {
        precondition(matrix.count == 6, "an affine matrix has 6 entries")
        var out = [UInt8](repeating: 0, count: size.width * size.height * 3)
        try NativeError.check("opencv") { err, len in
            image.bgr.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    lcv_warp_affine(src.baseAddress, Int32(image.width), Int32(image.height), image.rowStride, matrix,
                                    Int32(size.width), Int32(size.height), dst.baseAddress, err, len)
                }
            }
        }
        return Pixels(width: size.width, height: size.height, bgr: out)
    }
}

/// How a network wants its pixels: channel order, then (x - mean) / std per channel (in the
/// network's channel order), as cv2.dnn.blobFromImages does with swapRB.
public struct PixelNormalization: Sendable, Equatable, Codable {
    public var rgb: Bool
    public var mean: [Float]
    public var std: [Float]

    public init(rgb: Bool, mean: [Float], std: [Float]) {
        self.rgb = rgb
        self.mean = mean
        self.std = std
    }

    public static let raw = PixelNormalization(rgb: false, mean: [0, 0, 0], std: [1, 1, 1])

    /// NCHW floats for a batch of equally sized images.
    public func blob(_ images: [Pixels]) -> [Float] {
        guard let first = images.first else { return [] }
        let plane = first.width * first.height
        var out = [Float](repeating: 0, count: images.count * 3 * plane)
        out.withUnsafeMutableBufferPointer { dst in
            for (n, image) in images.enumerated() {
                precondition(image.width == first.width && image.height == first.height, "batch of mixed sizes")
                image.bgr.withUnsafeBufferPointer { src in
                    for c in 0..<3 {
                        let source = rgb ? 2 - c : c
                        // Multiplying by a reciprocal would round differently from the reference's
                        // division for std values that are not powers of two.
                        let m = mean[c], s = std[c]
                        let base = (n * 3 + c) * plane
                        for p in 0..<plane { dst[base + p] = (Float(src[p * 3 + source]) - m) / s }
                    }
                }
            }
        }
        return out
    }
}
