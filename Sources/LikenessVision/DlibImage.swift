import CDlib
import LikenessCore

/// An image copied into dlib's RGB layout, freed with the value.
final class DlibImage {
    let pointer: OpaquePointer
    let width: Int
    let height: Int

    init(_ image: Image) throws(NativeError) {
        var out: OpaquePointer?
        try NativeError.check("dlib") { err, len in
            image.bgr.withUnsafeBufferPointer {
                ldl_image_from_bgr($0.baseAddress, Int32(image.width), Int32(image.height), image.rowStride, &out, err, len)
            }
        }
        pointer = out!
        width = image.width
        height = image.height
    }

    deinit { ldl_image_free(pointer) }
}
