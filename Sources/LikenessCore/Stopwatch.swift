/// Measures stages for `StageTimings`.
public struct Stopwatch: Sendable {
    private var start = ContinuousClock.now

    public init() {}

    /// Milliseconds since the start or the last lap, and restarts.
    public mutating func lap() -> Double {
        let now = ContinuousClock.now
        let elapsed = start.duration(to: now)
        start = now
        let (seconds, attoseconds) = elapsed.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

extension Duration {
    /// The duration in seconds, as a rate or a timeout needs it.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
