import Foundation
import LikenessCore
@testable import LikenessStore
import Testing

/// The databases the shared suite runs against: SQLite always, MariaDB when
/// LIKENESS_TEST_MYSQL_URL names a server (CI starts one with scripts/mariadb-test-server.sh).
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, mysql

    static let mysqlURL = ProcessInfo.processInfo.environment["LIKENESS_TEST_MYSQL_URL"]

    static var available: [Backend] { mysqlURL == nil ? [.sqlite] : [.sqlite, .mysql] }

    var testDescription: String { rawValue }

    /// A fresh, empty database for one test: a temporary SQLite file, or a new MariaDB database.
    func freshURL() throws -> DatabaseURL {
        let name = "likeness_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        switch self {
        case .sqlite:
            return .sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("\(name).db").path)
        case .mysql:
            guard case let .mysql(host, port, user, password, database) = try DatabaseURL(Self.mysqlURL ?? "") else {
                throw StoreError.invalid("LIKENESS_TEST_MYSQL_URL is not a mysql:// URL")
            }
            let admin = try MariaDBConnection(.init(host: host, port: port, user: user, password: password, database: database))
            try admin.executeScript("CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            return .mysql(host: host, port: port, user: user, password: password, database: name)
        }
    }

    func makeStore() throws -> SQLStore { try SQLStore(url: try freshURL()) }
}

@Suite struct BackendConfigurationTests {
    /// CI must exercise both backends; only a developer machine may skip MariaDB.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CI"] != nil, "not in CI"))
    func ciRunsTheMariaDBSuite() {
        #expect(Backend.mysqlURL != nil, "CI must set LIKENESS_TEST_MYSQL_URL (see .ci/run)")
    }
}

func unitVector(_ seed: Int, _ d: Int = 8) -> [Float] {
    var state = UInt64(seed) &+ 0x9E37_79B9_7F4A_7C15
    let raw = (0..<d).map { _ -> Float in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 1000
    }
    return Embedding(recognizer: RecognizerID("r"), raw: raw).vector
}

func newFace(_ seed: Int, d: Int = 8, crop: [UInt8]? = nil) -> NewFace {
    NewFace(embedding: Embedding(recognizer: RecognizerID("r"), normalized: unitVector(seed, d)),
            box: BoundingBox(x: 1, y: 2, width: 30, height: 40), detectionScore: 0.9, quality: nil, crop: crop,
            imageSHA256: String(repeating: "ab", count: 32))
}
