import LikenessUseCases

/// Every setting of the HTTP server. The executable fills it from a file, the environment and
/// flags (see `likeness serve --help`).
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 8000, as in the original system.
    public var port = 8000
    /// Largest upload, in bytes (the original's MAX_FILE_SIZE, 10 MB).
    public var maxUploadBytes = 10 * 1024 * 1024
    /// Faces analysed per image, largest first.
    public var maxFacesPerImage = 20
    /// Candidates searched per face (the original's SEARCH_K caps top-k requests).
    public var searchK = 100
    /// Images analysed at once (the original's ASYNC_WORKERS); the rest wait in line.
    public var inferenceWorkers = 2
    /// Requests allowed to wait for a worker; beyond this the server answers 503 with Retry-After.
    public var inferenceQueue = 16
    /// Whether anyone may register after the first account (which always becomes admin).
    public var openRegistration = false
    /// HMAC key for tokens; generated and stored on first start by the executable.
    public var jwtSecret: [UInt8] = []
    public var tokenLifetimeSeconds = 24 * 3600
    /// bcrypt cost for new passwords.
    public var bcryptCost: UInt8 = 12
    /// Failed logins for one username allowed before answers slow down.
    public var loginFailuresBeforeDelay = 5
    public var requestTimeoutSeconds = 60
    /// Threads hashing passwords (bcrypt), and logins allowed to wait for one before 503.
    public var passwordHashingThreads = 1
    public var passwordHashingQueue = 8
    /// Failed logins from one client address, over all usernames, before its answers slow down.
    public var loginFailuresPerAddress = 20
    /// Connections open at once; further ones wait in the listen backlog.
    public var maxConnections = 512
    /// A connection with no request in progress for this long is closed (slowloris, idle sockets).
    public var idleTimeoutSeconds = 30
    /// Images one client address may have in analysis at once (0: no cap). By default one
    /// fewer than the workers, so one client cannot hold every worker.
    public var perClientInference: Int? = nil
    /// A reverse proxy whose X-Forwarded-For names the real client (for per-client limits).
    public var trustedProxies: Set<String> = []

    /// What the use cases need of it.
    var useCaseSettings: UseCaseSettings {
        var s = UseCaseSettings()
        s.maxFacesPerImage = maxFacesPerImage
        s.searchK = searchK
        s.antiSpoofing = antiSpoofing
        s.maxFilesPerEnrollment = maxFilesPerEnrollment
        s.storeFaceCrops = storeFaceCrops
        s.storeOriginals = storeOriginals
        s.originalRetention = originalRetention
        s.openRegistration = openRegistration
        s.bcryptCost = bcryptCost
        s.loginFailuresPerPair = loginFailuresBeforeDelay
        s.loginFailuresPerAddress = loginFailuresPerAddress
        s.tokenLifetimeSeconds = tokenLifetimeSeconds
        s.thresholdPolicy = thresholdPolicy
        s.enrollmentQuality = enrollmentQuality
        s.queryQuality = queryQuality
        s.maxVectors = maxVectors
        return s
    }

    /// How "same person" is decided when a request does not say (see `ThresholdPolicy`).
    public var thresholdPolicy: ThresholdPolicy = .identificationRate(0.005)
    /// What a face must offer to be enrolled; `queryQuality`, when set, also filters queries.
    public var enrollmentQuality: QualityRequirements = .enrollment
    public var queryQuality: QualityRequirements?
    /// Faces the index may hold (`MAX_VECTORS`); nil for no limit.
    public var maxVectors: Int?
    /// Serve the original stack's benchmark endpoint, `POST /api/bulk_vectors` (synthetic people).
    public var allowBulkVectors = false

    var effectivePerClientInference: Int { perClientInference ?? max(1, inferenceWorkers - 1) }

    /// PEM certificate chain and private key: serve HTTPS directly, for deployments without a
    /// TLS-terminating proxy.
    public var tlsCertificatePath: String?
    public var tlsPrivateKeyPath: String?

    /// Keep a crop of each enrolled face (GET /v1/faces/{id}/crop).
    public var storeFaceCrops = true
    /// Keep the uploaded image of each enrolled face (GET /v1/faces/{id}/original).
    public var storeOriginals = false
    /// Kept originals older than this, or beyond this many bytes (oldest first), are deleted.
    public var originalRetention = OriginalRetention()
    /// Origins whose browser apps may call the API (CORS); "*" for any; empty: none.
    public var corsOrigins: [String] = []
    /// How the original's recognition endpoints (`/api/face_query`, `/api/face_query_top5`)
    /// authenticate: with a token, or open, as the original served them.
    public var legacyAuth: LegacyAuth = .token

    public enum LegacyAuth: String, Sendable, CaseIterable {
        case token
        case open
    }

    /// Files enrolled by one request to POST /v1/people/{class_id}/faces.
    public var maxFilesPerEnrollment = 10
    /// The original's ENABLE_ANTI_SPOOFING: queries check liveness and report a spoof instead of
    /// a match, and spoofs are not enrolled. Without liveness models it only warns at start-up.
    public var antiSpoofing = false

    public init() {}
}
