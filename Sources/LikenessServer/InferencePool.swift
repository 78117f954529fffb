import Hummingbird

/// Bounds the images analysed at once, and the requests waiting for a turn. When the line is
/// full the request is refused at once with 503 and Retry-After instead of queueing without
/// bound; the caller can try again.
actor InferencePool {
    private let workers: Int
    private let queueLimit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(workers: Int, queueLimit: Int) {
        self.workers = max(1, workers)
        self.queueLimit = max(0, queueLimit)
    }

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async throws {
        if running < workers {
            running += 1
            return
        }
        guard waiting.count < queueLimit else {
            throw APIError(.serviceUnavailable, "busy", "the server is busy analysing other images; try again shortly", retryAfter: 2)
        }
        // The releasing request hands its slot straight to the next in line.
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    var load: (running: Int, waiting: Int) { (running, waiting.count) }
}
