import Synchronization

/// How many requests the process has in hand that may need a core (the server counts them:
/// `DemandMiddleware`). The inference engine reads it to choose a pass's threads: a request
/// that is the only one in hand may spread its passes over every core, while under load each
/// pass keeps to its own thread, since a second thread would only take the core that another
/// request is about to need (on 2 cores, throughput at concurrency 4 fell by about a fifth when
/// passes went wide whenever no other pass happened to be running at that instant).
public final class InferenceDemand: Sendable {
    /// The process's count, which the server keeps and the engine reads.
    public static let shared = InferenceDemand()

    private let count = Atomic<Int>(0)

    public init() {}

    /// Requests in hand now; 0 where nothing counts them (the CLI, benchmarks, migrations).
    public var current: Int { count.load(ordering: .relaxed) }

    /// Runs `body` counted as one request in hand.
    public func counting<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        count.add(1, ordering: .relaxed)
        defer { count.subtract(1, ordering: .relaxed) }
        return try await body()
    }
}
