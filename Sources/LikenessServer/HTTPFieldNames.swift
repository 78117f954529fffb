import HTTPTypes

/// Headers that swift-http-types does not name: the console's, read-your-writes' and stage times.
extension HTTPField.Name {
    // All are valid tokens, so the failable initialiser cannot fail here.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    /// The change-log position a write reached.
    static let likenessPosition = HTTPField.Name("Likeness-Position")!
    /// The position a client's reads must reflect (its own last write, through any server).
    static let likenessMinPosition = HTTPField.Name("Likeness-Min-Position")!
    /// A request's stage times (W3C Server Timing).
    static let serverTiming = HTTPField.Name("Server-Timing")!
}
