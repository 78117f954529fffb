import ArgumentParser
import Foundation
import LikenessCore
import LikenessUseCases

/// Where `enroll` and `identify` work: a running server (`--url`), else the database.
struct TargetOptions: ParsableArguments {
    @Option(help: "A running server's base URL, e.g. http://127.0.0.1:8000 (default: work on the database directly).") var url: String?
    @Option(help: "Token or API key for --url ($LIKENESS_TOKEN); enrolment needs an operator's.") var token: String?
    @Option(help: "Data directory, for the database and the index snapshot ($LIKENESS_DATA_DIR; default ./data).") var dataDir: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var pipeline: PipelineOptions

    func target(workers: Int) throws -> any GalleryTarget {
        if let url {
            guard let base = URL(string: url), base.scheme == "http" || base.scheme == "https" else {
                throw ValidationError("--url must be an http(s) URL, not '\(url)'")
            }
            let token = token ?? ProcessInfo.processInfo.environment["LIKENESS_TOKEN"]
            return RemoteGallery(base: base, token: token?.isEmpty == false ? token : nil)
        }
        let data = dataDir ?? ProcessInfo.processInfo.environment["LIKENESS_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "data"
        var store = store
        if store.databaseURL == nil, ProcessInfo.processInfo.environment["LIKENESS_DATABASE_URL"]?.isEmpty ?? true {
            store.databaseURL = "sqlite://\(data)/likeness.db"
        }
        var pipeline = pipeline
        if pipeline.modelDir == nil, ProcessInfo.processInfo.environment["LIKENESS_MODEL_DIR"] == nil { pipeline.modelDir = data + "/models" }
        return try LocalGallery(pipeline: pipeline.makePipeline(), databaseURL: store.resolved, dataDirectory: data, workers: workers)
    }
}

/// `likeness enroll DIR`: a folder per person (DIR/<class_id>/*.jpg), enrolled in parallel,
/// resumable (photos already enrolled for their person are skipped, by content hash).
struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enroll a folder of photos, one sub-folder per person (DIR/<class_id>/*.jpg).",
        discussion: "The sub-folder's name is the class_id, and the name of a person created for it. Photos already enrolled for their person are skipped, so an interrupted run resumes where it stopped."
    )

    @Argument(help: "The folder of people's folders.") var directory: String
    @Option(name: .shortAndLong, help: "Photos analysed at once (default: the number of cores).") var jobs: Int?
    @OptionGroup var target: TargetOptions

    static let extensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "pgm", "ppm"]

    /// Every person's photos, in a stable order.
    static func scan(_ directory: String) throws -> [(classID: String, path: String)] {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("\(directory) is not a folder")
        }
        var photos: [(String, String)] = []
        for person in try manager.contentsOfDirectory(atPath: directory).sorted() where !person.hasPrefix(".") {
            let folder = (directory as NSString).appendingPathComponent(person)
            guard manager.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else { continue }
            for file in try manager.contentsOfDirectory(atPath: folder).sorted()
            where extensions.contains((file as NSString).pathExtension.lowercased()) {
                photos.append((person, (folder as NSString).appendingPathComponent(file)))
            }
        }
        return photos
    }

    func run() async throws {
        let photos = try Self.scan(directory)
        guard !photos.isEmpty else { throw ValidationError("no photos in \(directory)/<class_id>/") }
        let workers = max(1, jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        let gallery = try target.target(workers: workers)
        let progress = ProgressReporter(total: photos.count)

        // What each person already has, once per person.
        var enrolled: [String: Set<String>] = [:]
        for classID in Set(photos.map(\.classID)) { enrolled[classID] = try await gallery.enrolledPhotos(of: classID) }

        var summary = EnrollSummary()
        try await withThrowingTaskGroup(of: (String, EnrollResult).self) { group in
            var next = 0
            func start() {
                guard next < photos.count else { return }
                let (classID, path) = photos[next]
                next += 1
                let known = enrolled[classID] ?? []
                group.addTask {
                    guard let data = FileManager.default.contents(atPath: path) else {
                        return (path, .refused(code: "unreadable", message: "cannot read the file"))
                    }
                    let bytes = [UInt8](data)
                    if known.contains(TokenService.sha256Hex(bytes)) { return (path, .skipped) }
                    return (path, try await gallery.enroll(bytes, filename: (path as NSString).lastPathComponent, classID: classID, name: classID))
                }
            }
            for _ in 0..<workers { start() }
            while let (path, result) = try await group.next() {
                summary.add(path, result)
                progress.step(summary.line)
                start()
            }
        }
        progress.finish()
        print(summary.report)
        if summary.failed > 0 && summary.enrolled == 0 && summary.skipped == 0 { throw ExitCode(1) }
    }
}

/// Counts, and the photos worth a second look.
struct EnrollSummary {
    var enrolled = 0, skipped = 0, failed = 0
    var noFace: [String] = []
    var severalFaces: [(String, Int)] = []
    var refused: [(String, String)] = []

    mutating func add(_ path: String, _ result: EnrollResult) {
        switch result {
        case let .enrolled(faces):
            enrolled += 1
            if faces > 1 { severalFaces.append((path, faces)) }
        case .skipped: skipped += 1
        case .noFace:
            failed += 1
            noFace.append(path)
        case let .refused(code, message):
            failed += 1
            refused.append((path, "\(code): \(message)"))
        }
    }

    var line: String { "enrolled \(enrolled), already enrolled \(skipped), not enrolled \(failed)" }

    var report: String {
        var out = [line]
        if !noFace.isEmpty { out.append("no face (\(noFace.count)):"); out += noFace.map { "  \($0)" } }
        if !severalFaces.isEmpty {
            out.append("several faces, the largest enrolled (\(severalFaces.count)):")
            out += severalFaces.map { "  \($0.0) (\($0.1) faces)" }
        }
        if !refused.isEmpty { out.append("refused (\(refused.count)):"); out += refused.map { "  \($0.0): \($0.1)" } }
        return out.joined(separator: "\n")
    }
}

/// A progress bar on a terminal; on a pipe or a file, a plain line every 5% (logs stay short).
final class ProgressReporter: @unchecked Sendable {
    let total: Int
    let terminal = isatty(STDERR_FILENO) != 0
    private var done = 0
    private var lastPercent = -1
    private let started = Date()

    init(total: Int) { self.total = total }

    func step(_ status: String) {
        done += 1
        let percent = done * 100 / max(1, total)
        let rate = Double(done) / max(0.001, Date().timeIntervalSince(started))
        if terminal {
            let width = 30, filled = done * width / max(1, total)
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(String(format: "%.1f", rate))/s  \(status)\u{1B}[K".utf8))
        } else if percent / 5 != lastPercent / 5 || done == total {
            FileHandle.standardError.write(Data("\(done)/\(total) (\(percent)%) \(String(format: "%.1f", rate))/s \(status)\n".utf8))
        }
        lastPercent = percent
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
