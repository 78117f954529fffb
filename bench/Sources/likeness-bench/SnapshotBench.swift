import CKernels
import Foundation
import LikenessCore
import LikenessIndex

/// Snapshot write and load at n x d, with the load's parts timed apart: the file read, the
/// checksum, and the whole validated load.
func snapshotOnly(n: Int, d: Int, path: String) throws {
    let g = Gallery(n: n, d: d, queries: 1)
    let index = ExactIndex(dimension: d, capacity: n)
    try g.rows.withUnsafeBufferPointer { try index.upsert(ids: g.ids, rows: $0) }
    let recognizer = RecognizerID("bench")
    let writeMs = try milliseconds { try Snapshot.write(index, recognizer: recognizer, position: 1, to: path) }
    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    defer { buffer.deallocate() }
    let readMs = milliseconds {
        let fd = open(path, O_RDONLY)
        var done = 0
        while done < size { let r = read(fd, buffer + done, min(size - done, 1 << 30)); if r <= 0 { break }; done += r }
        close(fd)
    }
    var sum: UInt64 = 0
    let checksumMs = milliseconds { sum = lk_checksum64(buffer, size, 2) }
    var loadMs: [Double] = []
    for _ in 0..<3 {
        let loaded = ExactIndex(dimension: d)
        loadMs.append(try milliseconds { try Snapshot.load(path, into: loaded, recognizer: recognizer) })
    }
    report(String(format: "snapshot %d x %d (%d MB): write with fsync %.0f ms; load: read alone %.0f ms, checksum alone %.0f ms (%llx), validated load median %.0f ms (runs: %@)",
                  n, d, size / 1_000_000, writeMs, readMs, checksumMs, sum & 0xF, median(loadMs), loadMs.map { String(format: "%.0f", $0) }.joined(separator: ", ")))
    unlink(path)
}
