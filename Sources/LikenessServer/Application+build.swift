import Hummingbird
import HummingbirdBcrypt
import HummingbirdCore
import LikenessCore
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
    let router = try await buildRouter(configuration: configuration, services: services)
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

public func buildRouter(configuration: ServerConfiguration, services: ServerServices,
                        executors: ServerExecutors? = nil) async throws -> Router<LikenessRequestContext> {
    let secret = configuration.jwtSecret.isEmpty ? TokenService.randomSecret() : configuration.jwtSecret
    let tokens = await TokenService(secret: secret, lifetimeSeconds: configuration.tokenLifetimeSeconds)
    let executors = executors ?? ServerExecutors(configuration: configuration)
    let ops = FaceOperations(services: services, executors: executors, configuration: configuration)
    let dummyHash = try await executors.passwords.run { Bcrypt.hash("not a password", cost: configuration.bcryptCost) }

    let router = Router(context: LikenessRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: ClientAddressMiddleware(trustedProxies: configuration.trustedProxies))
    router.add(middleware: UploadShareMiddleware(clients: ClientLimiter(perClient: configuration.effectivePerClientInference)))
    router.add(middleware: TimeoutMiddleware(seconds: configuration.requestTimeoutSeconds))
    router.add(middleware: AuthenticationMiddleware(tokens: tokens, accounts: services.accounts))
    SystemRoutes(services: services).register(router.group())
    let throttle = LoginThrottle(freePerPair: configuration.loginFailuresBeforeDelay, freePerAddress: configuration.loginFailuresPerAddress)
    let accounts = AccountRoutes(accounts: services.accounts, tokens: tokens, throttle: throttle, passwords: executors.passwords,
                                 configuration: configuration, dummyHash: dummyHash)
    accounts.register(router.group("api"), v1: router.group("v1"))
    LegacyRoutes(ops: ops, configuration: configuration).register(router.group("api"))
    V1Routes(ops: ops, configuration: configuration).register(router.group("v1"))
    return router
}

/// Turns every error into the API's JSON error; anything unexpected is logged and answered
/// as a 500 without internals.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let api = APIError.from(error)
            if api.status == .internalServerError {
                context.logger.error("unexpected error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            throw api
        }
    }
}

/// Health, readiness and the OpenAPI document: open to anyone.
struct SystemRoutes: Sendable {
    let services: ServerServices

    func register(_ group: RouterGroup<LikenessRequestContext>) {
        group.get("healthz") { _, _ in try json(["status": "ok"]) }
        group.get("readyz") { _, _ in
            do {
                _ = try await services.accounts.accountCount()
                return try json(["status": "ready", "faces": String(services.index.count)])
            } catch {
                throw APIError(.serviceUnavailable, "not_ready", "the database is not reachable", retryAfter: 5)
            }
        }
        group.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }
}

/// Answers 503 when a request takes longer than the configured time. The handler's task is
/// cancelled at the deadline; every wait below it (body reads, the blocking executors, the
/// database pool) gives up on cancellation, so the answer goes out on time whatever native
/// code is running, and work still queued for this request never starts.
struct TimeoutMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let seconds: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard seconds > 0 else { return try await next(request, context) }
        let timedOut = APIError(.serviceUnavailable, "timeout", "the request took longer than \(seconds) s", retryAfter: 5)
        return try await withoutActuallyEscaping(next) { next in
            let box = UncheckedSendable(value: (next, request, context))
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await box.value.0(box.value.1, box.value.2) }
                group.addTask {
                    try await Task.sleep(for: .seconds(seconds))
                    return nil
                }
                defer { group.cancelAll() }
                do {
                    guard let first = try await group.next(), let response = first else { throw timedOut }
                    return response
                } catch is CancellationError {
                    throw timedOut
                }
            }
        }
    }
}

/// Carries the handler chain into the racing child task; it is used by exactly one of them.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
}
