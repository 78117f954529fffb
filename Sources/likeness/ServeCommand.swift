import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import LikenessCore
import LikenessIndex
import LikenessServer
import LikenessStore
import LikenessUseCases
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
    @Option(help: "Database URL: sqlite://, mysql:// or postgres:// ($LIKENESS_DATABASE_URL; default sqlite://<data>/likeness.db).") var databaseURL: String?
    @Option(help: "Comma-separated postgres:// URLs of streaming replicas for searches, with --index pgvector ($LIKENESS_DATABASE_REPLICA_URLS).")
    var databaseReplicaUrls: String?
    @Option(help: "HNSW candidates per search with --index pgvector ($LIKENESS_EF_SEARCH; default 100).") var efSearch: Int?
    @Option(help: "Largest upload in bytes ($MAX_FILE_SIZE; default 10485760).") var maxFileSize: Int?
    @Option(help: "Images analysed at once ($ASYNC_WORKERS; default: the number of cores).") var workers: Int?
    @Option(help: "Requests allowed to wait for a worker before 503 ($LIKENESS_QUEUE; default 16).") var queue: Int?
    @Option(help: "Most matches searched per face ($SEARCH_K; default 100).") var searchK: Int?
    @Option(help: "Let anyone register viewer accounts ($LIKENESS_OPEN_REGISTRATION; default false).") var openRegistration: Bool?
    @Option(help: "Seconds between index snapshots when the gallery changed (default 300).") var snapshotInterval: Int?
    @Option(help: "Seconds a graceful shutdown (SIGTERM) may take before the work left is cancelled (default 25).") var shutdownTimeout: Int?
    @Option(help: "Index kind: exact, exact-f16, exact-i8, hnsw, ivf or auto in this process, or pgvector in a postgres:// database, shared by every server on it ($LIKENESS_INDEX / $FAISS_INDEX_TYPE, where IndexFlatIP means exact; default auto: exact until a scan would read 64 M floats, then HNSW).")
    var index: String?
    @Option(help: "Faces the index may hold; enrolment past it is refused with 507 ($MAX_VECTORS; default no limit).") var maxVectors: Int?
    @Option(help: "Serve POST /api/bulk_vectors, which adds synthetic people for load tests ($LIKENESS_ALLOW_BULK_VECTORS; default false).")
    var allowBulkVectors: Bool?
    @Option(help: "trace, debug, info, notice, warning, error or critical ($LIKENESS_LOG_LEVEL; DEBUG=true means debug; default info).")
    var logLevel: String?
    @Option(help: "Also write the log to this file, rotated by size ($LIKENESS_LOG_FILE; the original wrote logs/app.log).") var logFile: String?
    @Option(help: "Bytes before the log file is rotated ($LIKENESS_LOG_MAX_BYTES; default 10485760).") var logMaxBytes: Int?
    @Option(help: "Rotated log files kept ($LIKENESS_LOG_FILES; default 5).") var logFiles: Int?
    @Option(help: "Serve Prometheus metrics at /metrics ($LIKENESS_METRICS; default true).") var metrics: Bool?
    @Option(help: "Faces analysed per image, largest first ($LIKENESS_MAX_FACES; default 20).") var maxFaces: Int?
    @Option(help: "Seconds before a request is answered 503 ($LIKENESS_REQUEST_TIMEOUT; default 60).") var requestTimeout: Int?
    @Option(help: "Connections open at once; more wait in the backlog ($LIKENESS_MAX_CONNECTIONS; default 512).") var maxConnections: Int?
    @Option(help: "Seconds before an idle connection is closed ($LIKENESS_IDLE_TIMEOUT; default 30).") var idleTimeout: Int?
    @Option(help: "Images one client may have in analysis at once, 0 for no cap ($LIKENESS_PER_CLIENT_INFERENCE; default workers - 1, at least 1).")
    var perClientInference: Int?
    @Option(help: "Comma-separated addresses of reverse proxies whose X-Forwarded-For names the client ($LIKENESS_TRUSTED_PROXIES).")
    var trustedProxies: String?
    @Option(help: "Comma-separated origins whose browser apps may call the API, or * for any ($LIKENESS_CORS_ORIGINS; default none).")
    var corsOrigins: String?
    @Option(help: "token, or open: /api/face_query and /api/face_query_top5 answer without a token, as the original did ($LIKENESS_LEGACY_AUTH; default token).")
    var legacyAuth: String?
    @Option(help: "Keep a crop of each enrolled face, for the console and for re-embedding under another pack ($LIKENESS_STORE_CROPS; default true).")
    var storeCrops: Bool?
    @Option(help: "Keep the uploaded image of each enrolled face too ($LIKENESS_STORE_ORIGINALS; default false).")
    var storeOriginals: Bool?
    @Option(help: "Delete kept originals after this many days; their faces and crops stay ($LIKENESS_ORIGINAL_RETENTION_DAYS; default: kept).")
    var originalRetentionDays: Double?
    @Option(help: "Most megabytes of kept originals; beyond it the oldest are deleted ($LIKENESS_ORIGINALS_BUDGET_MB; default: no budget).")
    var originalsBudgetMb: Int?
    @Option(help: "PEM certificate chain: serve HTTPS ($LIKENESS_TLS_CERT; with --tls-key).") var tlsCert: String?
    @Option(help: "PEM private key of the certificate ($LIKENESS_TLS_KEY).") var tlsKey: String?
    @Option(help: "Model pack name or file ($LIKENESS_PACK; default: the best installed, see `likeness models list`).") var pack: String?
    @Option(help: "Check liveness on queries and enrolment, reporting spoofs ($ENABLE_ANTI_SPOOFING; default false).") var antiSpoofing: Bool?
    @Option(help: "Liveness score below which a face is a spoof ($ANTI_SPOOFING_THRESHOLD; default: the pack's, 0.7).") var antiSpoofingThreshold: Double?

    @Option(help: "Share of strangers a search aims to accept, whatever the gallery's size ($LIKENESS_FALSE_POSITIVE_IDENTIFICATION_RATE; default 0.005, which keeps the measured rate under 1%).")
    var falsePositiveIdentificationRate: Double?
    @Option(help: "A fixed false match rate per compared face instead ($LIKENESS_FALSE_MATCH_RATE).") var falseMatchRate: Double?
    @Option(help: "A fixed cosine of the pack instead, the original's behaviour ($LIKENESS_MATCH_THRESHOLD).") var matchThreshold: Double?
    @Option(help: "Enrolment: smallest face side in pixels ($LIKENESS_MIN_FACE_SIZE; default 40).") var minFaceSize: Double?
    @Option(help: "Enrolment: least sharpness, variance of the Laplacian ($LIKENESS_MIN_SHARPNESS; default 15).") var minSharpness: Double?
    @Option(help: "Enrolment: most yaw, degrees ($LIKENESS_MAX_YAW; default 45).") var maxYaw: Double?
    @Option(help: "Enrolment: most pitch, degrees ($LIKENESS_MAX_PITCH; default 35).") var maxPitch: Double?
    @Option(help: "Enrolment: least detector score, on the detector's scale ($LIKENESS_MIN_DETECTOR_SCORE; default none).") var minDetectorScore: Double?
    @Option(help: "Queries: faces below the enrolment requirements are reported, not searched ($LIKENESS_QUERY_QUALITY_FILTER; default false).")
    var queryQualityFilter: Bool?

    /// The flags given, under their settings' keys (the JSON file's keys).
    var flags: [String: String] {
        let given: [(String, String?)] = [
            ("host", host), ("port", port.map(String.init)), ("data_dir", dataDir), ("model_dir", modelDir), ("database_url", databaseURL),
            ("database_replica_urls", databaseReplicaUrls), ("ef_search", efSearch.map(String.init)),
            ("max_file_size", maxFileSize.map(String.init)), ("workers", workers.map(String.init)), ("queue", queue.map(String.init)),
            ("search_k", searchK.map(String.init)), ("open_registration", openRegistration.map { String($0) }),
            ("snapshot_interval", snapshotInterval.map(String.init)), ("shutdown_timeout", shutdownTimeout.map(String.init)), ("index", index), ("max_vectors", maxVectors.map(String.init)), ("allow_bulk_vectors", allowBulkVectors.map { String($0) }),
            ("log_level", logLevel), ("log_file", logFile), ("log_max_bytes", logMaxBytes.map(String.init)),
            ("log_files", logFiles.map(String.init)), ("metrics", metrics.map { String($0) }), ("max_faces", maxFaces.map(String.init)),
            ("request_timeout", requestTimeout.map(String.init)), ("per_client_inference", perClientInference.map(String.init)),
            ("trusted_proxies", trustedProxies), ("cors_origins", corsOrigins), ("legacy_auth", legacyAuth), ("store_crops", storeCrops.map { String($0) }), ("store_originals", storeOriginals.map { String($0) }),
            ("original_retention_days", originalRetentionDays.map { String($0) }), ("originals_budget_mb", originalsBudgetMb.map(String.init)), ("max_connections", maxConnections.map(String.init)),
            ("idle_timeout", idleTimeout.map(String.init)), ("tls_cert", tlsCert), ("tls_key", tlsKey), ("pack", pack),
            ("anti_spoofing", antiSpoofing.map { String($0) }), ("anti_spoofing_threshold", antiSpoofingThreshold.map { String($0) }),
            ("false_positive_identification_rate", falsePositiveIdentificationRate.map { String($0) }),
            ("false_match_rate", falseMatchRate.map { String($0) }), ("match_threshold", matchThreshold.map { String($0) }),
            ("min_face_size", minFaceSize.map { String($0) }), ("min_sharpness", minSharpness.map { String($0) }),
            ("max_yaw", maxYaw.map { String($0) }), ("max_pitch", maxPitch.map { String($0) }),
            ("min_detector_score", minDetectorScore.map { String($0) }), ("query_quality_filter", queryQualityFilter.map { String($0) }),
        ]
        return Dictionary(uniqueKeysWithValues: given.compactMap { key, value in value.map { (key, $0) } })
    }

    func run() async throws {
        let settings = try await Settings(flags: flags, configFile: config)
        // Everything the server writes (database, WAL, snapshots, token key) is private to its
        // user from creation: files 0600, folders 0700.
        umask(0o077)
        let data = settings.string("data_dir") ?? "data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        chmod(data, 0o700)
        let level = try Observability.bootstrapLogging(settings)
        let registry = try Observability.bootstrapMetrics(settings)
        var logger = Logger(label: "likeness")
        logger.logLevel = level

        var server = ServerConfiguration()
        server.host = settings.string("host") ?? "127.0.0.1"
        server.port = try settings.int("port", default: 8000, range: 0...65535)
        server.maxUploadBytes = try settings.int("max_file_size", default: server.maxUploadBytes, range: 1...(1 << 30))
        server.inferenceWorkers = try settings.int("workers", default: ProcessInfo.processInfo.activeProcessorCount, range: 1...256)
        server.inferenceQueue = try settings.int("queue", default: server.inferenceQueue, range: 0...100_000)
        server.maxFacesPerImage = try settings.int("max_faces", default: server.maxFacesPerImage, range: 1...1000)
        server.requestTimeoutSeconds = try settings.int("request_timeout", default: server.requestTimeoutSeconds, range: 0...86400)
        server.searchK = try settings.int("search_k", default: server.searchK, range: 1...100_000)
        server.openRegistration = try settings.bool("open_registration")
        server.allowBulkVectors = try settings.bool("allow_bulk_vectors")
        server.maxConnections = try settings.int("max_connections", default: server.maxConnections, range: 1...1_000_000)
        server.perClientInference = try settings.optionalInt("per_client_inference").map { max(0, $0) }
        server.trustedProxies = Set(settings.list("trusted_proxies"))
        server.corsOrigins = settings.list("cors_origins")
        server.storeFaceCrops = try settings.optionalBool("store_crops") ?? true
        server.storeOriginals = try settings.bool("store_originals")
        if let days = try settings.double("original_retention_days") {
            guard days > 0, days <= 100 * 365 else {
                throw ValidationError("\(Settings.names("original_retention_days")) = \(days) must be more than 0 and at most 36500")
            }
            server.originalRetention.maxAgeSeconds = Int64(days * 86_400)
        }
        server.originalRetention.budgetBytes = try settings.optionalInt("originals_budget_mb").map { mb in
            guard (0...(1 << 30)).contains(mb) else { throw ValidationError("\(Settings.names("originals_budget_mb")) = \(mb) must be 0 or more") }
            return Int64(mb) << 20
        }
        if let mode = settings.string("legacy_auth") {
            guard let parsed = ServerConfiguration.LegacyAuth(rawValue: mode.lowercased()) else {
                throw ValidationError("\(Settings.names("legacy_auth")) = '\(mode)' must be token or open")
            }
            server.legacyAuth = parsed
        }
        server.tlsCertificatePath = settings.string("tls_cert")
        server.tlsPrivateKeyPath = settings.string("tls_key")
        server.idleTimeoutSeconds = try settings.int("idle_timeout", default: server.idleTimeoutSeconds, range: 1...86400)
        server.jwtSecret = try jwtSecret(settings.string("jwt_secret"), dataDir: data)
        server.thresholdPolicy = try thresholdPolicy(settings)
        var quality = QualityRequirements.enrollment
        quality.minSize = try settings.double("min_face_size") ?? quality.minSize
        quality.minSharpness = try settings.double("min_sharpness") ?? quality.minSharpness
        quality.maxYaw = try settings.double("max_yaw") ?? quality.maxYaw
        quality.maxPitch = try settings.double("max_pitch") ?? quality.maxPitch
        quality.minDetectorScore = try settings.double("min_detector_score") ?? quality.minDetectorScore
        server.enrollmentQuality = quality
        server.queryQuality = try settings.bool("query_quality_filter") ? quality : nil
        server.maxVectors = try settings.optionalInt("max_vectors").map { n in
            guard n > 0 else { throw ValidationError("\(Settings.names("max_vectors")) = \(n) must be positive") }
            return n
        }
        let indexKind = try settings.string("index").map { name in
            guard let kind = IndexKind(setting: name) else {
                throw ValidationError("\(Settings.names("index")) = '\(name)' is not one of \(IndexKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        } ?? .auto

        let models = settings.string("model_dir") ?? data + "/models"
        let database = settings.string("database_url") ?? "sqlite://\(data)/likeness.db"
        server.antiSpoofing = try settings.bool("anti_spoofing")
        let livenessThreshold = try settings.double("anti_spoofing_threshold")
        let store = try SQLStore(database, connections: max(4, server.inferenceWorkers * 2))
        let redacted = try DatabaseURL(database).redacted
        logger.info("database \(redacted)")
        let limits = ImageLimits(maxBytes: server.maxUploadBytes, maxPixels: ImageLimits.standard.maxPixels)
        var loader = ServingLoader(models: models, data: data, limits: limits, livenessThreshold: livenessThreshold, indexKind: indexKind,
                                   store: store, logger: logger)
        loader.efSearch = try settings.int("ef_search", default: 100, range: 1...1000)
        loader.replicas = try settings.list("database_replica_urls").map { replica in
            let url = try DatabaseURL(replica)
            guard case .postgres = url else {
                throw ValidationError("\(Settings.names("database_replica_urls")): read replicas are postgres:// URLs")
            }
            logger.info("read replica \(url.redacted)")
            return try SQLStore(url: url, connections: max(2, server.inferenceWorkers), readOnly: true)
        }
        if indexKind == .pgvector, case .postgres = try DatabaseURL(database) {} else if indexKind == .pgvector {
            throw ValidationError("\(Settings.names("index")) = pgvector needs a postgres:// database (\(Settings.names("database_url")))")
        }
        let installed = try await loader.choose(asked: settings.string("pack"))
        logger.info("model pack \(installed.pack.name): \(installed.droppingMissingExtras().pack.features.joined(separator: ", "))")
        for licence in installed.pack.restrictedLicences { logger.warning("model licence: \(licence)") }
        for missing in installed.missingExtras() { logger.warning("\(missing.description)") }
        let serving = ServingModel(try loader.load(installed))
        let recognizer = serving.current.analyzer.recognizer
        await loader.warnIfStranded(recognizer.id)
        if server.legacyAuth == .open {
            logger.warning("legacy auth is open: anyone who reaches this server may call /api/face_query and /api/face_query_top5 without a token")
        }
        if server.antiSpoofing && !serving.current.analyzer.capabilities.liveness {
            logger.warning("anti-spoofing is enabled but the pack has no liveness models: queries are not checked")
        }
        if recognizer.calibration == nil, server.thresholdPolicy != .cosine(recognizer.defaultThreshold) {
            logger.warning("the pack \(installed.pack.name) has no calibration: matches use its default cosine \(recognizer.defaultThreshold)")
        }

        let app = try await buildApplication(configuration: server,
                                         services: ServerServices(serving: serving, gallery: store, accounts: store, metrics: registry,
                                                                  migration: MigrationSupport(store: store, loadPack: { name in
                                                                      try FacePipeline.load(try PackRegistry(modelDirectory: models).resolve(name), limits: limits)
                                                                  }, loadServing: { [loader] name in try loader.load(named: name) })),
                                         logger: logger)
        let interval = try settings.int("snapshot_interval", default: 300, range: 1...86400)
        let snapshots = SnapshotService(serving: serving, interval: .seconds(interval), logger: logger)
        // The pgvector index has nothing to catch up but its count and position, which other
        // servers change: read them every second rather than every five.
        let maintenance = IndexMaintenanceService(serving: serving, catchUpInterval: indexKind.inProcess ? .seconds(5) : .seconds(1),
                                                  logger: logger)
        let retention = OriginalRetentionService(gallery: store, retention: server.originalRetention, logger: logger)
        // Shut down in reverse order: the HTTP server stops accepting and finishes its requests,
        // then the last snapshot is written; the store closes when the command returns.
        var lifecycle = ServiceGroupConfiguration(
            services: [.init(service: snapshots), .init(service: maintenance), .init(service: retention), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // A shutdown is bounded: requests still running past the timeout are cancelled (within
        // an orchestrator's usual 30 s before SIGKILL), and a part that ignores cancellation for
        // 10 s more ends the process rather than leaving it up and deaf. Every acknowledged write
        // is in the database by then; only the last snapshot may be missing.
        lifecycle.maximumGracefulShutdownDuration = .seconds(try settings.int("shutdown_timeout", default: 25, range: 1...3600))
        lifecycle.maximumCancellationDuration = .seconds(10)
        let group = ServiceGroup(configuration: lifecycle)
        try await group.run()
        logger.info("stopped")
    }

    /// One of three ways to decide "same person"; giving more than one is an error.
    private func thresholdPolicy(_ settings: Settings) throws -> ThresholdPolicy {
        let fpir = try settings.double("false_positive_identification_rate")
        let fmr = try settings.double("false_match_rate")
        let cosine = try settings.double("match_threshold")
        guard [fpir, fmr, cosine].compactMap({ $0 }).count <= 1 else {
            throw ValidationError("give one of --false-positive-identification-rate, --false-match-rate and --match-threshold")
        }
        for (key, rate) in [("false_positive_identification_rate", fpir), ("false_match_rate", fmr)] {
            if let rate, !(rate > 0 && rate < 1) { throw ValidationError("\(Settings.names(key)) = \(rate) must lie between 0 and 1") }
        }
        if let cosine {
            guard (-1...1).contains(cosine) else { throw ValidationError("\(Settings.names("match_threshold")) = \(cosine) must lie in -1...1") }
            return .cosine(Float(cosine))
        }
        if let fmr { return .falseMatchRate(fmr) }
        return .identificationRate(fpir ?? 0.005)
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
