import Foundation
import LikenessCore
import LikenessUseCases
import Logging

/// The one model migration a server runs in the background, started by `POST /v1/index/migrate`:
/// one thread, so that queries keep their workers; its progress answers in `/v1/index`. Every
/// face done is a row in the database, so a migration cut short by a restart goes on where it
/// stopped when started again.
actor MigrationRunner {
    enum State: String, Sendable { case loading, running, done, failed }

    struct Status: Sendable {
        var pack: String
        var target: String?
        var state: State
        var report: ModelMigration.Report?
        var error: String?
    }

    private let support: MigrationSupport
    private let logger: Logger
    private var status: Status?
    private var task: Task<Void, Never>?

    init(support: MigrationSupport, logger: Logger) {
        self.support = support
        self.logger = logger
    }

    var current: Status? { status }

    func start(pack: String) throws -> Status {
        if let status, status.state == .loading || status.state == .running {
            throw APIError(.conflict, "migration_running", "a migration to \(status.pack) is running; wait for it to finish")
        }
        let started = Status(pack: pack, state: .loading)
        status = started
        let support = support, logger = logger
        task = Task.detached { [self] in
            do {
                let analyzer = try support.loadPack(pack)
                await self.update { $0.target = analyzer.recognizer.id.rawValue; $0.state = .running }
                let migration = ModelMigration(store: support.store, analyzer: analyzer, workers: 1)
                let report = try await migration.run { report in
                    Task { await self.update { s in if report.processed >= (s.report?.processed ?? 0) { s.report = report } } }
                }
                await self.update { $0.report = report; $0.state = .done }
                logger.info("migration done", metadata: ["pack": "\(pack)", "embedded": "\(report.progress.embedded)",
                                                         "missed": "\(report.progress.missed)"])
            } catch {
                await self.update { $0.state = .failed; $0.error = "\(error)" }
                logger.error("migration failed", metadata: ["pack": "\(pack)", "error": "\(error)"])
            }
        }
        return started
    }

    private func update(_ change: (inout Status) -> Void) {
        guard var s = status else { return }
        change(&s)
        status = s
    }
}
