import Foundation
import LikenessCore
import Synchronization
import Testing

@Suite struct BlockingExecutorTests {
    final class Count: Sendable {
        let value = Mutex(0)
        func add() { value.withLock { $0 += 1 } }
        var now: Int { value.withLock { $0 } }
    }

    @Test func runsOnItsThreadsAndReturnsResults() async throws {
        let executor = BlockingExecutor(name: "t", threads: 2)
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<20 { group.addTask { try await executor.run { i * i } } }
            return try await group.reduce(0, +)
        }
        #expect(results == (0..<20).map { $0 * $0 }.reduce(0, +))
        // Never more jobs at once than threads.
        let running = Count(), peak = Count()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await executor.run {
                        running.add()
                        peak.value.withLock { $0 = max($0, running.now) }
                        Thread.sleep(forTimeInterval: 0.02)
                        running.value.withLock { $0 -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(peak.now <= 2)
        await #expect(throws: CocoaErrorLike.self) { try await executor.run { throw CocoaErrorLike() } }
    }

    struct CocoaErrorLike: Error {}

    @Test func aFullLineIsRefusedAtOnce() async throws {
        let executor = BlockingExecutor(name: "t", threads: 1, queueLimit: 1)
        let gate = DispatchSemaphore(value: 0)
        async let a: Void = executor.run { gate.wait() }
        async let b: Void = executor.run { () }
        // Wait (without timing assumptions) until one job runs and one waits.
        while executor.load != (1, 1) { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: BlockingExecutor.Rejection.busy("t")) { try await executor.run { () } }
        gate.signal()
        _ = try await (a, b)
    }

    /// Cancelled while running: answered while the job is still blocked (the thread finishes it
    /// later). Cancelled while waiting: the job never runs. No timing assumptions: a gate holds
    /// the running job until the cancellations have been answered.
    @Test func cancellationAnswersAtOnceAndDropsWaitingJobs() async throws {
        let executor = BlockingExecutor(name: "t", threads: 1)
        let ran = Count()
        let gate = DispatchSemaphore(value: 0)
        let blocker = Task { try await executor.run { gate.wait(); ran.add() } }
        while executor.load != (1, 0) { try await Task.sleep(for: .milliseconds(5)) }
        let waiter = Task { try await executor.run { ran.add() } }
        while executor.load != (1, 1) { try await Task.sleep(for: .milliseconds(5)) }
        blocker.cancel()
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await blocker.value }
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(ran.now == 0 && executor.load == (1, 0))  // answered while the job is still blocked
        gate.signal()
        while executor.load != (0, 0) { try await Task.sleep(for: .milliseconds(5)) }
        #expect(ran.now == 1)  // the blocker's work finished; the waiter's never started
    }

    @Test func alreadyCancelledTasksNeverStart() async throws {
        let executor = BlockingExecutor(name: "t", threads: 1)
        let ran = Count()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await executor.run { ran.add() }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ran.now == 0)
    }
}
