import LikenessCore
import LikenessUseCases
import Logging
import ServiceLifecycle

/// Keeps the index in step with the database and suited to the gallery:
/// - every few seconds it applies changes written by other processes (`likeness enroll`
///   straight into the database, another replica), which this server's own writes apply at once;
/// - every minute it builds the approximate index once the gallery outgrows an exact scan,
///   rebuilds it when tombstones pile up or IVF's lists no longer fit, drops it when the gallery
///   shrinks. Builds run beside the serving index, on a thread of their own.
public struct IndexMaintenanceService: Service {
    let serving: ServingModel
    /// The index in service now (another after a pack switch).
    var index: any GalleryIndex { serving.current.index }
    let catchUpInterval: Duration
    let maintainEvery: Int
    let executor: BlockingExecutor
    let logger: Logger

    public init(serving: ServingModel, catchUpInterval: Duration = .seconds(5), maintainInterval: Duration = .seconds(60), logger: Logger) {
        self.serving = serving
        self.catchUpInterval = catchUpInterval
        maintainEvery = max(1, Int(maintainInterval / catchUpInterval))
        executor = BlockingExecutor(name: "likeness-index-maintenance", threads: 1)
        self.logger = logger
    }

    public func run() async throws {
        // A build of a large gallery takes minutes; shutdown stops it at its next chunk.
        try await withGracefulShutdownHandler {
            try await loop()
        } onGracefulShutdown: { [serving] in
            serving.current.index.cancelBuilds()
        }
    }

    private func loop() async throws {
        // Round 0 builds at once what the gallery loaded at start-up needs.
        var round = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if round > 0 {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: catchUpInterval) }
                guard !Task.isShuttingDownGracefully else { break }
            }
            let index = self.index
            do {
                let applied = try await executor.run { try index.catchUp() }
                if applied > 0 { logger.debug("index caught up with changes from elsewhere", metadata: ["changes": "\(applied)"]) }
                if round % maintainEvery == 0, try await executor.run({ try index.maintain() }) {
                    logger.info("approximate index rebuilt", metadata: ["serving": "\(index.kind)", "faces": "\(index.count)"])
                }
            } catch {
                logger.warning("index maintenance failed", metadata: ["error": "\(error)"])
            }
            round += 1
        }
        executor.shutdown()
    }
}
