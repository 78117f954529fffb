/// What the use cases need to know of the configuration; the server fills it from its own.
public struct UseCaseSettings: Sendable {
    /// Faces analysed per image, largest first.
    public var maxFacesPerImage = 20
    /// Candidates searched per face; caps top-k requests.
    public var searchK = 100
    /// Queries and enrolment check liveness, when the pack has the models.
    public var antiSpoofing = false
    /// Images one enrolment request may carry.
    public var maxFilesPerEnrollment = 10
    /// Keep a crop of each enrolled face (`FaceCrop`), so that faces can be shown, and embedded
    /// again by another recognizer without the original photos.
    public var storeFaceCrops = true
    /// Keep the uploaded image of each enrolled face too (off: photos are personal data a
    /// gallery rarely needs once the crop is kept).
    public var storeOriginals = false
    /// How long kept originals stay, and how much room they may take.
    public var originalRetention = OriginalRetention()
    /// Anyone may register (as a viewer) after the first account.
    public var openRegistration = false
    public var bcryptCost: UInt8 = 12
    /// Failed logins per (username, client address), and per address, before answers slow down.
    public var loginFailuresPerPair = 5
    public var loginFailuresPerAddress = 20
    public var tokenLifetimeSeconds = 24 * 3600
    /// How "same person" is decided when a request does not say: by default at most 1% of
    /// strangers accepted whatever the gallery's size, by aiming at half of it (a margin for
    /// the calibration's sampling error; bench/calibrate.sh measures it). Packs without a
    /// calibration use their default cosine.
    public var thresholdPolicy: ThresholdPolicy = .identificationRate(0.005)
    /// What a face must offer to be enrolled.
    public var enrollmentQuality: QualityRequirements = .enrollment
    /// When set, query faces below it are reported but not searched.
    public var queryQuality: QualityRequirements?
    /// Enrolment warns when a new face is nearer another person than its own.
    public var warnOnMislabel = true
    /// Faces the index may hold (`MAX_VECTORS`); enrolment past it is refused.
    public var maxVectors: Int?

    public init() {}
}

/// Who is calling: an account, authenticated by token or API key.
public struct Identity: Sendable, Equatable {
    public var accountID: Int64
    public var username: String
    public var role: Role
    /// Authenticated by an API key rather than a login token (keys cannot mint keys).
    public var viaAPIKey = false

    public init(accountID: Int64, username: String, role: Role, viaAPIKey: Bool = false) {
        self.accountID = accountID
        self.username = username
        self.role = role
        self.viaAPIKey = viaAPIKey
    }
}
