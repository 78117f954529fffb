import LikenessCore

/// The server's blocking work, each kind on its own bounded `BlockingExecutor`, so one kind
/// cannot starve another: a login flood fills only the password line, a burst of uploads only
/// the inference line, and neither touches the event loops or the cooperative pool that
/// `/healthz` and token checks run on.
public struct ServerExecutors: Sendable {
    /// Image analysis: one thread per worker, a short line, then 503.
    public let inference: BlockingExecutor
    /// Index searches and catch-ups: quick scans, but blocking ones.
    public let index: BlockingExecutor
    /// bcrypt: about 250 ms of one core per login at cost 12. One thread, so a flood of logins
    /// keeps at least one core for everything else, and a short line, then 503.
    public let passwords: BlockingExecutor

    public init(configuration: ServerConfiguration) {
        inference = BlockingExecutor(name: "likeness-inference", threads: configuration.inferenceWorkers,
                                     queueLimit: configuration.inferenceQueue)
        index = BlockingExecutor(name: "likeness-index", threads: 2, queueLimit: 256)
        passwords = BlockingExecutor(name: "likeness-bcrypt", threads: configuration.passwordHashingThreads,
                                     queueLimit: configuration.passwordHashingQueue)
    }

    func shutdown() {
        inference.shutdown()
        index.shutdown()
        passwords.shutdown()
    }
}

/// Seconds since `start`, to 0.1 ms (the original's processing_time).
func seconds(since start: ContinuousClock.Instant) -> Double {
    let (s, a) = (ContinuousClock.now - start).components
    return ((Double(s) + Double(a) / 1e18) * 10000).rounded() / 10000
}
