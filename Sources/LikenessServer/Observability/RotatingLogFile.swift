import Foundation
import Logging
import Synchronization

/// A log file that rotates by size: when a line would take it past `maxBytes`, app.log becomes
/// app.log.1 (app.log.1 becomes app.log.2, ...), the oldest beyond `keep` is deleted, and a
/// new app.log is started. Writes are appended whole lines under one lock, so lines from many
/// threads never interleave.
public final class RotatingLogFile: Sendable {
    public let path: String
    public let maxBytes: Int
    public let keep: Int
    private let state: Mutex<(descriptor: Int32, size: Int)>

    public init(path: String, maxBytes: Int = 10 << 20, keep: Int = 5) throws {
        self.path = path
        self.maxBytes = max(1024, maxBytes)
        self.keep = max(1, keep)
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        var info = stat()
        let size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        state = Mutex((fd, size))
    }

    deinit { state.withLock { _ = close($0.descriptor) } }

    public func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        state.withLock { s in
            if s.size > 0, s.size + bytes.count > maxBytes { rotate(&s) }
            // A full disk loses log lines, never requests.
            let written = bytes.withUnsafeBytes { Foundation.write(s.descriptor, $0.baseAddress, $0.count) }
            if written > 0 { s.size += written }
        }
    }

    private func rotate(_ s: inout (descriptor: Int32, size: Int)) {
        close(s.descriptor)
        unlink("\(path).\(keep)")
        for n in stride(from: keep - 1, through: 1, by: -1) { rename("\(path).\(n)", "\(path).\(n + 1)") }
        rename(path, "\(path).1")
        s.descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        s.size = 0
    }
}

/// swift-log lines into a `RotatingLogFile`, in the same shape as the terminal's.
public struct FileLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let file: RotatingLogFile

    public init(label: String, file: RotatingLogFile) {
        self.label = label
        self.file = file
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let stamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        file.write("\(stamp) \(event.level) \(label):\(fields.isEmpty ? "" : " " + fields) \(event.message)")
    }
}
