import Testing

import LikenessUseCases

@Suite struct LoginThrottleTests {
    /// A guesser from one address locks out only itself: the same user from elsewhere is not delayed.
    @Test func aGuesserLocksOutOnlyItself() async {
        let throttle = LoginThrottle(freePerPair: 3, freePerAddress: 100)
        var refused = 0
        for _ in 0..<10 where await throttle.begin(username: "admin", address: "203.0.113.9") != nil { refused += 1 }
        #expect(refused >= 6)
        #expect(await throttle.begin(username: "admin", address: "198.51.100.1") == nil)
    }

    /// Random usernames from one address: the address's own budget stops the flood.
    @Test func randomUsernamesFromOneAddressAreLimited() async {
        let throttle = LoginThrottle(freePerPair: 3, freePerAddress: 20)
        var allowed = 0
        for i in 0..<200 where await throttle.begin(username: "user\(i)", address: "203.0.113.9") == nil { allowed += 1 }
        #expect(allowed <= 21)
        #expect(await throttle.begin(username: "someone", address: "192.0.2.1") == nil)
    }

    /// A success forgives its own reservation, a withdrawn attempt (server busy) too.
    @Test func successAndWithdrawForgive() async {
        let throttle = LoginThrottle(freePerPair: 2, freePerAddress: 2)
        for _ in 0..<10 {
            #expect(await throttle.begin(username: "u", address: "a") == nil)
            await throttle.succeeded(username: "u", address: "a")
        }
        for _ in 0..<10 {
            #expect(await throttle.begin(username: "v", address: "b") == nil)
            await throttle.withdraw(username: "v", address: "b")
        }
    }

    /// Memory stays bounded under a flood of distinct keys.
    @Test func tablesStayBounded() async {
        let throttle = LoginThrottle(freePerPair: 3, freePerAddress: 1_000_000, capacity: 500)
        for i in 0..<5000 { _ = await throttle.begin(username: "u\(i)", address: "10.0.\(i % 250).\(i % 7)") }
        #expect(await throttle.entryCount <= 2 * 500 + 2)
    }
}
