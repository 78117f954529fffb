import LikenessVision
import Testing

/// The canvas rule of the image-sized detectors: the smallest longer side at which a face of the
/// pack's minimum size is still 20 px, within 160 and the input size.
struct DetectionScaleTests {
    @Test func anLFWPhotoIsDetectedAt160() {
        // 250 * 20 / 32 = 156.25: raised to the 160 floor.
        #expect(DetectionScale.limit(width: 250, height: 250, inputSize: 640, minFaceSize: 32) == 160)
        let size = ImageTransforms.shrunkSize(width: 250, height: 250, limit: 160)
        #expect(size.width == 160 && size.height == 160)
    }

    @Test func withoutAMinimumOnlyTheInputSizeLimits() {
        #expect(DetectionScale.limit(width: 250, height: 250, inputSize: 640, minFaceSize: nil) == 640)
        #expect(DetectionScale.limit(width: 4000, height: 3000, inputSize: 640, minFaceSize: 0) == 640)
    }

    @Test func largePhotosKeepTheirSmallFaces() {
        // 1000 * 20 / 32 = 625 (a 32 px face becomes 20 px); 1920 would need 1200, capped at 640.
        #expect(DetectionScale.limit(width: 1000, height: 750, inputSize: 640, minFaceSize: 32) == 625)
        #expect(DetectionScale.limit(width: 1920, height: 1080, inputSize: 640, minFaceSize: 32) == 640)
        // Rounded up, so the face is never below 20 px: 333 * 20 / 40 = 166.5 -> 167.
        #expect(DetectionScale.limit(width: 200, height: 333, inputSize: 640, minFaceSize: 40) == 167)
    }

    @Test func smallPhotosAreNeverShrunkBelowTheFloor() {
        #expect(DetectionScale.limit(width: 120, height: 90, inputSize: 640, minFaceSize: 64) == 160)
        let size = ImageTransforms.shrunkSize(width: 120, height: 90, limit: 160)
        #expect(size.width == 120 && size.height == 90)
    }
}
