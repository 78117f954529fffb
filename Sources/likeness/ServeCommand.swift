import ArgumentParser
import Foundation
import Hummingbird
import LikenessCore
import LikenessIndex
import LikenessServer
import LikenessStore
import LikenessVision
import Logging
import ServiceLifecycle

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
    @Option(help: "Connections open at once; more wait in the backlog ($LIKENESS_MAX_CONNECTIONS; default 512).") var maxConnections: Int?
    @Option(help: "Seconds before an idle connection is closed ($LIKENESS_IDLE_TIMEOUT; default 30).") var idleTimeout: Int?
    @Option(help: "Images one client may have in analysis at once, 0 for no cap ($LIKENESS_PER_CLIENT_INFERENCE; default workers - 1, at least 1).")
    var perClientInference: Int?
    @Option(help: "Comma-separated addresses of reverse proxies whose X-Forwarded-For names the client ($LIKENESS_TRUSTED_PROXIES).")
    var trustedProxies: String?
    @Option(help: "PEM certificate chain: serve HTTPS ($LIKENESS_TLS_CERT; with --tls-key).") var tlsCert: String?
    @Option(help: "PEM private key of the certificate ($LIKENESS_TLS_KEY).") var tlsKey: String?
    @Option(help: "Model pack name or file ($LIKENESS_PACK; default: the best installed, see `likeness models list`).") var pack: String?
    @Option(help: "Check liveness on queries and enrolment, reporting spoofs ($ENABLE_ANTI_SPOOFING; default false).") var antiSpoofing: Bool?
    @Option(help: "Liveness score below which a face is a spoof ($ANTI_SPOOFING_THRESHOLD; default: the pack's, 0.7).") var antiSpoofingThreshold: Double?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let file = try loadConfigFile()
        func setting(_ flag: String?, _ envNames: [String], _ key: String) -> String? {
            flag ?? envNames.lazy.compactMap { env[$0] }.first { !$0.isEmpty } ?? file[key]
        }
        /// An integer setting; a value that is not one stops start-up with its name, never a default.
        func int(_ flag: Int?, _ envNames: [String], _ key: String, default value: Int, range: ClosedRange<Int> = 0...Int.max) throws -> Int {
            guard let text = setting(flag.map(String.init), envNames, key) else { return value }
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
                throw ValidationError("\((envNames.first ?? key)) = '\(text)' is not an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
        func bool(_ flag: Bool?, _ envNames: [String], _ key: String) throws -> Bool {
            guard let text = setting(flag.map { String($0) }, envNames, key)?.lowercased() else { return false }
            if ["1", "true", "yes", "on"].contains(text) { return true }
            if ["0", "false", "no", "off"].contains(text) { return false }
            throw ValidationError("\((envNames.first ?? key)) = '\(text)' is not true or false")
        }
        // Everything the server writes (database, WAL, snapshots, token key) is private to its
        // user from creation: files 0600, folders 0700.
        umask(0o077)
        let data = setting(dataDir, ["LIKENESS_DATA_DIR"], "data_dir") ?? "data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        chmod(data, 0o700)
        var logger = Logger(label: "likeness")
        logger.logLevel = .info

        var server = ServerConfiguration()
        server.host = setting(host, ["LIKENESS_HOST", "HOST"], "host") ?? "127.0.0.1"
        server.port = try int(port, ["LIKENESS_PORT", "PORT"], "port", default: 8000, range: 0...65535)
        server.maxUploadBytes = try int(maxFileSize, ["MAX_FILE_SIZE"], "max_file_size", default: server.maxUploadBytes, range: 1...(1 << 30))
        server.inferenceWorkers = try int(workers, ["ASYNC_WORKERS"], "workers", default: ProcessInfo.processInfo.activeProcessorCount, range: 1...256)
        server.inferenceQueue = try int(queue, ["LIKENESS_QUEUE"], "queue", default: server.inferenceQueue, range: 0...100_000)
        server.maxFacesPerImage = try int(maxFaces, ["LIKENESS_MAX_FACES"], "max_faces", default: server.maxFacesPerImage, range: 1...1000)
        server.requestTimeoutSeconds = try int(requestTimeout, ["LIKENESS_REQUEST_TIMEOUT"], "request_timeout",
                                               default: server.requestTimeoutSeconds, range: 0...86400)
        server.searchK = try int(searchK, ["SEARCH_K"], "search_k", default: server.searchK, range: 1...100_000)
        server.openRegistration = try bool(openRegistration, ["LIKENESS_OPEN_REGISTRATION"], "open_registration")
        server.maxConnections = try int(maxConnections, ["LIKENESS_MAX_CONNECTIONS"], "max_connections",
                                        default: server.maxConnections, range: 1...1_000_000)
        if setting(perClientInference.map(String.init), ["LIKENESS_PER_CLIENT_INFERENCE"], "per_client_inference") != nil {
            server.perClientInference = try int(perClientInference, ["LIKENESS_PER_CLIENT_INFERENCE"], "per_client_inference", default: 0, range: 0...10_000)
        }
        server.trustedProxies = Set((setting(trustedProxies, ["LIKENESS_TRUSTED_PROXIES"], "trusted_proxies") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        server.tlsCertificatePath = setting(tlsCert, ["LIKENESS_TLS_CERT"], "tls_cert")
        server.tlsPrivateKeyPath = setting(tlsKey, ["LIKENESS_TLS_KEY"], "tls_key")
        server.idleTimeoutSeconds = try int(idleTimeout, ["LIKENESS_IDLE_TIMEOUT"], "idle_timeout",
                                            default: server.idleTimeoutSeconds, range: 1...86400)
        server.jwtSecret = try jwtSecret(env["LIKENESS_JWT_SECRET"] ?? file["jwt_secret"], dataDir: data)

        let models = setting(modelDir, ["LIKENESS_MODEL_DIR"], "model_dir") ?? data + "/models"
        let database = setting(databaseURL, ["LIKENESS_DATABASE_URL"], "database_url") ?? "sqlite://\(data)/likeness.db"

        server.antiSpoofing = try bool(antiSpoofing, ["ENABLE_ANTI_SPOOFING"], "anti_spoofing")
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

        let app = try await buildApplication(configuration: server,
                                         services: ServerServices(analyzer: pipeline, gallery: store, accounts: store, index: index),
                                         logger: logger)
        let interval = try int(snapshotInterval, [], "snapshot_interval", default: 300, range: 1...86400)
        let snapshots = SnapshotService(index: index, interval: .seconds(interval), logger: logger)
        // Shut down in reverse order: the HTTP server stops accepting and finishes its requests,
        // then the last snapshot is written; the store closes when the command returns.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: snapshots), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("stopped")
    }

    private func loadConfigFile() throws -> [String: String] {
        guard let config else { return [:] }
        guard let data = FileManager.default.contents(atPath: config),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("cannot read the config file \(config) as a JSON object")
        }
        return object.mapValues { "\($0)" }
    }

    /// The token key: configured (at least 32 bytes), or generated once and kept in the data
    /// directory (0600).
    private func jwtSecret(_ configured: String?, dataDir: String) throws -> [UInt8] {
        if let configured, !configured.isEmpty {
            guard configured.utf8.count >= 32 else {
                throw ValidationError("LIKENESS_JWT_SECRET must be at least 32 bytes (it is \(configured.utf8.count)); unset it to use a generated key")
            }
            return Array(configured.utf8)
        }
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
