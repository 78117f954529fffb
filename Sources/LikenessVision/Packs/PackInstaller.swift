import Foundation

public enum PackInstallError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownPack(String)
    case licenceNotAccepted(String)
    case downloadFailed(url: String, reason: String)
    case checksumMismatch(url: String, expected: String, actual: String)
    case badArchive(url: String, reason: String)
    case toolMissing(String)
    case io(String)

    public var description: String {
        switch self {
        case .unknownPack(let name):
            "no pack named \(name) in the catalog (known: \(PackCatalog.known.map(\.name).joined(separator: ", ")))"
        case .licenceNotAccepted(let licence): "the licence was not accepted: \(licence)"
        case .downloadFailed(let url, let reason): "download of \(url) failed: \(reason)"
        case .checksumMismatch(let url, let expected, let actual):
            "\(url) does not match its pinned sha256 (expected \(expected), got \(actual)); the partial file was removed"
        case .badArchive(let url, let reason): "\(url) is not a usable archive: \(reason)"
        case .toolMissing(let tool): "\(tool) is needed to install packs (scripts/setup.sh installs it)"
        case .io(let message): message
        }
    }
}

/// Downloads a catalog entry into `<modelDirectory>/<name>`: each file into a staging folder as
/// `.part` (kept, so an interrupted download resumes with an HTTP range request), checked
/// against its pinned sha256, archives unpacked, and the folder renamed into place only when
/// everything is there, so a half-installed pack is never visible.
public struct PackInstaller: Sendable {
    public var modelDirectory: String
    /// Fetch every file from `<mirror>/<file name>` instead of its publisher (offline mirrors,
    /// tests).
    public var mirror: String?
    public var log: @Sendable (String) -> Void

    public init(modelDirectory: String, mirror: String? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.modelDirectory = modelDirectory
        self.mirror = mirror
        self.log = log
    }

    public func stagingDirectory(for entry: CatalogEntry) -> String { "\(modelDirectory)/.\(entry.name).partial" }

