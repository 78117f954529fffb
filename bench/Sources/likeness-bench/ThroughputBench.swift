import Dispatch
import Foundation
import LikenessCore
import LikenessVision

/// Images analysed per second by one pipeline shared by `threads` threads (as the server's
/// inference workers share it), each thread taking the next image of the list, `rounds` times.
func throughput(pack: String?, threads: Int, rounds: Int, images: [String]) throws {
    let pipeline = try pack.map { try FacePipeline.load(try InstalledPack.read(path: $0)) } ?? FacePipeline.dlib()
    let blobs = try images.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0))) }
    let jobs = (0..<rounds).flatMap { _ in blobs }
    _ = try pipeline.analyzeNow(blobs[0])
    let next = Counter()
    let started = DispatchTime.now()
    DispatchQueue.concurrentPerform(iterations: threads) { _ in
        while true {
            let i = next.take()
            guard i < jobs.count else { return }
            _ = try? pipeline.analyzeNow(jobs[i], options: AnalysisOptions(liveness: true))
        }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
    print(String(format: "%@, %d thread(s): %d images in %.2f s = %.1f images/s", pack ?? "dlib", threads, jobs.count, seconds,
                 Double(jobs.count) / seconds))
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
