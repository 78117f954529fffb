import LikenessCore
import Testing

/// The count of requests in hand that chooses a pass's threads: up while a body runs, down
/// after it, whether it returns or throws.
struct InferenceDemandTests {
    struct Refused: Error {}

    @Test func countsWhileABodyRunsAndNotAfter() async throws {
        let demand = InferenceDemand()
        #expect(demand.current == 0)
        #expect(await demand.counting { demand.current } == 1)
        #expect(await demand.counting { await demand.counting { demand.current } } == 2)
        await #expect(throws: Refused.self) { try await demand.counting { throw Refused() } }
        #expect(demand.current == 0)
    }

    /// Holds every caller of `wait()` until `open()`.
    actor Gate {
        private var waiting: [CheckedContinuation<Void, Never>] = []
        private var isOpen = false

        func wait() async {
            if isOpen { return }
            await withCheckedContinuation { waiting.append($0) }
        }

        func open() {
            isOpen = true
            waiting.forEach { $0.resume() }
            waiting = []
        }
    }

    @Test func concurrentRequestsAreCountedTogether() async throws {
        let demand = InferenceDemand()
        let gate = Gate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask { await demand.counting { await gate.wait() } }
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while demand.current < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
            #expect(demand.current == 3)
            await gate.open()
            try await group.waitForAll()
        }
        #expect(demand.current == 0)
    }
}
