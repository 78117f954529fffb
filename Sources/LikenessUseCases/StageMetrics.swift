import Metrics
import Synchronization

/// Per-stage time of the work behind a request (decode, detect, align, embed, liveness,
/// quality, search, store) as swift-metrics timers, one per stage, made once and then reused: recording
/// is a lock-free histogram update, and a no-op when no metrics backend is bootstrapped. Each
/// record also goes to the request's own `RequestStages`, when it has one.
public final class StageMetrics: Sendable {
    public static let shared = StageMetrics()
    public static let label = "likeness_stage_duration_seconds"

    private let timers = Mutex<[String: Metrics.Timer]>([:])

    public func record(_ timings: StageTimings) {
        for (name, milliseconds) in timings.stages { record(name, milliseconds: milliseconds) }
    }

    public func record(_ stage: String, milliseconds: Double) {
        timer(stage).recordNanoseconds(Int64(milliseconds * 1_000_000))
        RequestStages.current?.add(stage, milliseconds: milliseconds)
    }

    private func timer(_ stage: String) -> Metrics.Timer {
        timers.withLock { cache in
            if let timer = cache[stage] { return timer }
            let timer = Metrics.Timer(label: Self.label, dimensions: [("stage", stage)], preferredDisplayUnit: .seconds)
            cache[stage] = timer
            return timer
        }
    }
}
