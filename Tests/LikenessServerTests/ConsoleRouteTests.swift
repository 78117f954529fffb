import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LikenessServer
import Testing

/// The console's files as the server serves them; the pages themselves are tested in a real
/// browser by scripts/browser-test.sh.
@Suite struct ConsoleRouteTests {
    @Test func theRootRedirectsAndThePagesCarryAStrictPolicy() async throws {
        try await Harness().run { client in
            let root = try await client.execute(uri: "/", method: .get)
            #expect(root.status == .found && root.headers[.location] == "/console/")
            for uri in ["/console", "/console/", "/docs"] {
                let page = try await client.execute(uri: uri, method: .get)
                #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8", "\(uri)")
                let csp = page.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("script-src 'self'") && csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"))
                #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains("*"), "\(csp)")
                #expect(page.headers[.xContentTypeOptions] == "nosniff")
            }
        }
    }

    @Test func filesAreServedWithTheirTypeAndRevalidated() async throws {
        try await Harness().run { client in
            let script = try await client.execute(uri: "/console/app.js", method: .get)
            #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8")
            let etag = try #require(script.headers[.eTag])
            let again = try await client.execute(uri: "/console/app.js", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified && again.body.readableBytes == 0)
            #expect(try await client.execute(uri: "/console/console.css", method: .get).headers[.contentType] == "text/css; charset=utf-8")
            let missing = try await client.execute(uri: "/console/nope.js", method: .get)
            #expect(missing.status == .notFound && errorCode(missing) == "not_found")
        }
    }

    /// A file named by a page or imported by a script but missing from the binary would break the
    /// console only in a browser; this finds it here.
    @Test func everyFileThePagesNameIsEmbedded() throws {
        let assets = ConsoleController.assets
        var named: Set<String> = []
        for (name, asset) in assets where name.hasSuffix(".html") || name.hasSuffix(".js") {
            let text = String(buffer: asset.body)
            for pattern in [#"(?:src|href)="/console/([^"]+)""#, #"from '\./([^']+)'"#] {
                let regex = try NSRegularExpression(pattern: pattern)
                for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    named.insert(String(text[Range(match.range(at: 1), in: text)!]))
                }
            }
            #expect(![".innerHTML", ".outerHTML", "insertAdjacentHTML", "eval(", "new Function"].contains { text.contains($0) }, "\(name) builds markup from strings")
        }
        #expect(named.count > 8)
        for name in named { #expect(assets[name] != nil, "\(name) is named by a page but not embedded") }
    }

    @Test func theSystemPageReadsWhatRuns() async throws {
        try await Harness().run { client in
            #expect(try await client.execute(uri: "/v1/system", method: .get).status == .unauthorized)
            let (_, _, viewer) = try await tokens(client)
            let system = try object(try await client.execute(uri: "/v1/system", method: .get, headers: auth(viewer)))
            #expect(system["version"] is String && system["recognizer"] is String && system["people"] as? Int == 0)
            let executors = try #require(system["executors"] as? [[String: Any]])
            #expect(Set(executors.compactMap { $0["name"] as? String }).count == executors.count && !executors.isEmpty)
        }
    }
}

@Suite struct AccountAdminTests {
    private func accountID(_ client: some TestClientProtocol, _ admin: String, _ username: String) async throws -> Int {
        let list = try array(try await client.execute(uri: "/v1/accounts", method: .get, headers: auth(admin)))
        return try #require(list.first { $0["username"] as? String == username }?["id"] as? Int)
    }

    private func patch(_ client: some TestClientProtocol, _ token: String, _ id: Int, _ json: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/accounts/\(id)", method: .patch, headers: jsonHeaders(token), body: ByteBuffer(string: json))
    }

