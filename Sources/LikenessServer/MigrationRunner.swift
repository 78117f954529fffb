import Foundation
import LikenessCore
import LikenessUseCases
import Logging
import ServiceLifecycle

/// The one model migration a server runs in the background, started by `POST /v1/index/migrate`:
/// one thread, so that queries keep their workers; its progress answers in `/v1/index`. It is a
/// service of the application: requests queue a job, `run()` works through them, and a graceful
/// shutdown stops the one running between two batches. Every face done is a row in the database,
/// so a migration cut short by a restart goes on where it stopped when started again. The switch (when the migration is complete and asked for, or on
/// `POST /v1/index/switch`) moves the gallery to the new recognizer in one transaction, records
/// the pack for the next start, and puts the new pack and its index in service.
actor MigrationRunner: Service {
    enum State: String, Sendable { case loading, running, done, switching, switched, failed }

    struct Status: Sendable {
        var pack: String
        var target: String?
        var state: State
        var report: ModelMigration.Report?
        var error: String?
        /// Switch to the pack once every face is embedded or missed.
        var switchWhenDone = false
        /// Faces moved to the new recognizer by the switch.
        var switched: Int?
    }

    private let support: MigrationSupport
    private let serving: ServingModel
    private let logger: Logger
    private var status: Status?
    private struct Job {
        var pack: String
        var switchWhenDone: Bool
    }

    private let jobs: AsyncStream<Job>
    private let queue: AsyncStream<Job>.Continuation
    /// Loading a pack and reading its index are blocking work, kept off the cooperative pool.
    private let executor = BlockingExecutor(name: "likeness-migration", threads: 1)

    init(support: MigrationSupport, serving: ServingModel, logger: Logger) {
        self.support = support
        self.serving = serving
        self.logger = logger
        (jobs, queue) = AsyncStream.makeStream(of: Job.self)
    }

    func run() async throws {
        let jobs = self.jobs
        await withGracefulShutdownHandler {
            for await job in jobs {
                // Cancelled (between batches) when the server shuts down gracefully.
                await cancelWhenGracefulShutdown { await self.perform(job) }
                if Task.isShuttingDownGracefully { break }
            }
        } onGracefulShutdown: { [queue] in
            queue.finish()
        }
    }

    var current: Status? { status }

    private var busy: Bool { [.loading, .running, .switching].contains(status?.state) }

    func start(pack: String, switchWhenDone: Bool) throws -> Status {
        if let status, busy {
            throw APIError(.conflict, "migration_running", "a migration to \(status.pack) is \(status.state.rawValue); wait for it to finish")
        }
        if switchWhenDone, support.loadServing == nil {
            throw APIError(.notImplemented, "switch_unavailable", "this server cannot switch packs while it runs; use `likeness migrate --switch`")
        }
        let started = Status(pack: pack, state: .loading, switchWhenDone: switchWhenDone)
        status = started
        if case .terminated = queue.yield(Job(pack: pack, switchWhenDone: switchWhenDone)) {
            status?.state = .failed
            status?.error = "the server is shutting down"
            throw APIError(.serviceUnavailable, "shutting_down", "the server is shutting down", retryAfter: 5)
        }
        return started
    }

    private func perform(_ job: Job) async {
        let support = support, logger = logger, pack = job.pack
        do {
            let analyzer = try await executor.run { try support.loadPack(pack) }
            update { $0.target = analyzer.recognizer.id.rawValue; $0.state = .running }
            let migration = ModelMigration(store: support.store, analyzer: analyzer, workers: 1)
            let report = try await migration.run { report in
                // Awaited, so reports land in order and none outlives the migration.
                await self.update { $0.report = report }
            }
            update { $0.report = report; $0.state = .done }
            logger.info("migration done", metadata: ["pack": "\(pack)", "embedded": "\(report.progress.embedded)",
                                                     "missed": "\(report.progress.missed)"])
            if job.switchWhenDone { try await performSwitch(pack: pack, target: analyzer.recognizer.id) }
        } catch is CancellationError {
            update { $0.state = .failed; $0.error = "stopped by the server's shutdown; start it again to go on" }
            logger.info("migration stopped by shutdown", metadata: ["pack": "\(pack)"])
        } catch {
            update { $0.state = .failed; $0.error = "\(error)" }
            logger.error("migration failed", metadata: ["pack": "\(pack)", "error": "\(error)"])
        }
    }

    /// The switch on command: the migration to `pack` must be complete (here or by `likeness migrate`).
    func switchNow(pack: String) async throws -> Status {
        guard let loadServing = support.loadServing else {
            throw APIError(.notImplemented, "switch_unavailable", "this server cannot switch packs while it runs; use `likeness migrate --switch`")
        }
        if let status, busy {
            throw APIError(.conflict, "migration_running", "a migration to \(status.pack) is \(status.state.rawValue); wait for it to finish")
        }
        let next: ServingModel.Current
        do {
            next = try await executor.run { try loadServing(pack) }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The operator named a pack this server cannot load: their mistake, said as such.
            throw APIError(.unprocessableContent, "pack_unavailable", "cannot load the pack '\(pack)': \(error)")
        }
        let target = next.analyzer.recognizer.id
        guard target != serving.current.index.recognizer else {
            throw APIError(.conflict, "already_serving", "the server already serves \(target.rawValue)")
        }
        let progress = try await support.store.migrationProgress(to: target)
        guard progress.remaining == 0 else {
            throw APIError(.conflict, "migration_incomplete",
                           "\(progress.remaining) of \(progress.total) faces are not yet embedded for \(target.rawValue); migrate first (POST /v1/index/migrate)")
        }
        status = Status(pack: pack, target: target.rawValue, state: .switching)
        do {
            try await performSwitch(pack: pack, target: target, loaded: next)
        } catch {
            update { $0.state = .failed; $0.error = "\(error)" }
            throw error
        }
        return status!
    }

    /// Moves the gallery, then puts the pack in service with an index loaded after the move.
    /// Until the new index is in, the old one answers (emptying as it follows the move).
    private func performSwitch(pack: String, target: RecognizerID, loaded: ServingModel.Current? = nil) async throws {
        guard let loadServing = support.loadServing else { return }
        update { $0.state = .switching }
        // Load the models before touching the database: a pack that cannot load switches nothing.
        let next: ServingModel.Current
        if let loaded { next = loaded } else { next = try await executor.run { try loadServing(pack) } }
        let switched = try await support.store.switchRecognizer(to: target, pack: pack)
        // The new index follows the change log, where the move is now: it takes the moved faces.
        _ = try await executor.run { try next.index.catchUp() }
        let old = serving.replace(with: next)
        update { $0.state = .switched; $0.switched = switched }
        logger.info("switched packs", metadata: ["from": "\(old.packName)", "to": "\(next.packName)", "faces": "\(switched)",
                                                 "recognizer": "\(target.rawValue)"])
    }

    private func update(_ change: (inout Status) -> Void) {
        guard var s = status else { return }
        change(&s)
        status = s
    }
}
