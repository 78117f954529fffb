import Foundation
import LikenessCore
import LikenessVision

/// For valgrind: loads a pack (or the dlib pack) and analyses each image with every feature on,
/// printing one line per image; a pack that fails to load prints its error. Exercises the
/// OpenCV (decode, DNN, FaceDetectorYN, warps) and dlib shims on success and error paths.
func visionCheck(pack: String?, images: [String]) {
    let pipeline: FacePipeline
    do {
        pipeline = try pack.map { try FacePipeline.load(try InstalledPack.read(path: $0)) } ?? FacePipeline.dlib()
    } catch {
        print("load failed: \(error)")
        return
    }
    for path in images {
        do {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let analysis = try pipeline.analyzeNow(bytes, options: AnalysisOptions(liveness: true, attributes: true))
            print("\(path): \(analysis.faces.count) faces")
        } catch {
            print("\(path): \(error)")
        }
    }
}
