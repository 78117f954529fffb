import Hummingbird

/// Caps the uploads one client may have in progress (being read, waiting, or analysed) at
/// once, so a client sending image bombs or a burst of uploads takes a share of the workers,
/// not all of them: the rest stays open to everyone else. Over its share a client gets a clean
/// 503 with Retry-After, like a full queue.
actor ClientLimiter {
    private var inFlight: [String: Int] = [:]
    /// 0 for no cap.
    let perClient: Int

    init(perClient: Int) { self.perClient = max(0, perClient) }

    func acquire(_ client: String) throws {
        guard perClient > 0 else { return }
        let n = inFlight[client, default: 0]
        guard n < perClient else {
            throw APIError(.serviceUnavailable, "busy", "this client already has \(n) images in analysis; try again shortly", retryAfter: 1)
        }
        inFlight[client] = n + 1
    }

    func release(_ client: String) {
        guard perClient > 0, let n = inFlight[client] else { return }
        inFlight[client] = n > 1 ? n - 1 : nil
    }

    /// Runs `body` within the client's share.
    nonisolated func run<T: Sendable>(_ client: String, _ body: () async throws -> T) async throws -> T {
        try await acquire(client)
        do {
            let result = try await body()
            await release(client)
            return result
        } catch {
            await release(client)
            throw error
        }
    }
}

/// Applies the client's share to every upload (multipart request) before its body is read, so
/// a refused request costs its headers, not a parse of its body.
struct UploadShareMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let clients: ClientLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/") else {
            return try await next(request, context)
        }
        return try await clients.run(context.clientAddress) { try await next(request, context) }
    }
}
