import Foundation

/// The one way Likeness runs blocking work (native inference, index scans, database calls,
/// bcrypt, fsync): a fixed set of dedicated threads and a bounded line of waiting jobs, never
/// Swift's cooperative pool or an event loop.
///
/// It is cancellation-aware as a whole: a job whose task is cancelled while it waits leaves the
/// line and never runs; a caller cancelled while its job runs is answered at once with
/// `CancellationError` (the thread finishes the native call, which cannot be interrupted, and
/// its result is dropped). So a request timeout answers at its deadline whatever the native
/// code is doing, and work whose request is gone is not started.
public final class BlockingExecutor: Sendable {
    public enum Rejection: Error, Equatable {
        /// Every thread is busy and the line is full: the caller should answer 503 and retry later.
        case busy(String)
        case shutDown(String)
    }

    private let core: ExecutorCore
    public var name: String { core.name }
    public var threadCount: Int { core.threadCount }
    public var queueLimit: Int { core.queueLimit }

    /// - Parameters:
    ///   - threads: jobs run at once (each on its own thread).
    ///   - queueLimit: jobs allowed to wait for a thread; one more is refused with `.busy`.
    public init(name: String, threads: Int, queueLimit: Int = Int.max) {
        core = ExecutorCore(name: name, threads: threads, queueLimit: queueLimit)
    }

    // The threads hold the core, not the executor: when the last user lets go, they stop.
    deinit { core.shutdown() }

    /// Jobs running and jobs waiting, for status pages and metrics.
    public var load: (running: Int, waiting: Int) { core.load }

    /// Runs `body` on one of the executor's threads and answers its result.
    /// Throws `Rejection.busy` when the line is full, `CancellationError` when the calling task
    /// is cancelled before `body` ends.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await core.run(body)
    }

    /// Stops the threads once the jobs already in line have run; new jobs are refused.
    public func shutdown() { core.shutdown() }
}

private final class ExecutorCore: @unchecked Sendable {
    typealias Rejection = BlockingExecutor.Rejection

    let name: String
    let threadCount: Int
    let queueLimit: Int
    private let condition = NSCondition()
    private var queue: [Job] = []          // guarded by `condition`
    private var running = 0                // guarded by `condition`
    private var stopping = false           // guarded by `condition`

    init(name: String, threads: Int, queueLimit: Int) {
        self.name = name
        threadCount = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        for i in 0..<threadCount {
            let thread = Thread { self.workLoop() }
            thread.name = "\(name)-\(i)"
            thread.start()
        }
    }

    var load: (running: Int, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (running, queue.count)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let job = Job()
        let box = ResultBox<T>()
        job.work = { box.result = Result { try body() } }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                condition.lock()
                job.continuation = continuation
                if job.state == .cancelled {
                    job.state = .finished
                    condition.unlock()
                    continuation.resume(throwing: CancellationError())
                    return
                }
                if stopping {
                    job.state = .finished
                    condition.unlock()
                    continuation.resume(throwing: Rejection.shutDown(name))
                    return
                }
                if running >= threadCount, queue.count >= queueLimit {
                    job.state = .finished
                    condition.unlock()
                    continuation.resume(throwing: Rejection.busy(name))
                    return
                }
                job.state = .queued
                queue.append(job)
                condition.signal()
                condition.unlock()
            }
            guard let result = box.result else { throw CancellationError() }
            return try result.get()
        } onCancel: {
            cancel(job)
        }
    }

    func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func cancel(_ job: Job) {
        condition.lock()
        var continuation: CheckedContinuation<Void, any Error>?
        switch job.state {
        case .new:
            job.state = .cancelled  // `run` sees this before queueing
        case .queued:
            queue.removeAll { $0 === job }
            job.state = .finished
            continuation = job.continuation
        case .running:
            job.state = .abandoned
            continuation = job.continuation
        case .cancelled, .abandoned, .finished:
            break
        }
        job.continuation = nil
        condition.unlock()
        continuation?.resume(throwing: CancellationError())
    }

    private func workLoop() {
        while true {
            condition.lock()
            while queue.isEmpty, !stopping { condition.wait() }
            if queue.isEmpty, stopping {
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            job.state = .running
            running += 1
            condition.unlock()

            job.work?()
            job.work = nil

            condition.lock()
            running -= 1
            var continuation: CheckedContinuation<Void, any Error>?
            if job.state == .running {
                continuation = job.continuation
            }
            job.state = .finished
            job.continuation = nil
            condition.unlock()
            continuation?.resume()
        }
    }

    private enum JobState { case new, queued, running, cancelled, abandoned, finished }

    /// Guarded by the executor's `condition`, apart from `work`, which only its thread touches.
    private final class Job: @unchecked Sendable {
        var state = JobState.new
        var continuation: CheckedContinuation<Void, any Error>?
        var work: (() -> Void)?
    }

    /// Written by the job's thread before its continuation resumes, read by the caller after.
    private final class ResultBox<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }
}
