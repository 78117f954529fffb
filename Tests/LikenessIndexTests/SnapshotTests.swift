import CKernels
import Foundation
import LikenessCore
import LikenessIndex
import Testing

@Suite struct SnapshotTests {
    let recognizer = RecognizerID("dlib_resnet_v1")

    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("likeness-snap-\(UUID().uuidString)").path
    }

    func sampleIndex(_ n: Int = 300, precision: ScanPrecision = .float32) throws -> (ExactIndex, [(FaceID, [Float])]) {
        var gen = VectorGenerator(seed: 99)
        let data = (0..<n).map { (FaceID($0 * 2 + 10), gen.unitVector(16)) }
        let index = ExactIndex(dimension: 16, precision: precision)
        try index.upsert(contentsOf: data)
        return (index, data)
    }

    @Test(arguments: ScanPrecision.allCases)
    func roundTrip(precision: ScanPrecision) throws {
        let (index, data) = try sampleIndex(precision: precision)
        index.remove(id: 10)
        let path = temporaryPath()
        defer { unlink(path) }
        try Snapshot.write(index, recognizer: recognizer, position: 1234, to: path)
        let loaded = ExactIndex(dimension: 16, precision: precision)
        #expect(try Snapshot.load(path, into: loaded, recognizer: recognizer) == 1234)
        #expect(loaded.count == data.count - 1 && !loaded.contains(id: 10))
        for (id, v) in data.dropFirst() {
            #expect(loaded.vector(id: id) == v)
            #expect(try loaded.search(v, k: 1, minScore: 0).first?.id == id)
        }
        // No temporary file is left behind.
        let dir = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("tmp-") && $0.contains((path as NSString).lastPathComponent) }.isEmpty)
    }

    @Test func emptyIndexRoundTrips() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        try Snapshot.write(ExactIndex(dimension: 16), recognizer: recognizer, position: 0, to: path)
        let loaded = ExactIndex(dimension: 16)
        #expect(try Snapshot.load(path, into: loaded, recognizer: recognizer) == 0 && loaded.count == 0)
    }

    /// Each way a snapshot can be broken is detected, and leaves the index empty.
    @Test func brokenSnapshotsAreRefused() throws {
        let (index, _) = try sampleIndex()
        let path = temporaryPath()
        defer { unlink(path) }
        try Snapshot.write(index, recognizer: recognizer, position: 7, to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerSize = 8 + 4 + 4 + 8 + 8 + 2 + recognizer.rawValue.utf8.count + 24

        func check(_ bytes: Data, _ expected: (SnapshotError) -> Bool, _ what: String) throws {
            try bytes.write(to: URL(fileURLWithPath: path))
            let target = ExactIndex(dimension: 16)
            try target.upsert(id: 1, vector: [Float](repeating: 0.25, count: 16))
            do {
                try Snapshot.load(path, into: target, recognizer: recognizer)
                Issue.record("\(what): loaded")
            } catch {
                #expect(expected(error), "\(what): \(error)")
            }
            #expect(target.count == 0 || what.hasPrefix("mismatch"), "\(what): index not emptied")
        }
        func flipping(_ offset: Int) -> Data {
            var d = good
            d[offset] ^= 0x01
            return d
        }
        try check(good.prefix(good.count - 1), { if case .truncated = $0 { true } else { false } }, "truncated tail")
        try check(good.prefix(20), { if case .truncated = $0 { true } else { false } }, "truncated header")
        try check(Data(), { if case .truncated = $0 { true } else { false } }, "empty file")
        try check(good + Data([0]), { if case .truncated = $0 { true } else { false } }, "trailing byte")
        try check(flipping(0), { $0 == .badMagic }, "magic")
        try check(flipping(8), { if case .unsupportedVersion = $0 { true } else { false } }, "version")
        try check(flipping(26), { $0 == .checksumMismatch(section: "header") }, "position")
        try check(flipping(headerSize + 3), { $0 == .checksumMismatch(section: "ids") }, "ids")
        try check(flipping(good.count - 5), { $0 == .checksumMismatch(section: "vectors") }, "vectors")
        // A count with its top bit set (beyond Int) used to trap the conversion: now refused.
        var huge = good
        huge[23] |= 0x80
        try check(huge, { if case .mismatch = $0 { true } else { false } }, "mismatch: count beyond Int")

        // A well-formed snapshot of another recognizer or dimension is not used either.
        try good.write(to: URL(fileURLWithPath: path))
        #expect(throws: SnapshotError.self) { try Snapshot.load(path, into: ExactIndex(dimension: 16), recognizer: RecognizerID("other")) }
        #expect(throws: SnapshotError.self) { try Snapshot.load(path, into: ExactIndex(dimension: 32), recognizer: recognizer) }
        unlink(path)
        #expect(throws: SnapshotError.missing) { try Snapshot.load(path, into: ExactIndex(dimension: 16), recognizer: recognizer) }
    }

    /// A snapshot whose checksums are right but which names a face twice (a bug that
    /// wrote it, not bit rot) is refused too.
    @Test func duplicateIDsAreRefused() throws {
        let (index, _) = try sampleIndex(2)
        let path = temporaryPath()
        defer { unlink(path) }
        try Snapshot.write(index, recognizer: recognizer, position: 1, to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerSize = 8 + 4 + 4 + 8 + 8 + 2 + recognizer.rawValue.utf8.count + 24
        bytes.replaceSubrange((headerSize + 8)..<(headerSize + 16), with: bytes[headerSize..<(headerSize + 8)])
        func put(_ value: UInt64, at offset: Int) {
            for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        }
        put(Array(bytes[headerSize..<(headerSize + 16)]).withUnsafeBytes { lk_checksum64($0.baseAddress, 16, 1) }, at: headerSize - 24)
        put(lk_checksum64(bytes, headerSize - 8, 0), at: headerSize - 8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: SnapshotError.duplicateID) {
            try Snapshot.load(path, into: ExactIndex(dimension: 16), recognizer: recognizer)
        }
    }

    @Test func writeFailureLeavesOldSnapshot() throws {
        let (index, _) = try sampleIndex()
        #expect(throws: SnapshotError.self) {
            try Snapshot.write(index, recognizer: recognizer, position: 1, to: "/nonexistent-dir/x.snap")
        }
    }
}

