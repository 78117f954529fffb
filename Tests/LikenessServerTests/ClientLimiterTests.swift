import Testing

@testable import LikenessServer

@Suite struct ClientLimiterTests {
    /// One client over its share gets a clean 503; another client still gets in.
    @Test func eachClientGetsItsShare() async throws {
        let limiter = ClientLimiter(perClient: 1)
        try await limiter.acquire("203.0.113.9")
        await #expect(throws: APIError.self) { try await limiter.acquire("203.0.113.9") }
        try await limiter.acquire("198.51.100.1")
        await limiter.release("203.0.113.9")
        try await limiter.acquire("203.0.113.9")
    }

    /// The share is given back on every path, errors included.
    @Test func runReleasesOnErrors() async throws {
        struct Boom: Error {}
        let limiter = ClientLimiter(perClient: 1)
        await #expect(throws: Boom.self) { try await limiter.run("a") { throw Boom() } }
        #expect(try await limiter.run("a") { 7 } == 7)
        let unlimited = ClientLimiter(perClient: 0)
        for _ in 0..<5 { try await unlimited.acquire("a") }
    }
}
