import Hummingbird
import LikenessUseCases

/// Answers the stages a request's work went through, with their times, in the standard
/// `Server-Timing` header (`decode;dur=0.31, detect;dur=1.92, ...`, milliseconds), as the
/// original stack's reference does: seedstack's load client reports both servers' stages side
/// by side from it, and browsers show it in their developer tools. Requests without image work
/// (logins, listings) get no header.
struct ServerTimingMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let stages = RequestStages()
        var response = try await RequestStages.$current.withValue(stages) { try await next(request, context) }
        if let value = Self.header(stages.timings) { response.headers[.serverTiming] = value }
        return response
    }

    /// The header's value, or nil when no stage ran. Stage names are plain words, so valid tokens.
    static func header(_ timings: StageTimings) -> String? {
        guard !timings.stages.isEmpty else { return nil }
        // Hundredths of a millisecond: finer is noise.
        return timings.stages.map { "\($0.name);dur=\(($0.milliseconds * 100).rounded() / 100)" }.joined(separator: ", ")
    }
}