    @Test func onlyAdminsListAndChangeAccounts() async throws {
        try await Harness().run { client in
            let (admin, oper, viewer) = try await tokens(client)
            let list = try array(try await client.execute(uri: "/v1/accounts", method: .get, headers: auth(admin)))
            #expect(Set(list.compactMap { $0["username"] as? String }) == ["admin", "oper", "view"])
            #expect(list.allSatisfy { $0["password_hash"] == nil && $0["disabled"] as? Bool == false })
            for token in [oper, viewer] {
                #expect(try await client.execute(uri: "/v1/accounts", method: .get, headers: auth(token)).status == .forbidden)
            }
            let view = try await accountID(client, admin, "view")
            #expect(try await patch(client, oper, view, #"{"role": "admin"}"#).status == .forbidden)
            #expect(try await patch(client, admin, 999_999, #"{"role": "admin"}"#).status == .notFound)
            let bad = try await patch(client, admin, view, #"{"role": "root"}"#)
            #expect(bad.status == .badRequest && errorCode(bad) == "invalid_role")
        }
    }

    @Test func aRoleChangeOrADisableTakesEffectOnTheNextRequest() async throws {
        try await Harness().run { client in
            let (admin, _, viewer) = try await tokens(client)
            let view = try await accountID(client, admin, "view")
            let promoted = try object(try await patch(client, admin, view, #"{"role": "operator"}"#))
            #expect(promoted["role"] as? String == "operator")
            let me = try object(try await client.execute(uri: "/v1/accounts/me", method: .get, headers: auth(viewer)))
            #expect(me["role"] as? String == "operator")

            #expect(try object(try await patch(client, admin, view, #"{"disabled": true}"#))["disabled"] as? Bool == true)
            let refused = try await client.execute(uri: "/v1/people", method: .get, headers: auth(viewer))
            #expect(refused.status == .unauthorized)
            let login = try await client.execute(uri: "/v1/auth/login", method: .post, headers: jsonHeaders(),
                                                 body: ByteBuffer(string: #"{"username": "view", "password": "password-view"}"#))
            #expect(login.status == .unauthorized)
            // Enabled again, the account logs in afresh: its tokens from before the disable stay ended.
            _ = try await patch(client, admin, view, #"{"disabled": false}"#)
            #expect(try await client.execute(uri: "/v1/people", method: .get, headers: auth(viewer)).status == .unauthorized)
            let again = try await client.execute(uri: "/v1/auth/login", method: .post, headers: jsonHeaders(),
                                                 body: ByteBuffer(string: #"{"username": "view", "password": "password-view"}"#))
            let token = try #require(try object(again)["access_token"] as? String)
            #expect(try await client.execute(uri: "/v1/people", method: .get, headers: auth(token)).status == .ok)
        }
    }

    @Test func aResetPasswordReplacesTheOldOne() async throws {
        try await Harness().run { client in
            let (admin, _, _) = try await tokens(client)
            let oper = try await accountID(client, admin, "oper")
            let weak = try await patch(client, admin, oper, #"{"password": "short"}"#)
            #expect(weak.status == .badRequest && errorCode(weak) == "invalid_password")
            #expect(try await patch(client, admin, oper, #"{"password": "a-brand-new-password"}"#).status == .ok)
            func login(_ password: String) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/v1/auth/login", method: .post, headers: jsonHeaders(),
                                         body: ByteBuffer(string: #"{"username": "oper", "password": "\#(password)"}"#)).status
            }
            #expect(try await login("password-oper") == .unauthorized)
            #expect(try await login("a-brand-new-password") == .ok)
        }
    }

    @Test func changingYourPasswordNeedsTheOldOneAndEndsOtherSessions() async throws {
        try await Harness().run { client in
            let (_, oper, _) = try await tokens(client)
            let other = try object(try await client.execute(uri: "/v1/auth/login", method: .post, headers: jsonHeaders(),
                                                            body: ByteBuffer(string: #"{"username": "oper", "password": "password-oper"}"#)))
            let otherSession = try #require(other["access_token"] as? String)
            func change(_ current: String, _ new: String) async throws -> TestResponse {
                try await client.execute(uri: "/v1/accounts/me/password", method: .post, headers: jsonHeaders(oper),
                                         body: ByteBuffer(string: #"{"current_password": "\#(current)", "new_password": "\#(new)"}"#))
            }
            let wrong = try await change("not-my-password", "brand-new-pass")
            #expect(wrong.status == .forbidden && errorCode(wrong) == "wrong_password")
            let weak = try await change("password-oper", "short")
            #expect(weak.status == .badRequest && errorCode(weak) == "invalid_password")
            let changed = try await change("password-oper", "brand-new-pass")
            #expect(changed.status == .ok)
            let fresh = try #require(try object(changed)["access_token"] as? String)
            // Both earlier tokens end at once; the fresh one works.
            for token in [oper, otherSession] {
                let r = try await client.execute(uri: "/v1/people", method: .get, headers: auth(token))
                #expect(r.status == .unauthorized && errorCode(r) == "bad_token")
            }
            #expect(try await client.execute(uri: "/v1/people", method: .get, headers: auth(fresh)).status == .ok)
        }
    }

    @Test func logoutEndsTheAccountsTokensButNotItsKeys() async throws {
        try await Harness().run { client in
            let (_, _, viewer) = try await tokens(client)
            let key = try object(try await client.execute(uri: "/v1/api-keys", method: .post, headers: jsonHeaders(viewer),
                                                          body: ByteBuffer(string: #"{"name": "kiosk", "password": "password-view"}"#)))
            let secret = try #require(key["key"] as? String)
            #expect(try await client.execute(uri: "/v1/logout", method: .post, headers: auth(viewer)).status == .noContent)
            #expect(try await client.execute(uri: "/v1/people", method: .get, headers: auth(viewer)).status == .unauthorized)
            #expect(try await client.execute(uri: "/v1/people", method: .get, headers: auth(secret)).status == .ok)
            #expect(try await client.execute(uri: "/v1/logout", method: .post).status == .unauthorized)
        }
    }

    @Test func deletingAnAccountEndsItsTokensAndKeys() async throws {
        try await Harness().run { client in
            let (admin, oper, _) = try await tokens(client)
            let key = try object(try await client.execute(uri: "/v1/api-keys", method: .post, headers: jsonHeaders(oper),
                                                          body: ByteBuffer(string: #"{"name": "script", "password": "password-oper"}"#)))
            let secret = try #require(key["key"] as? String)
            let id = try await accountID(client, admin, "oper")
            #expect(try await client.execute(uri: "/v1/accounts/\(id)", method: .delete, headers: auth(oper)).status == .forbidden)
            #expect(try await client.execute(uri: "/v1/accounts/\(id)", method: .delete, headers: auth(admin)).status == .noContent)
            for token in [oper, secret] {
                #expect(try await client.execute(uri: "/v1/people", method: .get, headers: auth(token)).status == .unauthorized)
            }
            #expect(try await client.execute(uri: "/v1/accounts/\(id)", method: .delete, headers: auth(admin)).status == .notFound)
            let me = try await accountID(client, admin, "admin")
            let last = try await client.execute(uri: "/v1/accounts/\(me)", method: .delete, headers: auth(admin))
            #expect(last.status == .conflict && errorCode(last) == "conflict")
            // The name is free again.
            let again = try await client.execute(uri: "/v1/accounts", method: .post, headers: jsonHeaders(admin),
                                                 body: ByteBuffer(string: #"{"username": "oper", "password": "another-password"}"#))
            #expect(again.status == .created)
        }
    }

    /// Two people opening a fresh server at once: one admin, the other refused.
    @Test func simultaneousFirstRegistrationsMakeOneAdmin() async throws {
        try await Harness().run { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<6 {
                    group.addTask {
                        try await client.execute(uri: "/v1/accounts", method: .post, headers: jsonHeaders(),
                                                 body: ByteBuffer(string: #"{"username": "first\#(i)", "password": "password-\#(i)"}"#)).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .unauthorized }.count == 5, "\(statuses)")
        }
    }

    @Test func theLastEnabledAdminCannotBeDemotedOrDisabled() async throws {
        try await Harness().run { client in
            let (admin, _, _) = try await tokens(client)
            let me = try await accountID(client, admin, "admin")
            for change in [#"{"role": "viewer"}"#, #"{"disabled": true}"#] {
                let refused = try await patch(client, admin, me, change)
                #expect(refused.status == .conflict && errorCode(refused) == "conflict", "\(change)")
            }
            // With a second admin, the first may step down.
            let oper = try await accountID(client, admin, "oper")
            #expect(try await patch(client, admin, oper, #"{"role": "admin"}"#).status == .ok)
            #expect(try object(try await patch(client, admin, me, #"{"role": "viewer"}"#))["role"] as? String == "viewer")
            #expect(try await client.execute(uri: "/v1/accounts", method: .get, headers: auth(admin)).status == .forbidden)
        }
    }
}
