import Hummingbird

/// Who the client is, for per-client limits: the peer address, or behind a trusted reverse
/// proxy the address it appended to X-Forwarded-For (the last one: earlier entries are
/// whatever the client claimed).
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let trustedProxies: Set<String>

    static let forwardedForHeader = HTTPFields.Element.Name("X-Forwarded-For")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let peer = context.remoteAddress?.ipAddress, trustedProxies.contains(peer),
           let header = request.headers[values: Self.forwardedForHeader].last,
           let last = header.split(separator: ",").last.map({ String($0).trimmingOWS() }), !last.isEmpty, last.utf8.count <= 64 {
            context.forwardedFor = last
        }
        return try await next(request, context)
    }
}

