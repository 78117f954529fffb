import CKernels
import Glibc
import LikenessCore

/// Why a snapshot could not be used. Any of these makes the index rebuild from the database.
public enum SnapshotError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing
    case unreadable(String)
    case badMagic
    case unsupportedVersion(UInt32)
    case truncated(expected: Int, actual: Int)
    case checksumMismatch(section: String)
    case mismatch(String)
    case duplicateID
    case writeFailed(String)

    public var description: String {
        switch self {
        case .missing: "no snapshot"
        case let .unreadable(why): "snapshot unreadable: \(why)"
        case .badMagic: "not a Likeness index snapshot"
        case let .unsupportedVersion(v): "snapshot format version \(v) is not supported"
        case let .truncated(expected, actual): "snapshot truncated: \(actual) bytes, expected \(expected)"
        case let .checksumMismatch(section): "snapshot checksum mismatch in the \(section)"
        case let .mismatch(what): "snapshot is for another index: \(what)"
        case .duplicateID: "snapshot holds a face id twice"
        case let .writeFailed(why): "snapshot could not be written: \(why)"
        }
    }
}

/// The snapshot's header: what the index holds and the database position it reflects.
public struct SnapshotHeader: Sendable, Equatable {
    public static let magic = Array("LKNSNAP\u{1}".utf8)
    public static let version: UInt32 = 1

    public var dimension: Int
    public var count: Int
    public var position: Int64
    public var recognizer: RecognizerID
    var idsChecksum: UInt64 = 0
    var vectorsChecksum: UInt64 = 0

    var encodedSize: Int { Self.magic.count + 4 + 4 + 8 + 8 + 2 + recognizer.rawValue.utf8.count + 8 + 8 + 8 }

    func encoded() -> [UInt8] {
        var out = Self.magic
        out.appendLittleEndian(Self.version)
        out.appendLittleEndian(UInt32(dimension))
        out.appendLittleEndian(UInt64(count))
        out.appendLittleEndian(position)
        let name = Array(recognizer.rawValue.utf8)
        out.appendLittleEndian(UInt16(name.count))
        out += name
        out.appendLittleEndian(idsChecksum)
        out.appendLittleEndian(vectorsChecksum)
        out.appendLittleEndian(lk_checksum64(out, out.count, 0))
        return out
    }
}

