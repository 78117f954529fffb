import Hummingbird
import HummingbirdCore
import LikenessCore
import LikenessUseCases
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// Builds the HTTP application over the given services (Hummingbird's examples' shape).
public func buildApplication(
    configuration: ServerConfiguration,
    services: ServerServices,
    logger: Logger = Logger(label: "likeness.server")
) async throws -> some ApplicationProtocol {
    // The background model migration runs as a service of the application, so that it stops
    // with the server.
    let migration = services.migration.map { MigrationRunner(support: $0, serving: services.serving, logger: logger) }
    let router = try await buildRouter(configuration: configuration, services: services, migration: migration, logger: logger)
    // Idle connections (slowloris, sockets left open) are closed; headers are capped well below
    // NIO's defaults; past the connection cap, new connections wait in the listen backlog.
    let http1 = HTTP1Channel.Configuration(
        idleTimeout: .seconds(Int64(max(1, configuration.idleTimeoutSeconds))),
        httpDecoderConfiguration: .init(maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 32 * 1024, maxHeaderFieldCount: 100))
    return Application(
        router: router,
        server: try serverBuilder(http1, configuration),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Likeness",
                             availableConnectionsDelegate: MaximumAvailableConnections(max(1, configuration.maxConnections))),
        services: migration.map { [$0] } ?? [],
        logger: logger
    )
}

/// HTTP/1.1, inside TLS when a certificate and key are configured.
func serverBuilder(_ http1: HTTP1Channel.Configuration, _ configuration: ServerConfiguration) throws -> HTTPServerBuilder {
    switch (configuration.tlsCertificatePath, configuration.tlsPrivateKeyPath) {
    case (nil, nil):
        return .http1(configuration: http1)
    case let (certificate?, key?):
        let chain: [NIOSSLCertificate]
        let privateKey: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw TLSSetupError("cannot read the TLS certificate chain \(certificate) as PEM: \(error)")
        }
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw TLSSetupError("cannot read the TLS private key \(key) as PEM: \(error)")
        }
        guard !chain.isEmpty else { throw TLSSetupError("\(certificate) holds no certificate") }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        tls.minimumTLSVersion = .tlsv12
        return try .tls(.http1(configuration: http1), tlsConfiguration: tls)
    default:
        throw TLSSetupError("TLS needs both a certificate (--tls-cert) and a private key (--tls-key)")
    }
}

public struct TLSSetupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

func buildRouter(configuration: ServerConfiguration, services: ServerServices, executors: WorkExecutors? = nil,
                 migration: MigrationRunner?, logger: Logger) async throws -> Router<LikenessRequestContext> {
    let settings = configuration.useCaseSettings
    let executors = executors ?? WorkExecutors(inferenceWorkers: configuration.inferenceWorkers, inferenceQueue: configuration.inferenceQueue,
                                               passwordThreads: configuration.passwordHashingThreads,
                                               passwordQueue: configuration.passwordHashingQueue)
    let recognition = RecognitionService(serving: services.serving, gallery: services.gallery, executors: executors, settings: settings)
    let gallery = GalleryService(recognition: recognition)
    let secret = configuration.jwtSecret.isEmpty ? TokenService.randomSecret() : configuration.jwtSecret
    let accounts = try await AccountService(accounts: services.accounts, secret: secret, executors: executors, settings: settings)

    let router = Router(context: LikenessRequestContext.self)
    if services.metrics != nil { router.add(middleware: MetricsMiddleware()) }
    router.add(middleware: ClientAddressMiddleware(trustedProxies: configuration.trustedProxies))
    var requests = Logger(label: "likeness.request")
    requests.logLevel = logger.logLevel
    router.add(middleware: RequestLogMiddleware(logger: requests))
    // Outside the error middleware, so that error answers carry the CORS headers too.
    if let cors = CORSPolicyMiddleware(origins: configuration.corsOrigins) { router.add(middleware: cors) }
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: ServerTimingMiddleware())
    router.add(middleware: DemandMiddleware())
    router.add(middleware: UploadShareMiddleware(clients: ClientLimiter(perClient: configuration.effectivePerClientInference)))
    router.add(middleware: TimeoutMiddleware(seconds: configuration.requestTimeoutSeconds))
    router.add(middleware: BearerAuthenticator(accounts: accounts))
    // After authentication: the floor is per account.
    router.add(middleware: ReadYourWritesMiddleware())
    let api = router.group("api"), v1 = router.group("v1")
    SystemController(accounts: accounts, gallery: gallery, executors: executors, serving: services.serving, migration: migration)
        .addRoutes(to: router.group(), v1: v1)
    ConsoleController().addRoutes(to: router.group())
    if let registry = services.metrics {
        MetricsController(registry: registry, gallery: gallery, executors: executors, pack: services.serving.current.packName).addRoutes(to: router.group())
    }
    AccountController(accounts: accounts).addRoutes(api: api, v1: v1)
    LegacyController(recognition: recognition, gallery: gallery, maxUploadBytes: configuration.maxUploadBytes,
                     openRecognition: configuration.legacyAuth == .open).addRoutes(to: api)
    if configuration.allowBulkVectors { BulkVectorsController(gallery: gallery).addRoutes(to: api) }
    PeopleController(gallery: gallery, maxUploadBytes: configuration.maxUploadBytes).addRoutes(to: v1)
    RecognitionController(recognition: recognition, maxUploadBytes: configuration.maxUploadBytes).addRoutes(to: v1)
    return router
}
