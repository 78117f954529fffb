import Foundation
import LikenessCore
import LikenessVision
import LikenessTestSupport
import Testing

/// `likeness models install` against a local HTTP server serving ../shared/models.
@Suite(.enabled(if: Fixtures.sharedAvailable, Fixtures.skipMessage))
struct PackInstallerTests {
    static let sha = [
        "face_detection_yunet_2022mar.onnx": "50ef07f702a31741ca46a4c0d947773b64143b9362780237bf0d427d6c79bab7",
        "mobilefacenet_128.onnx": "e8e15de7b894f917ecc7f068dbe12d7c00e79c9c4a7414538d8de2dcb76d6458",
    ]

    func model(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.sharedModels + "/" + name)))
    }

    /// A zip of the two anti-spoofing models, made with Python's zipfile module.
    func livenessZip() throws -> [UInt8] {
        let dir = try Fixtures.temporaryDirectory()
        let zip = dir + "/minifasnet.zip"
        let process = try ChildProcess("/usr/bin/python3", ["-m", "zipfile", "-c", zip, Fixtures.sharedModels + "/minifasnet_v2_2.7_80x80.onnx",
                                                            Fixtures.sharedModels + "/minifasnet_v1se_4.0_80x80.onnx"])
        process.wait()
        #expect(process.exitedCleanly)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: zip)))
    }

    func sha256(_ bytes: [UInt8]) throws -> String {
        let dir = try Fixtures.temporaryDirectory()
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/f"))
        return try FileDigest.sha256(path: dir + "/f")
    }

    func entry(server: LocalHTTPServer, zipSHA: String, restricted: Bool = false) -> CatalogEntry {
        let base = server.baseURL
        let pack = ModelPack(
            name: "local-yunet-mobilefacenet", description: "served by the test",
            detector: .init(type: .yunet, model: .init(file: "face_detection_yunet_2022mar.onnx", licence: "MIT"), scoreThreshold: 0.8),
            recognizer: .init(type: .arcface, id: "mobilefacenet_128", model: .init(file: "mobilefacenet_128.onnx", licence: "Apache-2.0"),
                              inputSize: 112, embeddingSize: 128,
                              normalization: PixelNormalization(rgb: true, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375]),
                              threshold: 0.3),
            liveness: .init(threshold: 0.7, models: [
                .init(model: .init(file: "v2.onnx"), scale: 2.7, inputSize: 80),
                .init(model: .init(file: "v1se.onnx"), scale: 4.0, inputSize: 80),
            ]))
        return CatalogEntry(
            name: "local-yunet-mobilefacenet", summary: "test", licence: restricted ? "non-commercial research only" : "MIT/Apache-2.0",
            restricted: restricted,
            downloads: [
                PackDownload(url: base + "/face_detection_yunet_2022mar.onnx", sha256: Self.sha["face_detection_yunet_2022mar.onnx"]!,
                             saveAs: "face_detection_yunet_2022mar.onnx"),
                PackDownload(url: base + "/mobilefacenet_128.onnx", sha256: Self.sha["mobilefacenet_128.onnx"]!, saveAs: "mobilefacenet_128.onnx"),
                PackDownload(archive: base + "/minifasnet.zip", sha256: zipSHA,
                             members: ["minifasnet_v2_2.7_80x80.onnx": "v2.onnx", "minifasnet_v1se_4.0_80x80.onnx": "v1se.onnx"]),
            ],
            pack: pack)
    }

    func server() throws -> (LocalHTTPServer, String) {
        let zip = try livenessZip()
        let server = try LocalHTTPServer(files: [
            "/face_detection_yunet_2022mar.onnx": try model("face_detection_yunet_2022mar.onnx"),
            "/mobilefacenet_128.onnx": try model("mobilefacenet_128.onnx"),
            "/minifasnet.zip": zip,
        ])
        return (server, try sha256(zip))
    }

    @Test func installsVerifiesAndLoads() throws {
        let (server, zipSHA) = try server()
        defer { server.stop() }
        let dir = try Fixtures.temporaryDirectory()
        let installed = try PackInstaller(modelDirectory: dir).install(entry(server: server, zipSHA: zipSHA), acceptRestrictedLicence: false)
        #expect(installed == dir + "/local-yunet-mobilefacenet")
        #expect(!FileManager.default.fileExists(atPath: dir + "/.local-yunet-mobilefacenet.partial"))
        let files = try FileManager.default.contentsOfDirectory(atPath: installed).sorted()
        #expect(files == ["face_detection_yunet_2022mar.onnx", "mobilefacenet_128.onnx", "pack.json", "v1se.onnx", "v2.onnx"])
        let registry = PackRegistry(modelDirectory: dir)
        let pack = try registry.resolve("local-yunet-mobilefacenet")
        // Installed files get their sha256 pinned, so later damage is caught.
        #expect(pack.pack.recognizer.model.sha256 == Self.sha["mobilefacenet_128.onnx"])
        #expect(pack.verify().isEmpty)
        #expect(registry.installed().first?.pack.name == "local-yunet-mobilefacenet")
        // A staging folder left by an interrupted install is never taken for an installed pack.
        try FileManager.default.createDirectory(atPath: dir + "/.other.partial", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: installed + "/pack.json", toPath: dir + "/.other.partial/pack.json")
        #expect(registry.installed().map(\.pack.name).filter { $0 == "local-yunet-mobilefacenet" }.count == 1)
        let pipeline = try FacePipeline.load(pack)
        #expect(pipeline.capabilities.liveness && pipeline.recognizer.dimension == 128)
        #expect(try pipeline.analyzeNow(try Fixtures.bytes("spoof/image_T1.jpg"), options: AnalysisOptions(liveness: true)).faces.first?.liveness?.isReal == true)

        // Damage after installing: verify and start-up name the file.
        let target = installed + "/mobilefacenet_128.onnx"
        let handle = try #require(FileHandle(forWritingAtPath: target))
        try handle.truncate(atOffset: 1000)
        try handle.close()
        let problems = pack.verify()
        #expect(problems.count == 1 && problems[0].path == target)
        #expect(throws: ModelLoadError.self) { try FacePipeline.load(pack) }
    }

    @Test func checksumMismatchRemovesThePartAndInstallsNothing() throws {
        let (server, zipSHA) = try server()
        defer { server.stop() }
        var bad = try model("mobilefacenet_128.onnx")
        bad[5000] ^= 0xFF
        server.set("/mobilefacenet_128.onnx", bad)
        let dir = try Fixtures.temporaryDirectory()
        let installer = PackInstaller(modelDirectory: dir)
        let entry = entry(server: server, zipSHA: zipSHA)
        #expect {
            try installer.install(entry, acceptRestrictedLicence: false)
        } throws: { error in
            guard case PackInstallError.checksumMismatch(let url, _, _) = error else { return false }
            return url.hasSuffix("/mobilefacenet_128.onnx")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/local-yunet-mobilefacenet"))
        #expect(!FileManager.default.fileExists(atPath: installer.stagingDirectory(for: entry) + "/mobilefacenet_128.onnx.part"))
        // The good file downloaded before it is kept for the next attempt, which then succeeds.
        server.set("/mobilefacenet_128.onnx", try model("mobilefacenet_128.onnx"))
        try installer.install(entry, acceptRestrictedLicence: false)
        #expect(server.requests.filter { $0.path == "/face_detection_yunet_2022mar.onnx" }.count == 1)
    }

    @Test func resumesAnInterruptedDownload() throws {
        let (server, zipSHA) = try server()
        defer { server.stop() }
        let dir = try Fixtures.temporaryDirectory()
        let installer = PackInstaller(modelDirectory: dir)
        let entry = entry(server: server, zipSHA: zipSHA)
        let staging = installer.stagingDirectory(for: entry)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let full = try model("mobilefacenet_128.onnx")
        try Data(full.prefix(1_000_000)).write(to: URL(fileURLWithPath: staging + "/mobilefacenet_128.onnx.part"))
        try installer.install(entry, acceptRestrictedLicence: false)
        let request = try #require(server.requests.first { $0.path == "/mobilefacenet_128.onnx" })
        #expect(request.range == "bytes=1000000-")
        #expect(try FileDigest.sha256(path: dir + "/local-yunet-mobilefacenet/mobilefacenet_128.onnx") == Self.sha["mobilefacenet_128.onnx"])
    }

    @Test func badArchiveIsReported() throws {
        let (server, _) = try server()
        defer { server.stop() }
        let zip = try livenessZip()
        let truncated = Array(zip.prefix(zip.count / 2))
        server.set("/minifasnet.zip", truncated)
        let dir = try Fixtures.temporaryDirectory()
        #expect {
            try PackInstaller(modelDirectory: dir).install(entry(server: server, zipSHA: try sha256(truncated)), acceptRestrictedLicence: false)
        } throws: { error in
            guard case PackInstallError.badArchive(let url, _) = error else { return false }
            return url.hasSuffix("/minifasnet.zip")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/local-yunet-mobilefacenet"))

        // An archive without a member the pack needs.
        let other = try model("mobilefacenet_128.onnx")
        server.set("/minifasnet.zip", other)
        #expect(throws: PackInstallError.self) {
            try PackInstaller(modelDirectory: dir).install(entry(server: server, zipSHA: try sha256(other)), acceptRestrictedLicence: false)
        }
    }

    @Test func restrictedLicenceNeedsConsent() throws {
        let (server, zipSHA) = try server()
        defer { server.stop() }
        let dir = try Fixtures.temporaryDirectory()
        #expect(throws: PackInstallError.licenceNotAccepted("non-commercial research only")) {
            try PackInstaller(modelDirectory: dir).install(entry(server: server, zipSHA: zipSHA, restricted: true), acceptRestrictedLicence: false)
        }
        #expect(server.requests.isEmpty)
    }

    @Test func unreachableServer() throws {
        let (server, zipSHA) = try server()
        let entry = entry(server: server, zipSHA: zipSHA)
        server.stop()
        let dir = try Fixtures.temporaryDirectory()
        #expect {
            try PackInstaller(modelDirectory: dir).install(entry, acceptRestrictedLicence: false)
        } throws: { error in
            if case PackInstallError.downloadFailed = error { return true }
            return false
        }
    }

    /// The catalog's packs are well formed and every download is pinned.
    @Test func catalogIsPinned() {
        for entry in PackCatalog.known {
            #expect(entry.downloads.allSatisfy { $0.sha256.count == 64 && $0.url.hasPrefix("https://") }, "\(entry.name)")
            if let pack = entry.pack {
                #expect(pack.restrictedLicences.isEmpty == !entry.restricted, "\(entry.name)")
            }
        }
    }
}
