import Hummingbird
import Logging
import NIOCore
import Synchronization

/// One log line per request: its id (also sent back as `X-Request-Id`), method, route (the
/// route's pattern, never the path's values or query, which can carry names and tokens),
/// status, milliseconds and client. Errors become responses here, so the header and the line
/// are there for them too.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    static let header = HTTPFields.Element.Name("X-Request-Id")!
    let logger: Logger
    let ids = RequestIDs()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let id = Self.acceptable(request.headers[Self.header]) ?? ids.next()
        var context = context
        context.logger[metadataKey: "request_id"] = .string(id)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[Self.header] = id
        let elapsed = started.duration(to: .now).components
        let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        let status = response.status.code
        logger.log(level: status >= 500 ? .warning : .info, "request", metadata: [
            "request_id": .string(id),
            "method": .string(request.method.rawValue),
            "route": .string(context.endpointPath ?? "unmatched"),
            "status": .stringConvertible(status),
            "ms": .string(String(format: "%.1f", milliseconds)),
            "client": .string(context.clientAddress),
        ])
        return response
    }

    /// A caller's id is kept when it is a plain token (a proxy's or a client's correlation id).
    static func acceptable(_ value: String?) -> String? {
        guard let value, (1...64).contains(value.utf8.count),
              value.utf8.allSatisfy({ $0 < 128 && (UInt8(ascii: "a")...UInt8(ascii: "z") ~= $0 | 0x20 || UInt8(ascii: "0")...UInt8(ascii: "9") ~= $0 || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")) })
        else { return nil }
        return value
    }
}

/// Request ids: a random prefix per process and a counter, unique without a lock.
final class RequestIDs: Sendable {
    private let prefix: String
    private let counter = Atomic<UInt64>(0)

    init() {
        prefix = String(UInt32.random(in: .min ... .max), radix: 16)
    }

    func next() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return "\(prefix)-\(String(n, radix: 16))"
    }
}