/// Crash-safe snapshots of an `ExactIndex`: written to a temporary file, fsynced, renamed
/// over the old one, and the directory fsynced, so a crash leaves the old snapshot or the new,
/// never a mix. Loading checks every field and checksum before trusting a byte.
///
/// Layout (little-endian): header (magic, version, dimension, count, position, recognizer,
/// section checksums, header checksum), then `count` Int64 ids, then `count * dimension`
/// float32 values.
public enum Snapshot {
    public static func write(_ index: ExactIndex, recognizer: RecognizerID, position: Int64, to path: String) throws {
        guard recognizer.rawValue.utf8.count <= 255 else { throw SnapshotError.mismatch("recognizer id too long") }
        let temporary = path + ".tmp-\(getpid())"
        do {
            try index.withContents { ids, rows in
                let vectorBytes = ids.count * index.dimension * 4
                var header = SnapshotHeader(dimension: index.dimension, count: ids.count, position: position, recognizer: recognizer)
                header.idsChecksum = ids.withUnsafeBytes { lk_checksum64($0.baseAddress, $0.count, 1) }
                header.vectorsChecksum = lk_checksum64(rows, vectorBytes, 2)
                let file = try File(creating: temporary)
                try file.write(header.encoded())
                try ids.withUnsafeBytes { try file.write($0) }
                try file.write(UnsafeRawBufferPointer(start: rows, count: vectorBytes))
                try file.syncAndClose()
            }
            guard rename(temporary, path) == 0 else { throw SnapshotError.writeFailed("rename: \(errnoText())") }
            File.syncDirectory(of: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Loads the snapshot into `index`, replacing its contents, and answers the database
    /// position it reflects. On any error `index` is left empty, ready for a rebuild.
    @discardableResult
    public static func load(_ path: String, into index: ExactIndex, recognizer: RecognizerID) throws(SnapshotError) -> Int64 {
        do {
            return try loadContents(path, into: index, recognizer: recognizer)
        } catch {
            index.removeAll()
            throw error
        }
    }

    private static func loadContents(_ path: String, into index: ExactIndex, recognizer: RecognizerID) throws(SnapshotError) -> Int64 {
        let file: File
        do { file = try File(reading: path) } catch let error as SnapshotError { throw error } catch { throw .unreadable("\(error)") }
        defer { file.close() }
        let size = file.size
        let fixed = SnapshotHeader.magic.count + 4 + 4 + 8 + 8 + 2
        try file.seek(0)
        var head = try file.read(count: min(size, fixed + 255 + 24))
        guard head.count >= fixed else { throw .truncated(expected: fixed, actual: size) }
        guard Array(head[0..<8]) == SnapshotHeader.magic else { throw .badMagic }
        let reader = LittleEndianReader(head)
        let version: UInt32 = reader.read(at: 8)
        guard version == SnapshotHeader.version else { throw .unsupportedVersion(version) }
        let dimension = Int(reader.read(at: 12) as UInt32)
        // A corrupt count must fail the load (and so rebuild from the database), not trap.
        guard let count = Int(exactly: reader.read(at: 16) as UInt64) else { throw .mismatch("vector count out of range") }
        let position: Int64 = reader.read(at: 24)
        let nameLength = Int(reader.read(at: 32) as UInt16)
        let headerSize = fixed + nameLength + 24
        guard head.count >= headerSize else { throw .truncated(expected: headerSize, actual: size) }
        head = Array(head[0..<headerSize])
        try file.seek(headerSize)
        let stored: UInt64 = reader.read(at: headerSize - 8)
        guard lk_checksum64(head, headerSize - 8, 0) == stored else { throw .checksumMismatch(section: "header") }
        let name = String(decoding: head[(fixed)..<(fixed + nameLength)], as: UTF8.self)
        guard name == recognizer.rawValue else { throw .mismatch("recognizer \(name), expected \(recognizer.rawValue)") }
        guard dimension == index.dimension else { throw .mismatch("dimension \(dimension), expected \(index.dimension)") }
        let (idBytes, o1) = count.multipliedReportingOverflow(by: 8)
        let (vectorBytes, o2) = count.multipliedReportingOverflow(by: dimension * 4)
        guard !o1, !o2, headerSize + idBytes + vectorBytes == size else {
            throw .truncated(expected: o1 || o2 ? -1 : headerSize + idBytes + vectorBytes, actual: size)
        }
        let idsChecksum: UInt64 = reader.read(at: headerSize - 24)
        let vectorsChecksum: UInt64 = reader.read(at: headerSize - 16)

        let idData = try file.read(count: idBytes)
        guard idData.count == idBytes else { throw .truncated(expected: size, actual: headerSize + idData.count) }
        guard lk_checksum64(idData, idBytes, 1) == idsChecksum else { throw .checksumMismatch(section: "ids") }
        let ids = idData.withUnsafeBytes { raw in
            (0..<count).map { FaceID(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: FaceID.self)) }
        }
        do {
            let unique = try index.replaceContents(ids: ids) { rows in
                try file.read(into: UnsafeMutableRawPointer(rows), count: vectorBytes)
                guard lk_checksum64(rows, vectorBytes, 2) == vectorsChecksum else { throw SnapshotError.checksumMismatch(section: "vectors") }
            }
            guard unique else { throw SnapshotError.duplicateID }
        } catch let error as SnapshotError {
            throw error
        } catch {
            throw .unreadable("\(error)")
        }
        return position
    }
}

private func errnoText() -> String { String(cString: strerror(errno)) }

/// A POSIX file with exact-length reads and writes (large sections go straight from and to the
/// index's buffers, without copies).
private final class File {
    private var fd: Int32

    init(creating path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SnapshotError.writeFailed("open \(path): \(errnoText())") }
    }

    init(reading path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw errno == ENOENT ? SnapshotError.missing : SnapshotError.unreadable(errnoText()) }
    }

    deinit { close() }

    var size: Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, min(buffer.count - offset, 1 << 30))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SnapshotError.writeFailed(errnoText()) }
            offset += n
        }
    }

    func syncAndClose() throws {
        guard fsync(fd) == 0 else { throw SnapshotError.writeFailed("fsync: \(errnoText())") }
        guard Glibc.close(fd) == 0 else { throw SnapshotError.writeFailed("close: \(errnoText())") }
        fd = -1
    }

    func seek(_ offset: Int) throws(SnapshotError) {
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else { throw .unreadable(errnoText()) }
    }

    func read(count: Int) throws(SnapshotError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let got = out.withUnsafeMutableBytes { readUpTo($0.baseAddress!, count) }
        guard got >= 0 else { throw .unreadable(errnoText()) }
        return Array(out.prefix(got))
    }

    func read(into pointer: UnsafeMutableRawPointer, count: Int) throws(SnapshotError) {
        let got = readUpTo(pointer, count)
        guard got >= 0 else { throw .unreadable(errnoText()) }
        guard got == count else { throw .truncated(expected: count, actual: got) }
    }

    private func readUpTo(_ pointer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        var offset = 0
        while offset < count {
            let n = Glibc.read(fd, pointer + offset, min(count - offset, 1 << 30))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return -1 }
            if n == 0 { break }
            offset += n
        }
        return offset
    }

    static func syncDirectory(of path: String) {
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            Glibc.close(fd)
        }
    }
}

struct LittleEndianReader {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read<T: FixedWidthInteger>(at offset: Int) -> T {
        var value: T = 0
        for i in 0..<MemoryLayout<T>.size { value |= T(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
        return value
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        for i in 0..<MemoryLayout<T>.size { append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
    }
}
