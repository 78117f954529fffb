import Dispatch

/// Runs CPU-heavy work (bcrypt) off the event loops and the cooperative pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
}

@discardableResult
func blockingThrows<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// Seconds since `start`, to 0.1 ms (the original's processing_time).
func seconds(since start: ContinuousClock.Instant) -> Double {
    let (s, a) = (ContinuousClock.now - start).components
    return ((Double(s) + Double(a) / 1e18) * 10000).rounded() / 10000
}
