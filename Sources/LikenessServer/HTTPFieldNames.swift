import HTTPTypes

/// Response headers the console sends that swift-http-types does not name.
extension HTTPField.Name {
    // Both are valid tokens, so the failable initialiser cannot fail here.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}
