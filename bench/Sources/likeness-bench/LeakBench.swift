import Foundation
import LikenessCore
import LikenessVision

func residentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
    return kb / 1024
}

func leak(image path: String, iterations: Int, pack: String? = nil) throws {
    let pipeline = try pack.map { try FacePipeline.load(try InstalledPack.read(path: $0)) } ?? FacePipeline.dlib()
    let options = AnalysisOptions(liveness: true, attributes: true)
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let truncated = Array(bytes.prefix(bytes.count / 2))
    // Intact PNG chunks around scrambled pixel data: fails inside OpenCV's decoder.
    var corrupt = try ImageDecoder.encode(try pipeline.decoder.decode(bytes), as: ".png")
    let idat = corrupt.indices.first { corrupt[$0..<($0 + 4)].elementsEqual(Array("IDAT".utf8)) }!
    for i in (idat + 6)..<(idat + 70) { corrupt[i] ^= 0x5A }
    var samples: [(Int, Double)] = []
    var faces = 0
    for i in 1...iterations {
        // Each round also feeds the error paths, which must free what they allocated too.
        faces += try pipeline.analyzeNow(bytes, options: options).faces.count
        _ = try? pipeline.analyzeNow(truncated)
        _ = try? pipeline.analyzeNow(corrupt)
        _ = try? pipeline.decoder.decode(Array(bytes.prefix(20)))
        if i % max(1, iterations / 10) == 0 || i == 1 {
            samples.append((i, residentMegabytes()))
            print(String(format: "iteration %5d  RSS %.1f MB", i, samples.last!.1))
        }
    }
    // The first rounds warm up allocator arenas and the network's buffers; compare after them.
    let base = samples.first { $0.0 >= iterations / 10 }?.1 ?? samples[0].1
    let growth = samples.last!.1 - base
    print(String(format: "faces found: %d; RSS growth after warm-up: %.1f MB over %d iterations", faces, growth, iterations))
    print(growth < 5 ? "RSS FLAT" : "RSS GROWING")
    if growth >= 5 { exit(1) }
}

