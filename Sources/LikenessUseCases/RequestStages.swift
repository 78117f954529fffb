import Synchronization

/// The stage times of one request, gathered as its work records them (`StageMetrics`), for the
/// answer's `Server-Timing` header: a client, or a browser's developer tools, then sees where
/// its request's time went (decode, detect, align, embed, quality, search, store) without access to
/// `/metrics`. Task-local like `ReadConsistency`, so the use cases need no extra parameter.
public final class RequestStages: Sendable {
    /// The collector of the request in hand, if its server asked for one.
    @TaskLocal public static var current: RequestStages?

    private let gathered = Mutex(StageTimings())

    public init() {}

    /// Adds to the stage's total: a request with several faces or files runs a stage more than once.
    public func add(_ stage: String, milliseconds: Double) { gathered.withLock { $0.add(stage, milliseconds) } }

    public var timings: StageTimings { gathered.withLock { $0 } }
}
