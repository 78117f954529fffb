@_exported import LikenessCore

/// The use cases' blocking work, each kind on its own bounded `BlockingExecutor`, so one kind
/// cannot starve another: a login flood fills only the password line, a burst of uploads only
/// the inference line, and neither touches the event loops or the cooperative pool that
/// `/healthz` and token checks run on.
public struct WorkExecutors: Sendable {
    /// Image analysis: one thread per worker, a short line, then 503.
    public let inference: BlockingExecutor
    /// Index searches and catch-ups: quick scans, but blocking ones.
    public let index: BlockingExecutor
    /// bcrypt: about 250 ms of one core per login at cost 12. One thread, so a flood of logins
    /// keeps at least one core for everything else, and a short line, then 503.
    public let passwords: BlockingExecutor
    /// Index rebuilds and approximate builds: minutes of work at a million faces, on a thread of
    /// their own so that searches and catch-ups keep theirs.
    public let maintenance: BlockingExecutor

    public init(inferenceWorkers: Int, inferenceQueue: Int, passwordThreads: Int = 1, passwordQueue: Int = 8) {
        inference = BlockingExecutor(name: "likeness-inference", threads: inferenceWorkers, queueLimit: inferenceQueue)
        index = BlockingExecutor(name: "likeness-index", threads: 2, queueLimit: 256)
        passwords = BlockingExecutor(name: "likeness-bcrypt", threads: passwordThreads, queueLimit: passwordQueue)
        maintenance = BlockingExecutor(name: "likeness-index-build", threads: 1, queueLimit: 4)
    }

    public func shutdown() {
        inference.shutdown()
        index.shutdown()
        passwords.shutdown()
        maintenance.shutdown()
    }
}