    /// Installs the entry; returns the installed directory.
    @discardableResult
    public func install(_ entry: CatalogEntry, acceptRestrictedLicence: Bool) throws -> String {
        if entry.restricted && !acceptRestrictedLicence { throw PackInstallError.licenceNotAccepted(entry.licence) }
        let fm = FileManager.default
        let staging = stagingDirectory(for: entry)
        let unpacked = staging + "/unpacked"
        let final = "\(modelDirectory)/\(entry.name)"
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw PackInstallError.io("cannot create \(staging): \(error.localizedDescription)")
        }
        var installedFiles: [String] = []
        for download in entry.downloads {
            // A file already fetched and renamed by an earlier, interrupted attempt is kept.
            if let name = download.saveAs, name != download.fileName,
               (try? FileDigest.sha256(path: staging + "/" + name)) == download.sha256 {
                installedFiles.append(name)
                continue
            }
            let fetched = try fetch(download, into: staging)
            if let name = download.saveAs {
                if name != download.fileName { try move(fetched, to: staging + "/" + name) }
                installedFiles.append(name)
            } else {
                try? fm.removeItem(atPath: unpacked)
                try unzip(fetched, into: unpacked, url: download.url)
                for (member, name) in download.members.sorted(by: { $0.key < $1.key }) {
                    guard let found = findFile(named: member, under: unpacked) else {
                        throw PackInstallError.badArchive(url: download.url, reason: "it has no \(member)")
                    }
                    try move(found, to: staging + "/" + name)
                    installedFiles.append(name)
                }
                try? fm.removeItem(atPath: unpacked)
                try? fm.removeItem(atPath: fetched)
            }
        }
        if var pack = entry.pack {
            pack = try pinChecksums(pack, directory: staging)
            do {
                try InstalledPack.encoder.encode(pack).write(to: URL(fileURLWithPath: staging + "/" + InstalledPack.fileName))
            } catch {
                throw PackInstallError.io("cannot write the pack file: \(error.localizedDescription)")
            }
        }
        // Anything the downloads left that the pack does not use (a renamed original) goes.
        for leftover in (try? fm.contentsOfDirectory(atPath: staging)) ?? []
        where !installedFiles.contains(leftover) && leftover != InstalledPack.fileName {
            try? fm.removeItem(atPath: staging + "/" + leftover)
        }
        if fm.fileExists(atPath: final) {
            let old = "\(modelDirectory)/.\(entry.name).old"
            try? fm.removeItem(atPath: old)
            try move(final, to: old)
            try move(staging, to: final)
            try? fm.removeItem(atPath: old)
        } else {
            try move(staging, to: final)
        }
        return final
    }

    /// Downloads one file (resuming a `.part` left by an earlier attempt) and checks its sha256.
    func fetch(_ download: PackDownload, into directory: String) throws -> String {
        let fm = FileManager.default
        let target = directory + "/" + download.fileName
        if fm.fileExists(atPath: target), (try? FileDigest.sha256(path: target)) == download.sha256 {
            log("\(download.fileName): already downloaded")
            return target
        }
        let part = target + ".part"
        let url = mirror.map { $0.hasSuffix("/") ? $0 + download.fileName : $0 + "/" + download.fileName } ?? download.url
        let resumeFrom = (try? fm.attributesOfItem(atPath: part)[.size] as? NSNumber)??.intValue ?? 0
        log(resumeFrom > 0 ? "\(download.fileName): resuming at byte \(resumeFrom) from \(url)" : "\(download.fileName): downloading \(url)")
        let result = try run("/usr/bin/curl", ["--fail", "--location", "--silent", "--show-error", "--retry", "2",
                                               "--connect-timeout", "30", "--continue-at", "-", "--output", part, url])
        let actual = (try? FileDigest.sha256(path: part)) ?? ""
        if result.status != 0 {
            // A range past the end (416) means the part was already whole; let the checksum decide.
            if actual != download.sha256 {
                throw PackInstallError.downloadFailed(url: url, reason: result.errors.isEmpty ? "curl exited with \(result.status)" : result.errors)
            }
        }
        guard actual == download.sha256 else {
            try? fm.removeItem(atPath: part)
            throw PackInstallError.checksumMismatch(url: url, expected: download.sha256, actual: actual)
        }
        try move(part, to: target)
        return target
    }

    func unzip(_ archive: String, into directory: String, url: String) throws {
        let result = try run("/usr/bin/unzip", ["-q", "-o", archive, "-d", directory])
        guard result.status == 0 else {
            throw PackInstallError.badArchive(url: url, reason: result.errors.isEmpty ? "unzip exited with \(result.status)" : result.errors)
        }
    }

    func findFile(named name: String, under directory: String) -> String? {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return nil }
        let matches = walker.compactMap { $0 as? String }.filter { ($0 as NSString).lastPathComponent == name }.sorted()
        return matches.first.map { directory + "/" + $0 }
    }

    /// Records the installed files' sha256 in the pack, so `models verify` and start-up catch
    /// later damage even for files that came out of an archive.
    func pinChecksums(_ pack: ModelPack, directory: String) throws -> ModelPack {
        var pack = pack
        func pin(_ file: inout ModelPack.File) throws {
            guard !file.file.hasPrefix("/"), !file.file.hasPrefix("..") else { return }
            let digest = try FileDigest.sha256(path: directory + "/" + file.file)
            if let expected = file.sha256, expected != digest {
                throw PackInstallError.checksumMismatch(url: file.file, expected: expected, actual: digest)
            }
            file.sha256 = digest
        }
        try pin(&pack.detector.model)
        try pin(&pack.recognizer.model)
        if pack.attributes != nil { try pin(&pack.attributes!.model) }
        return pack
    }

    func move(_ from: String, to: String) throws {
        if rename(from, to) != 0 {
            throw PackInstallError.io("cannot move \(from) to \(to): \(String(cString: strerror(errno)))")
        }
    }

    struct ToolResult {
        var status: Int32
        var errors: String
    }

    func run(_ tool: String, _ arguments: [String]) throws -> ToolResult {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw PackInstallError.toolMissing((tool as NSString).lastPathComponent)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        // Waited for through the termination handler: waitUntilExit() spins this thread's run
        // loop, and off the main thread it can wait forever for a tool that has exited.
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw PackInstallError.toolMissing((tool as NSString).lastPathComponent)
        }
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        exited.wait()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return ToolResult(status: process.terminationStatus, errors: String(text.prefix(500)))
    }
}