@Suite struct IndexLoaderTests {
    let recognizer = RecognizerID("r")

    @Test func rebuildsWithoutSnapshotThenLoadsAndReplays() throws {
        var gen = VectorGenerator(seed: 5)
        let source = MemoryEmbeddingSource(recognizer: recognizer)
        for id in 1...200 as ClosedRange<FaceID> { source.upsert(id, gen.unitVector(8)) }
        source.delete(5)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-loader-\(UUID().uuidString)").path
        defer { unlink(path) }
        let loader = IndexLoader(recognizer: recognizer, dimension: 8, snapshotPath: path)

        let (first, report1) = try loader.open(source: source)
        guard case .rebuilt = report1.origin else { Issue.record("expected a rebuild"); return }
        #expect(first.count == 199 && report1.position == 201)
        try Snapshot.write(first, recognizer: recognizer, position: report1.position, to: path)

        // Changes after the snapshot: replayed on the next start.
        source.delete(6)
        source.upsert(7, gen.unitVector(8))
        source.upsert(500, gen.unitVector(8))
        let (second, report2) = try loader.open(source: source)
        #expect(report2.origin == .snapshot && report2.replayed == 3 && report2.position == 204)
        let live = source.live
        #expect(second.count == live.count)
        for (id, v) in live { #expect(second.vector(id: id) == v) }

        // A corrupted snapshot: rebuilt, with the reason, and the same contents.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let (third, report3) = try loader.open(source: source)
        #expect(report3.origin == .rebuilt(reason: "snapshot checksum mismatch in the vectors"))
        #expect(third.count == live.count)
        for (id, v) in live { #expect(third.vector(id: id) == v) }
    }
}
