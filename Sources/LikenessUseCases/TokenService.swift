import Crypto
import Foundation
import JWTKit
import LikenessCore

/// What a login token says: the account, its role, and when it expires.
struct TokenPayload: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var name: String
    var role: String
    /// The account's token version at issue; tokens from before this field count as version 0.
    var ver: Int64?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Signs and checks login tokens (HMAC-SHA256) and makes API keys.
public struct TokenService: Sendable {
    let keys: JWTKeyCollection
    let lifetime: TimeInterval

    public init(secret: [UInt8], lifetimeSeconds: Int) async {
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        lifetime = TimeInterval(lifetimeSeconds)
    }

    public func issue(for account: Account) async throws -> (token: String, expiresIn: Int) {
        let now = Date()
        let payload = TokenPayload(sub: .init(value: String(account.id)), exp: .init(value: now.addingTimeInterval(lifetime)),
                                   iat: .init(value: now), name: account.username, role: account.role.rawValue,
                                   ver: account.tokenVersion)
        return (try await keys.sign(payload), Int(lifetime))
    }

    /// The account id, role and token version a token names, or nil if it is invalid or expired.
    public func verify(_ token: String) async -> (accountID: Int64, role: Role, version: Int64)? {
        guard let payload = try? await keys.verify(token, as: TokenPayload.self),
              let id = Int64(payload.sub.value), let role = Role(rawValue: payload.role) else { return nil }
        return (id, role, payload.ver ?? 0)
    }

    /// A new API key: shown to the user once; only its SHA-256 is stored.
    public static func newAPIKey() -> (key: String, prefix: String, hash: String) {
        let random = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let key = "lk_" + random.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return (key, String(key.prefix(10)), sha256Hex(Array(key.utf8)))
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    public static func randomSecret() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }
}
