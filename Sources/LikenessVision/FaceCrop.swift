import LikenessCore

/// The picture of a face a gallery keeps: the box with room around it (a detector needs the
/// head and some background to find the face again), at most 400 px on its longer side, as a
/// JPEG of high quality. About 15-40 KB a face.
public enum FaceCrop {
    /// Room on each side, as a share of the box's size.
    static let margin = 0.6
    public static let maxSide = 400
    static let jpegQuality = 92

    /// The region kept for a face box, inside the image.
    public static func region(_ box: BoundingBox, imageWidth: Int, imageHeight: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        let x0 = max(0, Int((box.x - margin * box.width).rounded(.down)))
        let y0 = max(0, Int((box.y - margin * box.height).rounded(.down)))
        let x1 = min(imageWidth, Int((box.x + (1 + margin) * box.width).rounded(.up)))
        let y1 = min(imageHeight, Int((box.y + (1 + margin) * box.height).rounded(.up)))
        return (x0, y0, max(1, x1 - x0), max(1, y1 - y0))
    }

    public static func encode(_ box: BoundingBox, of image: Image) throws -> [UInt8] {
        var r = region(box, imageWidth: image.width, imageHeight: image.height)
        // A box wholly outside the image (a detector's extrapolation) keeps a 1-pixel region inside.
        r.x = min(r.x, image.width - 1)
        r.y = min(r.y, image.height - 1)
        r.width = min(r.width, image.width - r.x)
        r.height = min(r.height, image.height - r.y)
        let size = ImageTransforms.shrunkSize(width: r.width, height: r.height, limit: maxSide)
        let pixels = try ImageTransforms.resize(image, x: r.x, y: r.y, width: r.width, height: r.height, to: size)
        return try ImageDecoder.encode(Image(width: pixels.width, height: pixels.height, bgr: pixels.bgr), as: ".jpg", quality: jpegQuality)
    }
}
