import LikenessCore
@testable import LikenessVision
import Testing

/// The quality meter's grey resample (tables per column, Float) against bilinear sampling done
/// the plain way, in Double, pixel by pixel, on an image with a distinct value at every pixel.
struct QualityResampleTests {
    static func image(width: Int, height: Int) -> Image {
        var bgr = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                bgr[i] = UInt8((x * 7 + y * 3) % 256)
                bgr[i + 1] = UInt8((x * 5 + y * 11) % 256)
                bgr[i + 2] = UInt8((x * 13 + y * 2) % 256)
            }
        }
        return Image(width: width, height: height, bgr: bgr)
    }

    static func plain(_ box: BoundingBox, _ image: Image, row: Int, col: Int) -> Double {
        let n = Double(FaceQualityMeter.side)
        func grey(_ x: Int, _ y: Int) -> Double {
            let i = (y * image.width + x) * 3
            return 0.114 * Double(image.bgr[i]) + 0.587 * Double(image.bgr[i + 1]) + 0.299 * Double(image.bgr[i + 2])
        }
        let sy = min(Double(image.height - 1), max(0, box.y + (Double(row) + 0.5) * box.height / n - 0.5))
        let sx = min(Double(image.width - 1), max(0, box.x + (Double(col) + 0.5) * box.width / n - 0.5))
        let x0 = Int(sx), y0 = Int(sy), x1 = min(x0 + 1, image.width - 1), y1 = min(y0 + 1, image.height - 1)
        let fx = sx - Double(x0), fy = sy - Double(y0)
        let top = grey(x0, y0) * (1 - fx) + grey(x1, y0) * fx
        let bottom = grey(x0, y1) * (1 - fx) + grey(x1, y1) * fx
        return top * (1 - fy) + bottom * fy
    }

    @Test(arguments: [BoundingBox(x: 10.3, y: 20.7, width: 80.5, height: 95.2),   // inside, shrunk
                      BoundingBox(x: 100, y: 90, width: 40, height: 30),          // enlarged
                      BoundingBox(x: -12, y: -5, width: 170, height: 160)])       // past the edges, clamped
    func matchesPlainBilinearSampling(box: BoundingBox) {
        let image = Self.image(width: 150, height: 130)
        let grey = FaceQualityMeter.resampledGrey(box, image)
        let n = FaceQualityMeter.side
        #expect(grey.count == n * n)
        var worst = 0.0
        for row in 0..<n {
            for col in 0..<n {
                worst = max(worst, abs(Double(grey[row * n + col]) - Self.plain(box, image, row: row, col: col)))
            }
        }
        #expect(worst < 1e-3, "worst difference \(worst) grey levels")
    }
}
