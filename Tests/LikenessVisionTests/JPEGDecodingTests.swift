import Foundation
import LikenessCore
@testable import LikenessVision
import Testing

/// JPEGs are decoded by libjpeg straight to BGR rather than through cv::imdecode; the pixels
/// must be OpenCV's, bit for bit, or every embedding downstream would move.
@Suite(.enabled(if: Fixtures.sharedAvailable, Fixtures.skipMessage))
struct JPEGDecodingTests {
    let decoder = ImageDecoder()

    /// Every JPEG of ../shared/faces (LFW, group photos, EXIF-rotated phone photos, spoofs).
    static func jpegs() -> [URL] {
        let root = Fixtures.shared.appendingPathComponent("faces")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        return files.filter { ["jpg", "jpeg"].contains($0.pathExtension.lowercased()) }.sorted { $0.path < $1.path }
    }

    @Test func everySharedJPEGDecodesAsOpenCVDoes() throws {
        let files = Self.jpegs()
        #expect(files.count > 3000)
        var compared = 0, refusedByBoth = 0
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: file))
            let ours = Result { () throws(ImageError) -> Image in try decoder.decode(bytes) }
            let opencv = Result { () throws(ImageError) -> Image in try decoder.decodeWithOpenCV(bytes) }
            switch (ours, opencv) {
            case let (.success(a), .success(b)):
                #expect(a == b, "\(file.lastPathComponent): pixels differ from cv::imdecode")
                compared += 1
            case (.failure, .failure): refusedByBoth += 1
            default: Issue.record("\(file.lastPathComponent): \(ours) against OpenCV's \(opencv)")
            }
        }
        #expect(compared > 3000, "\(compared) compared, \(refusedByBoth) refused by both")
    }

    /// Scrambled entropy-coded data: libjpeg either decodes it (with warnings, as OpenCV does)
    /// to OpenCV's pixels, or both refuse it; never a crash.
    @Test(arguments: [0x13, 0x5A, 0xFF] as [UInt8])
    func corruptScanDataMatchesOpenCV(mask: UInt8) throws {
        var jpeg = try Fixtures.bytes("lfw-devtrain/AJ_Cook/AJ_Cook_0001.jpg")
        let start = jpeg.count / 2
        for i in start..<(start + 64) { jpeg[i] ^= mask }
        let ours = Result { () throws(ImageError) -> Image in try decoder.decode(jpeg) }
        let opencv = Result { () throws(ImageError) -> Image in try decoder.decodeWithOpenCV(jpeg) }
        switch (ours, opencv) {
        case let (.success(a), .success(b)): #expect(a == b)
        case let (.failure(error), .failure):
            guard case .corrupt(format: "JPEG", _) = error else { Issue.record("\(error)"); return }
        default: Issue.record("\(ours) against OpenCV's \(opencv)")
        }
    }

    /// A Huffman table whose code counts overflow: libjpeg's fatal error comes back as a corrupt
    /// JPEG with its message, through the shim's longjmp, as OpenCV refuses it too.
    @Test func aBogusHuffmanTableIsRefusedWithLibjpegsReason() throws {
        var jpeg = try Fixtures.bytes("lfw-devtrain/AJ_Cook/AJ_Cook_0001.jpg")
        let dht = try #require(jpeg.indices.first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC4 })
        for i in (dht + 5)..<(dht + 21) { jpeg[i] = 0xFF }
        #expect(throws: ImageError.corrupt(format: "JPEG", reason: "Bogus Huffman table definition")) { try decoder.decode(jpeg) }
        #expect(throws: ImageError.self) { try decoder.decodeWithOpenCV(jpeg) }
    }
}
