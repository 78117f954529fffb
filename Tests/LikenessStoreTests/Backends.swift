import Foundation
import LikenessCore
@testable import LikenessStore
@_exported import LikenessTestSupport
import Testing

/// The stores the contract suite runs against: the in-memory fake the HTTP tests use, SQLite
/// always, MariaDB when LIKENESS_TEST_MYSQL_URL names a server and PostgreSQL when
/// LIKENESS_TEST_POSTGRES_URL does (the test command starts both: scripts/mariadb-test-server.sh,
/// scripts/postgres-test-server.sh). One suite for all, so the fake cannot drift from the real
/// stores.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, mysql, postgres

    static let mysqlURL = ProcessInfo.processInfo.environment["LIKENESS_TEST_MYSQL_URL"]
    static let postgresURL = ProcessInfo.processInfo.environment["LIKENESS_TEST_POSTGRES_URL"]

    /// The SQL databases.
    static var available: [Backend] {
        [.sqlite] + (mysqlURL == nil ? [] : [.mysql]) + (postgresURL == nil ? [] : [.postgres])
    }
    /// Every store of the contract: the fake too.
    static var all: [Backend] { [.memory] + available }

    func makeContractStore() throws -> any GalleryStore & AccountStore {
        self == .memory ? MemoryStore() : try makeStore()
    }

    var testDescription: String { rawValue }

    /// A fresh, empty database for one test: a temporary SQLite file, or a new MariaDB database.
    func freshURL() throws -> DatabaseURL {
        let name = "likeness_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        switch self {
        case .sqlite, .memory:
            return .sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("\(name).db").path)
        case .mysql:
            guard case let .mysql(server) = try DatabaseURL(Self.mysqlURL ?? "") else {
                throw StoreError.invalid("LIKENESS_TEST_MYSQL_URL is not a mysql:// URL")
            }
            let admin = try MariaDBConnection(.init(server: server))
            try admin.executeScript("CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            return .mysql(server.with(database: name))
        case .postgres:
            guard case let .postgres(server) = try DatabaseURL(Self.postgresURL ?? "") else {
                throw StoreError.invalid("LIKENESS_TEST_POSTGRES_URL is not a postgres:// URL")
            }
            let admin = try PostgresConnection(.init(server: server))
            try admin.executeScript("CREATE DATABASE \(name)")
            return .postgres(server.with(database: name))
        }
    }

    func makeStore() throws -> SQLStore { try SQLStore(url: try freshURL()) }
}

@Suite struct BackendConfigurationTests {
    /// CI must exercise both backends; only a developer machine may skip MariaDB.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CI"] != nil, "not in CI"))
    func ciRunsTheMariaDBSuite() {
        #expect(Backend.mysqlURL != nil, "CI must set LIKENESS_TEST_MYSQL_URL (see .ci/run)")
        #expect(Backend.postgresURL != nil, "CI must set LIKENESS_TEST_POSTGRES_URL (see scripts/test.sh)")
    }
}
