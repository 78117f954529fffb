import Foundation
import LikenessIndex
import Testing

/// The readers `likeness import-original` stands on: NumPy arrays and archives, FAISS files.
/// The fixtures were written by numpy and faiss themselves (Tests/Fixtures/original/make_original.py).
@Suite struct OriginalFilesTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/original")

    /// A version 1 `.npy` file as numpy writes it: magic, header padded to 64 bytes, data.
    static func npy(descr: String, shape: String, fortran: Bool = false, data: [UInt8]) -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = header.utf8.count
        return NumpyArray.magicBytes + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + data
    }

    static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    }

    @Test func integersOfEveryWidthAndSign() throws {
        let i8 = try NumpyArray.parse(Self.npy(descr: "<i8", shape: "(3,)", data: Self.littleEndian([Int64(-5), 0, 1 << 40])))
        #expect(i8.integers == [-5, 0, 1 << 40] && i8.shape == [3])
        let i2 = try NumpyArray.parse(Self.npy(descr: "<i2", shape: "(2,)", data: Self.littleEndian([Int16(-300), 300])))
        #expect(i2.integers == [-300, 300])
        let u4 = try NumpyArray.parse(Self.npy(descr: "<u4", shape: "(1,)", data: Self.littleEndian([UInt32.max])))
        #expect(u4.integers == [Int64(UInt32.max)])
        let b = try NumpyArray.parse(Self.npy(descr: "|b1", shape: "(2,)", data: [1, 0]))
        #expect(b.integers == [1, 0])
    }

    @Test func realsAndTextAsClassIds() throws {
        let f8 = try NumpyArray.parse(Self.npy(descr: "<f8", shape: "(2,)", data: Self.littleEndian([(7.0).bitPattern, (2.5).bitPattern])))
        #expect(f8.texts == ["7", "2.5"])
        // '<U5': five UTF-32 code points per element, zero-padded.
        let names = ["Ana", "Nguyễn"].map { Array($0.unicodeScalars.map(\.value).prefix(6)) + Array(repeating: 0, count: 6 - min(6, $0.unicodeScalars.count)) }
        let u = try NumpyArray.parse(Self.npy(descr: "<U6", shape: "(2,)", data: Self.littleEndian(names.flatMap { $0 })))
        #expect(u.texts == ["Ana", "Nguyễn"])
        let s = try NumpyArray.parse(Self.npy(descr: "|S4", shape: "(2,)", data: Array("ab\0\0cdef".utf8)))
        #expect(s.texts == ["ab", "cdef"])
        let matrix = try NumpyArray.parse(Self.npy(descr: "<i4", shape: "(2, 2)", data: Self.littleEndian([Int32(1), 2, 3, 4])))
        #expect(matrix.shape == [2, 2] && matrix.count == 4)
    }

    /// Malformed files are errors that say what is wrong, never a crash or a pickle run.
    @Test func malformedArraysAreRefusedWithAReason() throws {
        let good = Self.npy(descr: "<i8", shape: "(3,)", data: Self.littleEndian([Int64(1), 2, 3]))
        let cases: [(String, [UInt8])] = [
            ("magic", Array("not numpy at all".utf8)),
            ("truncated", Array(good.prefix(good.count - 1))),
            ("truncated", Array(good.prefix(12))),
            ("object", Self.npy(descr: "|O", shape: "(1,)", data: Array(repeating: 0, count: 8))),
            ("big-endian", Self.npy(descr: ">i8", shape: "(1,)", data: Array(repeating: 0, count: 8))),
            ("Fortran", Self.npy(descr: "<i4", shape: "(2, 2)", fortran: true, data: Array(repeating: 0, count: 16))),
            ("too large", Self.npy(descr: "<i8", shape: "(4611686018427387904, 4)", data: [])),
            ("not supported", Self.npy(descr: "<c16", shape: "(1,)", data: Array(repeating: 0, count: 16))),
            ("shape", Self.npy(descr: "<i8", shape: "(x,)", data: [])),
            ("version", NumpyArray.magicBytes + [9, 0, 0, 0]),
        ]
        for (reason, bytes) in cases {
            #expect(throws: NumpyError.self, "\(reason)") { try NumpyArray.parse(bytes) }
            do {
                _ = try NumpyArray.parse(bytes)
            } catch {
                #expect(error.message.contains(reason), "\(reason): \(error.message)")
            }
        }
        // Every prefix of a valid file: refused or read, never a crash.
        for n in 0..<good.count { _ = try? NumpyArray.parse(Array(good.prefix(n))) }
    }

    @Test func theFixtureArchiveAndIndexAgree() throws {
        let arrays = try NumpyArchive.read(path: Self.fixtures.appendingPathComponent("faiss_index.npz").path)
        let ids = try #require(arrays["ids"]?.integers)
        let classes = try #require(arrays["class_ids"]?.texts)
        #expect(ids.count == 20 && classes.count == 20)
        #expect(classes.first == "Aaron_Peirsol")

        let index = try FAISSFile.read(path: Self.fixtures.appendingPathComponent("faiss_index.index").path)
        #expect(index.dimension == 128 && index.count == 20 && index.isInnerProduct)
        #expect(index.labels == ids)
        #expect(index.labels == (0..<20).map { 1000 + 7 * Int64($0) })
        for row in 0..<index.count {
            let norm = index.vector(at: row).reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-4)
        }
    }

    @Test func filesThatAreNotWhatTheySayAreErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-original-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let index = try Data(contentsOf: Self.fixtures.appendingPathComponent("faiss_index.index"))
        let truncated = dir.appendingPathComponent("truncated.index")
        try index.prefix(index.count / 2).write(to: truncated)
        #expect(throws: FaissError.self) { try FAISSFile.read(path: truncated.path) }
        let text = dir.appendingPathComponent("text.index")
        try Data("class_id,name\n".utf8).write(to: text)
        #expect(throws: FaissError.self) { try FAISSFile.read(path: text.path) }
        #expect(throws: FaissError.self) { try FAISSFile.read(path: dir.appendingPathComponent("absent.index").path) }
        #expect(throws: NumpyError.self) { try NumpyArchive.read(path: text.path) }
        #expect(throws: NumpyError.self) { try NumpyArchive.read(path: truncated.path) }
    }
}
