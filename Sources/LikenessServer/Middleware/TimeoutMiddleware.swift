import Hummingbird

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
