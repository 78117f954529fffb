import ArgumentParser
import Foundation
import Hummingbird
import LikenessCore
import LikenessIndex
import LikenessServer
import LikenessStore
import LikenessVision
import Logging

/// `likeness serve`: the HTTP server on the configured model pack, database and index.
/// Settings come from flags, then the environment, then a JSON config file, then defaults.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP server.")

    @Option(help: "A JSON file of settings (keys as the long flags, with underscores).") var config: String?
    @Option(help: "Address to listen on ($HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Port ($PORT; default 8000).") var port: Int?
    @Option(help: "Data directory ($LIKENESS_DATA_DIR; default ./data).") var dataDir: String?
    @Option(help: "Model directory ($LIKENESS_MODEL_DIR; default <data>/models).") var modelDir: String?
    @Option(help: "Database URL ($LIKENESS_DATABASE_URL; default sqlite://<data>/likeness.db).") var databaseURL: String?
    @Option(help: "Largest upload in bytes ($MAX_FILE_SIZE; default 10485760).") var maxFileSize: Int?
    @Option(help: "Images analysed at once ($ASYNC_WORKERS; default: the number of cores).") var workers: Int?
    @Option(help: "Requests allowed to wait for a worker before 503 ($LIKENESS_QUEUE; default 16).") var queue: Int?
    @Option(help: "Most matches searched per face ($SEARCH_K; default 100).") var searchK: Int?
    @Option(help: "Let anyone register viewer accounts ($LIKENESS_OPEN_REGISTRATION; default false).") var openRegistration: Bool?
    @Option(help: "Seconds between index snapshots when the gallery changed (default 300).") var snapshotInterval: Int?
    @Option(help: "Faces analysed per image, largest first ($LIKENESS_MAX_FACES; default 20).") var maxFaces: Int?
    @Option(help: "Seconds before a request is answered 503 ($LIKENESS_REQUEST_TIMEOUT; default 60).") var requestTimeout: Int?
    @Option(help: "Model pack name or file ($LIKENESS_PACK; default: the best installed, see `likeness models list`).") var pack: String?
    @Option(help: "Check liveness on queries and enrolment, reporting spoofs ($ENABLE_ANTI_SPOOFING; default false).") var antiSpoofing: Bool?
    @Option(help: "Liveness score below which a face is a spoof ($ANTI_SPOOFING_THRESHOLD; default: the pack's, 0.7).") var antiSpoofingThreshold: Double?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let file = try loadConfigFile()
        func setting(_ flag: String?, _ envNames: [String], _ key: String) -> String? {
            flag ?? envNames.lazy.compactMap { env[$0] }.first { !$0.isEmpty } ?? file[key]
        }
        let data = setting(dataDir, ["LIKENESS_DATA_DIR"], "data_dir") ?? "data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        var logger = Logger(label: "likeness")
        logger.logLevel = .info

        var server = ServerConfiguration()
        server.host = setting(host, ["LIKENESS_HOST", "HOST"], "host") ?? "127.0.0.1"
        server.port = setting(port.map(String.init), ["LIKENESS_PORT", "PORT"], "port").flatMap(Int.init) ?? 8000
        server.maxUploadBytes = setting(maxFileSize.map(String.init), ["MAX_FILE_SIZE"], "max_file_size").flatMap(Int.init) ?? server.maxUploadBytes
        server.inferenceWorkers = setting(workers.map(String.init), ["ASYNC_WORKERS"], "workers").flatMap(Int.init)
            ?? ProcessInfo.processInfo.activeProcessorCount
        server.inferenceQueue = setting(queue.map(String.init), ["LIKENESS_QUEUE"], "queue").flatMap(Int.init) ?? server.inferenceQueue
        server.maxFacesPerImage = setting(maxFaces.map(String.init), ["LIKENESS_MAX_FACES"], "max_faces").flatMap(Int.init) ?? server.maxFacesPerImage
        server.requestTimeoutSeconds = setting(requestTimeout.map(String.init), ["LIKENESS_REQUEST_TIMEOUT"], "request_timeout").flatMap(Int.init)
            ?? server.requestTimeoutSeconds
        server.searchK = setting(searchK.map(String.init), ["SEARCH_K"], "search_k").flatMap(Int.init) ?? server.searchK
        server.openRegistration = setting(openRegistration.map { String($0) }, ["LIKENESS_OPEN_REGISTRATION"], "open_registration")
            .map { ["1", "true", "yes"].contains($0.lowercased()) } ?? false
        server.jwtSecret = try jwtSecret(env["LIKENESS_JWT_SECRET"] ?? file["jwt_secret"], dataDir: data)

        let models = setting(modelDir, ["LIKENESS_MODEL_DIR"], "model_dir") ?? data + "/models"
        let database = setting(databaseURL, ["LIKENESS_DATABASE_URL"], "database_url") ?? "sqlite://\(data)/likeness.db"

        server.antiSpoofing = setting(antiSpoofing.map { String($0) }, ["ENABLE_ANTI_SPOOFING"], "anti_spoofing")
            .map { ["1", "true", "yes"].contains($0.lowercased()) } ?? false
        let livenessThreshold = setting(antiSpoofingThreshold.map { String($0) }, ["ANTI_SPOOFING_THRESHOLD"], "anti_spoofing_threshold")
            .flatMap(Double.init)
        let installed = try PackRegistry(modelDirectory: models).resolve(setting(pack, ["LIKENESS_PACK"], "pack"))
        logger.info("model pack \(installed.pack.name): \(installed.droppingMissingExtras().pack.features.joined(separator: ", "))")
        for licence in installed.pack.restrictedLicences { logger.warning("model licence: \(licence)") }
        for missing in installed.missingExtras() { logger.warning("\(missing.description)") }
        let limits = ImageLimits(maxBytes: server.maxUploadBytes, maxPixels: ImageLimits.standard.maxPixels)
        let pipeline = try FacePipeline.load(installed, limits: limits, livenessThreshold: livenessThreshold)
        if server.antiSpoofing && !pipeline.capabilities.liveness {
            logger.warning("anti-spoofing is enabled but the pack has no liveness models: queries are not checked")
        }
        let store = try SQLStore(database, connections: max(4, server.inferenceWorkers * 2))
        let redacted = try DatabaseURL(database).redacted
        logger.info("database \(redacted)")
        let recognizer = pipeline.recognizer
        let index = try LiveIndex(
            loader: IndexLoader(recognizer: recognizer.id, dimension: recognizer.dimension,
                                snapshotPath: "\(data)/index-\(recognizer.id.rawValue).snapshot", logger: logger),
            source: store)
        logger.info("index ready", metadata: ["faces": "\(index.count)", "kind": "\(index.kind)", "position": "\(index.position)"])

        let app = await buildApplication(configuration: server,
                                         services: ServerServices(analyzer: pipeline, gallery: store, accounts: store, index: index),
                                         logger: logger)
        let interval = snapshotInterval ?? file["snapshot_interval"].flatMap(Int.init) ?? 300
        let snapshots = Task.detached {
            var written = index.position
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                if index.position != written {
                    do { try index.snapshot(); written = index.position } catch { logger.warning("snapshot failed: \(error)") }
                }
            }
        }
        try await app.runService()
        snapshots.cancel()
        try index.snapshot()
        logger.info("index snapshot written on shutdown")
    }

    private func loadConfigFile() throws -> [String: String] {
        guard let config else { return [:] }
        guard let data = FileManager.default.contents(atPath: config),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("cannot read the config file \(config) as a JSON object")
        }
        return object.mapValues { "\($0)" }
    }

    /// The token key: configured, or generated once and kept in the data directory (0600).
    private func jwtSecret(_ configured: String?, dataDir: String) throws -> [UInt8] {
        if let configured, configured.utf8.count >= 32 { return Array(configured.utf8) }
        let path = dataDir + "/jwt.key"
        if let existing = FileManager.default.contents(atPath: path), existing.count >= 32 { return [UInt8](existing) }
        var secret = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in secret.indices { secret[i] = generator.next() }
        guard FileManager.default.createFile(atPath: path, contents: Data(secret), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write the token key \(path)")
        }
        return secret
    }
}
