/// What a use case can refuse, in the domain's words. The HTTP layer maps each case to a status
/// and a stable code in one place (`APIError.from`); the CLI or another front end may map them
/// its own way.
public enum DomainError: Error, Equatable, Sendable {
    case notFound(String)
    /// Input that can never be right; `code` is stable (`invalid_username`, `too_many_files`, ...).
    case invalid(code: String, message: String)
    case conflict(String)
    /// The image has no face the use case can work with.
    case noFace
    /// The face looks like a print or a screen.
    case spoof(score: Double, threshold: Double)
    /// Understood, but nothing could be done with it (`not_enrolled`, `no_enrolled_face`).
    case unprocessable(code: String, message: String)
    /// Credentials missing or wrong.
    case unauthenticated(code: String, message: String)
    /// Authenticated, but not allowed.
    case forbidden(code: String, message: String)
    /// Too many failed attempts: try again after the given seconds.
    case throttled(retryAfter: Int, message: String)
    /// A configured limit is reached (`index_full`): nothing more can be stored until it rises.
    case full(code: String, message: String)
    /// The server is switching to another model this moment: the same request, sent again, works.
    case switching(String)
}
