import Hummingbird
import LikenessCore
import NIOCore

/// Who is calling: an account, authenticated by token or API key.
public struct Identity: Sendable, Equatable {
    public var accountID: Int64
    public var username: String
    public var role: Role
    /// Authenticated by an API key rather than a login token (keys cannot mint keys).
    public var viaAPIKey = false
}

public struct LikenessRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Identity?
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        remoteAddress = source.channel.remoteAddress
        forwardedFor = nil
    }

    /// Set by `ClientAddressMiddleware` when a trusted proxy names the client.
    var forwardedFor: String?

    /// The client's IP address, the key of per-client limits ("local" in in-process tests).
    var clientAddress: String { forwardedFor ?? remoteAddress?.ipAddress ?? "local" }

    /// Uploads are read by the handlers with their own limit.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }

    func require(_ roles: Set<Role>) throws -> Identity {
        guard let identity else { throw APIError.unauthorized }
        guard roles.contains(identity.role) else {
            throw APIError.forbidden("the \(identity.role.rawValue) role may not do this")
        }
        return identity
    }

    func requireViewer() throws -> Identity { try require([.viewer, .operator, .admin]) }
    func requireOperator() throws -> Identity { try require([.operator, .admin]) }
    func requireAdmin() throws -> Identity { try require([.admin]) }
}
